"""Every ORM model, imported in one place so Alembic and create_all see the whole schema."""

from cbec.accounts.models import IdempotencyRecord, PersonalDataAccess, UserAccount, UserSession
from cbec.audit.models import AuditEntry
from cbec.catalogue.models import Product
from cbec.credit.models import CreditFact, CreditGrade, CreditObjection
from cbec.customs.models import Declaration, DeclarationEvent, DeclarationParcel, OutboxMessage, ReceiptLog
from cbec.finance.models import FxReceipt, OrderMoney, Settlement, SettlementLine
from cbec.intake.models import Document, InboxItem, IntakeRun
from cbec.logistics.models import TrackingEvent, TrackingReview
from cbec.matching.models import MatchResult
from cbec.orm import Base
from cbec.partners.models import ApiCredential, Enterprise, EnterpriseRole
from cbec.privacy.models import RetainedRecord
from cbec.risk.models import RiskHit, RiskLane, RiskStanding, RiskTrace
from cbec.sharing.models import Delivery, DeliveryAttempt, SharedEvent, Subscription
from cbec.statistics.models import StatLine, StatList
from cbec.tax.models import BuyerLedgerEntry, TaxAssessment
from cbec.warehouse.models import BondedEntry, ExpectedInbound, StockMovement, Warehouse

__all__ = [
    "ApiCredential",
    "AuditEntry",
    "Base",
    "BondedEntry",
    "BuyerLedgerEntry",
    "CreditFact",
    "CreditGrade",
    "CreditObjection",
    "Declaration",
    "DeclarationEvent",
    "DeclarationParcel",
    "Delivery",
    "DeliveryAttempt",
    "Document",
    "Enterprise",
    "EnterpriseRole",
    "ExpectedInbound",
    "FxReceipt",
    "IdempotencyRecord",
    "InboxItem",
    "IntakeRun",
    "MatchResult",
    "OrderMoney",
    "OutboxMessage",
    "PersonalDataAccess",
    "Product",
    "ReceiptLog",
    "RetainedRecord",
    "RiskHit",
    "RiskLane",
    "RiskStanding",
    "RiskTrace",
    "Settlement",
    "SettlementLine",
    "SharedEvent",
    "StatLine",
    "StatList",
    "StockMovement",
    "Subscription",
    "TaxAssessment",
    "TrackingEvent",
    "TrackingReview",
    "UserAccount",
    "UserSession",
    "Warehouse",
]
