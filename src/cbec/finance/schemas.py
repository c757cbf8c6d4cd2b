"""Typed answers of the finance area (issue 17)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from cbec.errors import CbecError


@dataclass
class MoneyImportReport:
    inbox_id: int
    format: str
    rows: int = 0
    settlements: int = 0
    settlement_lines: int = 0
    duplicate_settlements: int = 0
    receipts: int = 0
    duplicate_receipts: int = 0
    payouts_agreeing: int = 0  # a payouts summary: payouts whose imported transactions add up to its total
    payouts_not_imported: int = 0
    deposits: dict[str, Decimal] = field(default_factory=dict)  # currency → total of the new settlements
    errors: list[dict[str, Any]] = field(default_factory=list)
    failure: CbecError | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "inbox_id": self.inbox_id,
            "format": self.format,
            "rows": self.rows,
            "settlements": self.settlements,
            "settlement_lines": self.settlement_lines,
            "duplicate_settlements": self.duplicate_settlements,
            "receipts": self.receipts,
            "duplicate_receipts": self.duplicate_receipts,
            "payouts_agreeing": self.payouts_agreeing,
            "payouts_not_imported": self.payouts_not_imported,
            "deposits": {k: str(v) for k, v in self.deposits.items()},
            "errors": self.errors[:200],
            "error_count": len(self.errors),
            "failure": self.failure.as_dict() if self.failure else None,
        }


class QuoteRead(BaseModel):
    currency: str
    rate: str
    date: str
    source: str


class CurrencyTotals(BaseModel):
    """One currency's figures; ``cny`` the same converted at the quote shown (None: no rate)."""

    currency: str
    figures: dict[str, Decimal]
    quote: QuoteRead | None
    cny: dict[str, Decimal] | None


class UnmatchedRead(BaseModel):
    kind: str
    reference: str
    amount: Decimal
    currency: str
    reason_zh: str
    reason_en: str


class ReconcileReport(BaseModel):
    seller: str
    as_of: date
    period_from: date | None
    period_to: date | None
    orders: int
    orders_settled: int
    orders_refunded: int
    settlements: int
    receipts: int
    by_status: dict[str, int]
    totals: list[CurrencyTotals]
    unmatched: list[UnmatchedRead]
    unmatched_count: int


class OrderMoneyRead(BaseModel):
    platform: str
    order_no: str
    list_id: int | None
    invt_no: str
    currency: str
    declared: Decimal
    principal: Decimal
    net_settled: Decimal
    received_net: Decimal
    restored_gross: Decimal
    bridge: dict[str, Decimal]
    status: str
    released_on: date | None
    settlements: list[int]


class SettlementRowRead(BaseModel):
    settlement: str
    deposit_date: date | None
    row: int
    transaction_type: str
    amount_type: str
    amount_description: str
    category: str
    sku: str
    quantity: int | None
    amount: Decimal
    currency: str


class ListMoneyRead(BaseModel):
    """One declared list's money: its order's bridge and the settlement rows behind it."""

    order: OrderMoneyRead
    rows: list[SettlementRowRead]
    quote: QuoteRead | None
    #: the declared value and what was received, in CNY at ``quote`` (None: no rate)
    declared_cny: Decimal | None = None
    received_cny: Decimal | None = None


class MonthRead(BaseModel):
    month: str
    currency: str
    declared: Decimal
    received: Decimal


class AgeingRead(BaseModel):
    bucket: str
    lists: int
    value: Decimal
    currency: str


class BridgeStep(BaseModel):
    """One step of the bridge from the declared value to the money received (a waterfall)."""

    key: str
    amount: Decimal
    total: bool = False  # a subtotal bar (declared, net settled, received) rather than a step


class FinancePageRead(BaseModel):
    seller: str
    currency: str | None  # the currency the charts show (the one with the most declared value)
    currencies: list[str]
    as_of: date | None  # the last reconciliation's day (None: never reconciled)
    months: list[MonthRead]
    bridge: list[BridgeStep]
    ageing: list[AgeingRead]
    by_status: dict[str, int]
    orders: list[OrderMoneyRead]
    orders_total: int
    quote: QuoteRead | None


class SealedPackageRead(BaseModel):
    """A data package signed by the platform (``kit.seal``): check ``signature`` (Ed25519, base64)
    over the canonical JSON of ``package`` with ``public_key`` (or the platform's published key)."""

    package: dict[str, Any]
    algorithm: str
    signature: str
    public_key: str
