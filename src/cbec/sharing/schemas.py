"""The events partners can subscribe to, as the areas that publish them hand them over, and the
subscriptions and deliveries as the API shows them (issue 20, item 4).

An event carries what a partner's system needs to act (which document, which order, which list,
its new status) and the codes of the enterprises it concerns (who may hear of it); never a
buyer's name, ID number, phone or address (《个人信息保护法》第23条: personal data is handed to
another party only with a basis for it, and a status change needs none)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, Field


class EventType(StrEnum):
    DOCUMENT_ACCEPTED = "document.accepted"
    DOCUMENT_REFUSED = "document.refused"
    MATCH_RESULT = "match.result"
    DECLARATION_STATUS = "declaration.status"
    DECLARATION_RECEIPT = "declaration.receipt"
    DECLARATION_RELEASED = "declaration.released"
    DEPARTURE = "logistics.departure"
    FX_RECONCILED = "fx.reconciled"
    RISK_HIT = "risk.hit"


EVENT_LABELS: dict[EventType, tuple[str, str]] = {
    EventType.DOCUMENT_ACCEPTED: ("单证已接收", "document accepted"),
    EventType.DOCUMENT_REFUSED: ("单证被拒收", "document refused"),
    EventType.MATCH_RESULT: ("对碰结果", "match result"),
    EventType.DECLARATION_STATUS: ("申报状态变化", "declaration status"),
    EventType.DECLARATION_RECEIPT: ("海关回执", "customs receipt"),
    EventType.DECLARATION_RELEASED: ("海关放行", "released"),
    EventType.DEPARTURE: ("离境", "departure"),
    EventType.FX_RECONCILED: ("收汇已核对", "FX reconciled"),
    EventType.RISK_HIT: ("风险命中", "risk hit"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event has: the seller it is about (its ``ebcCode``), and the other enterprises
    the document names (platform, logistics, payment company), who may subscribe to it too."""

    type: ClassVar[EventType]
    seller: str
    others: tuple[str, ...] = ()

    def enterprises(self) -> frozenset[str]:
        return frozenset(c for c in (self.seller, *self.others) if c and c != "无")

    def ordering_key(self) -> str:
        """Deliveries with the same key reach a receiver in the order they were published."""
        return f"{self.seller}/{self.type}"

    def data(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "others"}


@dataclass(frozen=True, kw_only=True)
class OrderEvent(Event):
    """An event about one order, its documents and its declaration: ordered per order, so a
    receiver learns ``match.result`` before ``declaration.status`` before ``declaration.released``."""

    order_no: str

    def ordering_key(self) -> str:
        return f"{self.seller}/{self.order_no}"


@dataclass(frozen=True, kw_only=True)
class DocumentEvent(OrderEvent):
    """An event about one document of an order, as intake keyed it."""

    doc_type: str
    doc_key: str


@dataclass(frozen=True, kw_only=True)
class DocumentAccepted(DocumentEvent):
    type: ClassVar[EventType] = EventType.DOCUMENT_ACCEPTED
    version: int
    inbox_id: int


@dataclass(frozen=True, kw_only=True)
class DocumentRefused(DocumentEvent):
    """A document stored as invalid: the fields at fault and their codes (not the values)."""

    type: ClassVar[EventType] = EventType.DOCUMENT_REFUSED
    inbox_id: int
    fields: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MatchDecided(OrderEvent):
    type: ClassVar[EventType] = EventType.MATCH_RESULT
    direction: str  # export | import
    state: str  # matched | waiting | mismatched …
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DeclarationEvent(OrderEvent):
    """An event about one declaration (a customs list or an order message) of an order."""

    declaration_id: int
    message_type: str


@dataclass(frozen=True, kw_only=True)
class DeclarationStatusChanged(DeclarationEvent):
    type: ClassVar[EventType] = EventType.DECLARATION_STATUS
    cop_no: str
    invt_no: str
    status: str
    previous_status: str


@dataclass(frozen=True, kw_only=True)
class ReceiptReceived(DeclarationEvent):
    """A customs receipt applied to a declaration (``returnStatus`` and customs' text)."""

    type: ClassVar[EventType] = EventType.DECLARATION_RECEIPT
    return_status: str
    return_info: str
    return_time: str


@dataclass(frozen=True, kw_only=True)
class Released(DeclarationEvent):
    type: ClassVar[EventType] = EventType.DECLARATION_RELEASED
    invt_no: str
    released_at: str  # customs' returnTime


@dataclass(frozen=True, kw_only=True)
class Departed(Event):
    """Goods left the customs territory (CEB509 departure, logistics area)."""

    type: ClassVar[EventType] = EventType.DEPARTURE
    logistics_no: str
    order_no: str = ""
    bill_no: str = ""
    departed_at: str = ""

    def ordering_key(self) -> str:
        return f"{self.seller}/{self.order_no or self.logistics_no}"


@dataclass(frozen=True, kw_only=True)
class FxReconciled(OrderEvent):
    type: ClassVar[EventType] = EventType.FX_RECONCILED
    currency: str
    declared: Decimal
    received: Decimal
    status: str
    as_of: date


@dataclass(frozen=True, kw_only=True)
class RiskHitFound(OrderEvent):
    type: ClassVar[EventType] = EventType.RISK_HIT
    rule: str
    status: str  # open: the order is held for the operator's review (docs/risk.md)
    message_en: str
    message_zh: str


# --- the HTTP edge -----------------------------------------------------------------------------


class SubscriptionCreate(BaseModel):
    url: str = Field(max_length=500, description="https URL the platform POSTs deliveries to")
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    enterprise: str | None = Field(
        default=None, max_length=18, description="whose events (the operator names it; a partner gets its own)"
    )
    description: str = Field(default="", max_length=100)


class SubscriptionRead(BaseModel):
    id: int
    enterprise_code: str
    url: str
    event_types: list[str]
    description: str
    is_active: bool
    created_at: datetime
    pending: int = 0
    delivered: int = 0
    dead: int = 0


class SubscriptionCreated(SubscriptionRead):
    """Only answer that shows the secret: keep it, it is never shown again."""

    secret: str


class SubscriptionList(BaseModel):
    items: list[SubscriptionRead]


class DeliveryRead(BaseModel):
    id: int
    delivery_id: str = Field(description="stable across retries and replays: receivers dedupe on it")
    subscription_id: int
    event_type: str
    ordering_key: str
    status: str  # pending | delivered | dead | cancelled
    attempts: int
    replays: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    total: int


class ReplayRead(BaseModel):
    replayed: int


class DispatchRead(BaseModel):
    passes: int = 0
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
