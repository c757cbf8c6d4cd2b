"""Logistics' typed contracts: the canonical tracking event (API body and CSV row), what an
import reports, the review queue, stalled parcels, a parcel's track, transit times, and a flow
(movement) pushed by a logistics company."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cbec.customs.schemas import MovementRead


class TrackingEventIn(BaseModel):
    """The canonical tracking event (docs/logistics.md): one thing that happened to one parcel."""

    model_config = ConfigDict(extra="forbid")

    waybill_no: str = Field(max_length=80, description="waybill number (logisticsNo) 运单号")
    carrier: str | None = Field(default=None, max_length=18, description="carrier code; a carrier's key may omit it")
    time: str = Field(max_length=40, description="ISO 8601 with its zone, e.g. 2026-12-05T09:30:00+08:00")
    location: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=2, description="ISO 3166-1 alpha-2 of the location, if known")
    event_code: str = Field(max_length=60, description="UPU EDI code (EMA…), 17TRACK status, or a cbec status")
    code_system: Literal["upu", "17track", "cbec"] | None = Field(
        default=None, description="default: by the code's shape"
    )
    description: str = Field(default="", max_length=2000)


class EventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[TrackingEventIn] = Field(min_length=1, max_length=10000)


class EventErrorRead(BaseModel):
    line: int
    field: str
    message_zh: str
    message_en: str


class IngestReport(BaseModel):
    inbox_id: int | None = None  # where the submission is kept as received (file and API)
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    in_review: int = 0  # stored, with a code no mapping knows (see /api/v1/logistics/review)
    by_status: dict[str, int] = {}
    errors: list[EventErrorRead] = []


class ReviewRead(BaseModel):
    id: int
    carrier: str
    code_system: str
    code: str
    example: str
    events: int
    state: str
    status: str
    note: str
    resolved_by: str
    first_seen_at: datetime
    resolved_at: datetime | None


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    statuses: list[str]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_id: int = Field(ge=1, le=2**63 - 1)
    status: str = Field(max_length=24)
    note: str = Field(default="", max_length=2000)


class StallRead(BaseModel):
    waybill_no: str
    carrier: str
    reason: str
    last_status: str
    last_at: datetime | None
    hours: float


class StalledRead(BaseModel):
    hours: float
    unseen_hours: float
    stalled: list[StallRead]
    never_seen: list[StallRead]


class TrackStepRead(BaseModel):
    at: datetime
    kind: Literal["event", "customs"]
    status: str
    title_zh: str
    title_en: str
    location: str = ""
    detail: str = ""


class TrackRead(BaseModel):
    waybill_no: str
    carrier: str
    status: str
    status_zh: str
    status_en: str
    departed_at: datetime | None
    steps: list[TrackStepRead]


class TransitRow(BaseModel):
    carrier: str
    country: str
    parcels: int
    median_days: float | None
    p90_days: float | None


class TransitRead(BaseModel):
    rows: list[TransitRow]


FlowKind = Literal["arrival", "departure", "master_bill", "delivery", "site_entry", "refund_tally"]
FLOW_MESSAGES: dict[str, str] = {
    "arrival": "CEB507",
    "departure": "CEB509",
    "master_bill": "CEB607",
    "delivery": "CEB513",
    "site_entry": "CEB711",
    "refund_tally": "CEB215",
}


class FlowIn(BaseModel):
    """A physical flow pushed by a logistics company or the site operator (docs/logistics.md)."""

    model_config = ConfigDict(extra="forbid")

    kind: FlowKind
    parcels: list[str] = Field(min_length=1, max_length=20000)
    customs_code: str = Field(default="", max_length=4, description="4-digit customs office (default: the lists')")
    cop_no: str | None = Field(default=None, max_length=20)
    carrier: str | None = Field(default=None, max_length=18)
    at: datetime | None = None
    traf_mode: str = Field(default="5", max_length=1)
    traf_name: str = Field(default="", max_length=100)
    voyage_no: str = Field(default="", max_length=32)
    bill_no: str = Field(default="", max_length=37)
    domestic_traf_no: str = Field(default="", max_length=100)
    gross_weight: Decimal | None = Field(default=None, ge=0)
    operator_code: str = Field(default="", max_length=18)
    operator_name: str = Field(default="", max_length=100)
    invt_no: str = Field(default="", max_length=20)
    location: str = Field(default="", max_length=250)
    packages: list[str] = Field(default=[], max_length=20000)


class FlowsRead(BaseModel):
    declared: list[MovementRead]
