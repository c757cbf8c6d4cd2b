"""Customs' typed results: what declaring and applying receipts report, and the read models of
declarations (the API's ``response_model`` and the pages' input)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from cbec.customs.transport import Incoming
from cbec.matching.schemas import MatchRead


@dataclass
class DeclareReport:
    orders: int = 0
    declared: Counter[str] = field(default_factory=Counter)  # by message type
    already: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)
    #: import orders the tax rules refused before, unchanged since: not assessed again
    held: int = 0
    #: import orders with an open risk hit (waiting for a person), or one a reviewer refused
    held_for_review: int = 0
    refused_in_review: int = 0
    risk_hits: int = 0  # new hits stored by this declare
    messages: int = 0
    #: declared orders that changed: sent as their next revision (appType 2) …
    changed: int = 0
    #: … or waiting, each with its route and the reason (rules.CHANGE_TEXT)
    changes: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0  # the last match result examined: a later call goes on after it
    more: bool = False  # stopped at ``limit`` with orders left to examine

    def add(self, other: DeclareReport) -> None:
        """Fold the report of a following chunk (``declare(after=cursor, count_already=False)``) in."""
        self.orders += other.orders
        self.declared.update(other.declared)
        self.already += other.already
        self.refused.extend(other.refused)
        self.held += other.held
        self.held_for_review += other.held_for_review
        self.refused_in_review += other.refused_in_review
        self.risk_hits += other.risk_hits
        self.messages += other.messages
        self.changed += other.changed
        self.changes.extend(other.changes)
        self.cursor, self.more = other.cursor, other.more

    def read(self) -> DeclareReportRead:
        return DeclareReportRead(
            orders=self.orders,
            declared=dict(self.declared),
            already_declared=self.already,
            refused=len(self.refused),
            refused_examples=self.refused[:20],
            refused_orders=[str(r.get("order")) for r in self.refused],
            held=self.held,
            held_for_review=self.held_for_review,
            refused_in_review=self.refused_in_review,
            risk_hits=self.risk_hits,
            messages=self.messages,
            changed=self.changed,
            changes_waiting=len(self.changes),
            changes_examples=self.changes[:20],
        )

    def as_dict(self) -> dict[str, Any]:
        return self.read().model_dump()


class DeclareReportRead(BaseModel):
    orders: int
    declared: dict[str, int]
    already_declared: int
    refused: int
    refused_examples: list[dict[str, Any]]
    refused_orders: list[str]
    held: int
    held_for_review: int
    refused_in_review: int
    risk_hits: int
    messages: int
    #: declared orders that changed and were sent as modifications (appType 2)
    changed: int = 0
    #: declared orders that changed and wait (their list must be cancelled first, or is pending)
    changes_waiting: int = 0
    changes_examples: list[dict[str, Any]] = []


@dataclass
class ReceiptReport:
    files: int = 0
    duplicates: int = 0
    unreadable: int = 0
    receipts: int = 0
    unmatched: int = 0
    transitions: Counter[str] = field(default_factory=Counter)
    # files read, each with None (acknowledge) or the reason to reject it; settled by the caller
    # once the unit of work that applied them has committed
    settle: list[tuple[Incoming, str | None]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "duplicates": self.duplicates,
            "unreadable": self.unreadable,
            "receipts": self.receipts,
            "unmatched": self.unmatched,
            "transitions": dict(self.transitions),
        }


class DeclarationRead(BaseModel):
    id: int
    message_type: str
    direction: str
    trade_mode: str
    cop_no: str
    guid: str
    seller_code: str
    ebp_code: str
    order_no: str
    logistics_no: str
    invt_no: str
    pre_no: str
    country: str
    currency: str
    total_value: Decimal | None
    status: str
    return_status: int | None
    return_info: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DeclaredList:
    """A list customs accepted, as the finance area reconciles it: its order, the goods value
    declared (in the customs currency code) and the day it was released (China's calendar)."""

    id: int
    ebp_code: str
    order_no: str
    invt_no: str
    status: str
    trade_mode: str
    total_value: Decimal | None
    currency: str  # customs currency code, e.g. 502
    released_on: date | None


class DeclarationPage(BaseModel):
    items: list[DeclarationRead]
    total: int
    page: int
    page_size: int
    pages: int


class DeclarationEventRead(BaseModel):
    at: datetime
    before: str
    after: str
    return_status: int | None
    return_time: str
    return_info: str
    source: str


class OutboxMessageRead(BaseModel):
    filename: str
    status: str
    entities: int
    sent_at: datetime | None


class DeclarationDetailRead(DeclarationRead):
    """A declaration with what a person needs beside it. The other areas' parts (documents, the
    match, tax assessments) are their own read models as JSON."""

    entity: dict[str, Any]
    events: list[DeclarationEventRead]
    documents: dict[str, Any]
    match: MatchRead | None
    tax: list[Any]
    related: list[DeclarationRead]
    message: OutboxMessageRead | None
    #: the order changed after this was declared, and the change is not declared yet
    change: ChangeRead | None = None


class ChangeRead(BaseModel):
    """An order that changed after it was declared: what the change needs (rules.change_route)."""

    order_doc_id: int
    version: int
    route: str  # modify | cancel_first | wait | closed
    message_zh: str
    message_en: str
    lists: list[dict[str, Any]]


class PersonalDataRead(BaseModel):
    entity: dict[str, Any]
    documents: dict[str, Any]


class TimelineEventRead(BaseModel):
    at: str
    before: str
    after: str
    return_status: int | None
    return_info: str
    source: str


class TimelineEntryRead(BaseModel):
    id: int
    message_type: str
    cop_no: str
    invt_no: str
    order_no: str
    status: str
    events: list[TimelineEventRead]


class TimelineRead(BaseModel):
    ref: str
    declarations: list[TimelineEntryRead]


#: the physical movements of parcels customs is told of (CEB.md §1): arrival at the supervised
#: site 运抵, departure 离境, the master bill 清单总分单, delivery 签收, site entry 入库, the tally
#: of returned parcels 退运理货
MOVEMENT_MESSAGES = ("CEB507", "CEB509", "CEB607", "CEB513", "CEB711", "CEB215")


@dataclass(frozen=True, slots=True)
class Movement:
    """One movement of parcels told to customs, as the logistics area knows it (typed; customs
    makes the CEB entity of it). ``parcels`` are waybill numbers (logisticsNo); ``at`` is the
    time of the fact (leaveTime of a departure, logisticsTime of a delivery); the operator is
    the supervised-site operator (监管场所经营人), the postal company on the postal route."""

    message: str
    cop_no: str
    customs_code: str
    logistics_code: str
    logistics_name: str
    parcels: tuple[str, ...]
    at: datetime
    operator_code: str = ""
    operator_name: str = ""
    traf_mode: str = "5"
    traf_name: str = ""
    voyage_no: str = ""
    bill_no: str = ""
    domestic_traf_no: str = ""
    gross_weight: Decimal | None = None
    ie_flag: str = "E"
    invt_no: str = ""  # CEB215: the original export list
    location: str = ""
    packages: tuple[str, ...] = ()  # 总包号 per parcel (CEB607), same order as ``parcels``


class MovementRead(BaseModel):
    """A movement declared: its declaration and where customs' answer stands."""

    id: int
    message_type: str
    cop_no: str
    status: str
    parcels: int
    created: bool  # False: this copNo was declared before, nothing new sent
    return_info: str = ""


class ParcelMovementRead(BaseModel):
    """One customs movement a parcel took part in (for a parcel's track)."""

    declaration_id: int
    message_type: str
    cop_no: str
    status: str
    return_info: str
    at: datetime
    events: list[TimelineEventRead] = []


@dataclass(frozen=True, slots=True)
class ReleasedParcel:
    """A parcel whose export list customs released: its waybill, seller and release time."""

    logistics_no: str
    seller_code: str
    country: str  # destination, customs country code (运抵国)
    released_at: datetime
