"""Tracking rules (pure): the internal statuses, which code system a code belongs to and the one
status it maps to, the checks of a canonical event, stalled parcels, and transit-time figures.

No source document governs carriers' event codes; the mappings are ours, over the UPU EDI event
code list and 17TRACK's statuses (data/SOURCES.md). The customs side of a parcel's journey (运抵,
离境 …) follows CEB.md §1 and is declared by customs, not decided here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    """The one internal status every carrier event maps to, in the order a parcel normally goes."""

    NOT_FOUND = "not_found"
    INFO_RECEIVED = "info_received"
    PICKED_UP = "picked_up"
    EXPORT_HUB = "export_hub"
    EXPORT_CUSTOMS = "export_customs"
    DEPARTED = "departed"
    IN_TRANSIT = "in_transit"
    ARRIVED_DESTINATION = "arrived_destination"
    IMPORT_CUSTOMS = "import_customs"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNING = "returning"
    RETURNED = "returned"
    EXPIRED = "expired"

    @property
    def title_zh(self) -> str:
        return TITLES[self][0]

    @property
    def title_en(self) -> str:
        return TITLES[self][1]


TITLES: dict[Status, tuple[str, str]] = {
    Status.NOT_FOUND: ("查询不到", "not found"),
    Status.INFO_RECEIVED: ("信息已录入", "information received"),
    Status.PICKED_UP: ("已揽收", "picked up"),
    Status.EXPORT_HUB: ("出口处理中", "at the export hub"),
    Status.EXPORT_CUSTOMS: ("出口清关", "export customs"),
    Status.DEPARTED: ("已离境", "departed"),
    Status.IN_TRANSIT: ("运输途中", "in transit"),
    Status.ARRIVED_DESTINATION: ("到达目的国", "arrived in the destination country"),
    Status.IMPORT_CUSTOMS: ("进口清关", "import customs"),
    Status.OUT_FOR_DELIVERY: ("派送中", "out for delivery"),
    Status.AVAILABLE_FOR_PICKUP: ("到达待取", "available for pickup"),
    Status.DELIVERY_FAILED: ("投递失败", "delivery failed"),
    Status.DELIVERED: ("已签收", "delivered"),
    Status.EXCEPTION: ("异常", "exception"),
    Status.RETURNING: ("退件中", "returning to sender"),
    Status.RETURNED: ("已退回", "returned to sender"),
    Status.EXPIRED: ("运输过久", "expired"),
}

#: a parcel in one of these is done: never stalled
FINAL = frozenset({Status.DELIVERED, Status.RETURNED, Status.EXPIRED})
#: which statuses count as the dispatch (start) and the delivery (end) of a transit time
DISPATCHED = frozenset({Status.PICKED_UP, Status.EXPORT_HUB, Status.EXPORT_CUSTOMS, Status.DEPARTED})
SYSTEMS = ("upu", "17track", "cbec")

_UPU = re.compile(r"^E[A-Z]{2}$")
_TRACK17 = re.compile(r"^[A-Z][A-Za-z]+(_[A-Za-z]+)?$")


def code_system(code: str, given: str | None = None) -> str:
    """The code system of a code: as given, else by its shape (UPU codes are three capitals
    starting with E; 17TRACK's are CamelCase, ``Main_Sub``; ours are lower_snake)."""
    if given:
        return given
    if _UPU.match(code):
        return "upu"
    if _TRACK17.match(code):
        return "17track"
    return "cbec"


def map_code(
    system: str,
    code: str,
    tables: Mapping[str, Mapping[str, Status]],
    decided: Mapping[tuple[str, str], Status] | None = None,
) -> Status | None:
    """The internal status of a code: the table of its system, else what the operator decided in
    review for it (``decided`` by (system, code)); None: unknown, the event goes to review."""
    found = tables.get(system, {}).get(code)
    if found is not None:
        return found
    return (decided or {}).get((system, code))


@dataclass(frozen=True, slots=True)
class EventProblem:
    field: str
    zh: str
    en: str


def event_problems(waybill_no: str, code: str, at: datetime | None) -> list[EventProblem]:
    """What is wrong with a canonical event (an empty list: nothing)."""
    out = []
    if not waybill_no.strip() or len(waybill_no) > 80:
        out.append(
            EventProblem(
                "waybill_no", "运单号为空或超过 80 个字符", "the waybill number is empty or over 80 characters"
            )
        )
    if not code.strip() or len(code) > 60:
        out.append(
            EventProblem("event_code", "事件代码为空或超过 60 个字符", "the event code is empty or over 60 characters")
        )
    if at is None:
        out.append(EventProblem("time", "时间须为 ISO 8601 格式", "the time must be ISO 8601"))
    elif at.tzinfo is None or at.utcoffset() is None:
        out.append(
            EventProblem("time", "时间须带时区（如 +08:00 或 Z）", "the time must carry its zone (e.g. +08:00 or Z)")
        )
    return out


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time (``Z`` accepted); None when it is not one."""
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Stall:
    waybill_no: str
    carrier: str
    reason: str  # "stalled" | "never_seen"
    last_status: str
    last_at: datetime | None
    hours: float


def stalled(last: Sequence[tuple[str, str, Status | None, datetime]], now: datetime, hours: float) -> list[Stall]:
    """Parcels whose latest event ((waybill, carrier, status, time) each) is older than ``hours``
    and not final."""
    out = []
    for waybill, carrier, status, at in last:
        age = (now - at).total_seconds() / 3600
        if status not in FINAL and age > hours:
            out.append(Stall(waybill, carrier, "stalled", status.value if status else "", at, round(age, 1)))
    return out


def never_seen(
    released: Sequence[tuple[str, str, datetime]], seen: set[str], now: datetime, hours: float
) -> list[Stall]:
    """Parcels released by customs (waybill, carrier, release time) with no tracking event at all
    ``hours`` after release."""
    out = []
    for waybill, carrier, at in released:
        age = (now - at).total_seconds() / 3600
        if waybill not in seen and age > hours:
            out.append(Stall(waybill, carrier, "never_seen", "", at, round(age, 1)))
    return out


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def transit_days(first: datetime, delivered: datetime) -> float:
    return (delivered - first) / timedelta(days=1)
