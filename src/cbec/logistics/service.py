"""Logistics use cases: tracking events in (mapped, deduplicated, unknown codes queued), the
review queue, stalled parcels, a parcel's track, transit times, and the physical flows declared
through customs. None of these commit; the caller's unit of work does."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.ceb.signing import Signer
from cbec.customs import service as customs
from cbec.customs.schemas import Movement, MovementRead
from cbec.errors import InvalidInput, NotFound
from cbec.logistics import repository, rules
from cbec.logistics.mappings import status_tables
from cbec.logistics.models import TrackingReview
from cbec.logistics.rules import Status
from cbec.logistics.schemas import (
    FLOW_MESSAGES,
    EventErrorRead,
    FlowIn,
    IngestReport,
    ReviewPage,
    ReviewRead,
    StalledRead,
    StallRead,
    TrackingEventIn,
    TrackRead,
    TrackStepRead,
    TransitRead,
    TransitRow,
)
from cbec.orm import utcnow
from cbec.partners import service as partners

Scope = frozenset[str] | None


def _review(
    session: Session, cache: dict[tuple[str, str, str], TrackingReview], carrier: str, system: str, code: str, text: str
) -> TrackingReview:
    key = (carrier, system, code)
    if key not in cache:
        found = repository.review_entry(session, carrier, system, code)
        if found is None:
            found = TrackingReview(carrier=carrier, code_system=system, code=code, example=text[:500], events=0)
            repository.add(session, found)
        cache[key] = found
    return cache[key]


def _decided_by_carrier(session: Session) -> dict[str, dict[tuple[str, str], Status]]:
    """What the operator decided in review: carrier → (system, code) → status."""
    out: dict[str, dict[tuple[str, str], Status]] = {}
    for (carrier, system, code), status in repository.decided(session).items():
        out.setdefault(carrier, {})[(system, code)] = Status(status)
    return out


def ingest_events(
    session: Session, events: Sequence[tuple[int, TrackingEventIn]], *, carrier: str | None, channel: str
) -> IngestReport:
    """Store carriers' events: each mapped to its one internal status, a resend of the same event
    (carrier, waybill, code, time) ignored, an unknown code stored and queued for review (never
    dropped). ``carrier`` is the sender's own code (a carrier's key), else each event names one."""
    report = IngestReport(received=len(events))
    tables, decided = status_tables(), _decided_by_carrier(session)
    ready: list[tuple[int, TrackingEventIn, str, datetime]] = []
    for line, e in events:
        who = carrier or e.carrier or ""
        at = rules.parse_time(e.time)
        problems = rules.event_problems(e.waybill_no, e.event_code, at)
        if e.carrier and carrier and e.carrier != carrier:
            problems.append(
                rules.EventProblem("carrier", "只能提交本企业的轨迹", "a carrier submits its own events only")
            )
        if not who:
            problems.append(rules.EventProblem("carrier", "须注明承运企业代码", "name the carrier's code"))
        report.errors += [EventErrorRead(line=line, field=p.field, message_zh=p.zh, message_en=p.en) for p in problems]
        if not problems and at is not None:
            ready.append((line, e, who, at))
    keys = [(who, e.waybill_no, e.event_code, at.astimezone(UTC)) for _, e, who, at in ready]
    seen = repository.existing_keys(session, keys)
    sellers = customs.sellers_of_parcels(session, [e.waybill_no for _, e, _, _ in ready])
    rows: list[dict[str, object]] = []
    reviews: dict[tuple[str, str, str], TrackingReview] = {}
    counts: Counter[str] = Counter()
    for (_, e, who, at), key in zip(ready, keys, strict=True):
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        system = rules.code_system(e.event_code, e.code_system)
        status = rules.map_code(system, e.event_code, tables, decided.get(who))
        review_id = None
        if status is None:
            entry = _review(session, reviews, who, system, e.event_code, e.description)
            entry.events += 1
            review_id = entry.id
            report.in_review += 1
        counts[status.value if status else "review"] += 1
        offset = at.utcoffset() or timedelta(0)
        rows.append(
            {
                "carrier": who, "waybill_no": e.waybill_no, "occurred_at": key[3],
                "utc_offset_minutes": int(offset.total_seconds() // 60), "location": e.location,
                "country": e.country.upper(), "code_system": system, "code": e.event_code,
                "description": e.description, "status": status.value if status else "", "review_id": review_id,
                "seller_code": sellers.get(e.waybill_no, ""), "channel": channel, "received_at": utcnow(),
            }
        )  # fmt: skip
    repository.insert_events(session, rows)
    report.stored, report.by_status = len(rows), dict(counts)
    if rows:
        audit.record(
            session, "logistics.events", carrier or "",
            {"channel": channel, "stored": len(rows), "in_review": report.in_review, "duplicates": report.duplicates},
        )  # fmt: skip
    session.flush()
    return report


def _review_read(r: TrackingReview) -> ReviewRead:
    return ReviewRead.model_validate(r, from_attributes=True)


def review_queue(session: Session, state: str | None = "open") -> ReviewPage:
    return ReviewPage(
        items=[_review_read(r) for r in repository.reviews(session, state)], statuses=[s.value for s in Status]
    )


def resolve_review(session: Session, review_id: int, status: str, note: str, *, by: str) -> ReviewRead:
    """The operator says which internal status an unknown code means: its events take it now, and
    later events with it are mapped so (for that carrier)."""
    entry = repository.get_review(session, review_id)
    if entry is None:
        raise NotFound(f"no review entry {review_id}", f"没有待审代码 {review_id}", field="review_id")
    try:
        chosen = Status(status)
    except ValueError:
        raise InvalidInput(
            f"unknown status {status!r}; one of {', '.join(s.value for s in Status)}",
            f"未知状态 {status!r}", field="status",
        ) from None  # fmt: skip
    entry.state, entry.status, entry.note = "resolved", chosen.value, note
    entry.resolved_by, entry.resolved_at = by[:60], utcnow()
    changed = repository.set_status_of_review(session, entry.id, chosen.value)
    audit.record(
        session, "logistics.review.resolve", f"{entry.carrier}:{entry.code_system}:{entry.code}",
        {"status": chosen.value, "events": changed, "note": note[:200]},
    )  # fmt: skip
    session.flush()
    return _review_read(entry)


def stalled_parcels(
    session: Session, scope: Scope, *, hours: float, unseen_hours: float, now: datetime | None = None
) -> StalledRead:
    """Parcels with no news for ``hours`` (and not delivered, returned or expired), and parcels
    customs released that no carrier reported ``unseen_hours`` after release."""
    now = now or utcnow()
    last = [(w, c, Status(s) if s else None, at) for w, c, s, at in repository.latest_per_parcel(session, scope)]
    released = customs.released_parcels(session, scope=scope)
    seen = repository.seen_parcels(session, [p.logistics_no for p in released])
    unseen = rules.never_seen([(p.logistics_no, "", p.released_at) for p in released], seen, now, unseen_hours)
    return StalledRead(
        hours=hours,
        unseen_hours=unseen_hours,
        stalled=[_stall(s) for s in rules.stalled(last, now, hours)],
        never_seen=[_stall(s) for s in unseen],
    )


def _stall(s: rules.Stall) -> StallRead:
    return StallRead(
        waybill_no=s.waybill_no, carrier=s.carrier, reason=s.reason, last_status=s.last_status, last_at=s.last_at,
        hours=s.hours,
    )  # fmt: skip


CUSTOMS_TITLES = {
    "CEB507": ("运抵（CEB507）", "arrival at the supervised site (CEB507)"),
    "CEB509": ("离境（CEB509）", "departure (CEB509)"),
    "CEB607": ("清单总分单（CEB607）", "master bill (CEB607)"),
    "CEB513": ("签收（CEB513）", "delivery status (CEB513)"),
    "CEB711": ("入库（CEB711）", "entry into the supervised site (CEB711)"),
    "CEB215": ("退运理货（CEB215）", "returned-parcel tally (CEB215)"),
}


def track(session: Session, scope: Scope, waybill_no: str) -> TrackRead:
    """A parcel's carrier events and its customs movements on one timeline."""
    number = waybill_no.strip()
    owner = customs.sellers_of_parcels(session, [number]).get(number)
    # the seller of the parcel's list sees every event of it (also those sent before the list was
    # declared, which name no seller); a carrier the events it sent
    events = repository.events_of(session, None if scope is None or owner in scope else scope, number)
    if scope is not None and not events and owner not in scope:
        raise NotFound(f"no parcel {number} of yours", f"没有您的运单 {number}", field="q")
    steps = [
        TrackStepRead(
            at=e.occurred_at,
            kind="event",
            status=e.status or "review",
            title_zh=Status(e.status).title_zh if e.status else f"待审代码 {e.code}",
            title_en=Status(e.status).title_en if e.status else f"code in review {e.code}",
            location=e.location,
            detail=f"{e.code_system}:{e.code} {e.description}".strip(),
        )
        for e in events
    ]
    for m in customs.movements_of_parcels(session, [number]):
        zh, en = CUSTOMS_TITLES.get(m.message_type, (m.message_type, m.message_type))
        steps.append(
            TrackStepRead(
                at=m.at, kind="customs", status=m.status, title_zh=zh, title_en=en, detail=m.return_info or m.cop_no
            )
        )
    if not steps:
        raise NotFound(f"no events for parcel {number}", f"运单 {number} 尚无轨迹", field="q")
    steps.sort(key=lambda s: s.at)
    latest = next((Status(e.status) for e in reversed(events) if e.status), None)
    return TrackRead(
        waybill_no=number,
        carrier=events[-1].carrier if events else "",
        status=latest.value if latest else "",
        status_zh=latest.title_zh if latest else "",
        status_en=latest.title_en if latest else "",
        departed_at=customs.departed_lists(session, [number]).get(number),
        steps=steps,
    )


def transit_times(session: Session, scope: Scope) -> TransitRead:
    """Days from dispatch (the first picked-up/export event) to delivery, by carrier and the
    delivery event's country: parcels, median and 90th percentile."""
    wanted = [s.value for s in (*rules.DISPATCHED, Status.DELIVERED)]
    first: dict[str, datetime] = {}
    done: dict[str, tuple[str, str, datetime]] = {}
    for waybill, carrier, country, status, at in repository.transit_events(session, scope, wanted):
        if status == Status.DELIVERED.value:
            done.setdefault(waybill, (carrier, country, at))
        else:
            first.setdefault(waybill, at)
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for waybill, (carrier, country, at) in done.items():
        if waybill in first and at >= first[waybill]:
            groups[(carrier, country)].append(rules.transit_days(first[waybill], at))
    rows = [
        TransitRow(
            carrier=c,
            country=k,
            parcels=len(v),
            median_days=_round(rules.percentile(v, 50)),
            p90_days=_round(rules.percentile(v, 90)),
        )
        for (c, k), v in sorted(groups.items())
    ]
    return TransitRead(rows=rows)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _cop_no(kind: str, parcels: Sequence[str], at: datetime) -> str:
    digest = hashlib.sha256("|".join([kind, *parcels]).encode()).hexdigest()[:10].upper()
    return f"{FLOW_MESSAGES[kind][3:]}{at:%y%m%d}{digest}"[:20]


def declare_flow(
    session: Session, flow: FlowIn, *, carrier: str, at: datetime | None = None, signer: Signer | None = None
) -> MovementRead:
    """A physical flow (arrival, departure, master bill, delivery, site entry, returned-parcel
    tally) pushed by a logistics company or derived from its events, declared through customs."""
    when = flow.at or at or utcnow()
    if flow.kind == "master_bill" and not (flow.bill_no and flow.voyage_no and flow.traf_name):
        raise InvalidInput(
            "a master bill needs bill_no, voyage_no and traf_name (CEB607 head)",
            "清单总分单须填提运单号、航班航次号和运输工具名称（CEB607 表头）", field="bill_no",
        )  # fmt: skip
    company = partners.find_enterprise(session, carrier)
    name = company.name if company else carrier
    movement = Movement(
        message=FLOW_MESSAGES[flow.kind], cop_no=flow.cop_no or _cop_no(flow.kind, flow.parcels, when),
        customs_code=flow.customs_code or customs.zone_customs_code(), logistics_code=carrier, logistics_name=name,
        parcels=tuple(flow.parcels), at=when, operator_code=flow.operator_code, operator_name=flow.operator_name,
        traf_mode=flow.traf_mode, traf_name=flow.traf_name, voyage_no=flow.voyage_no, bill_no=flow.bill_no,
        domestic_traf_no=flow.domestic_traf_no, gross_weight=flow.gross_weight, invt_no=flow.invt_no,
        location=flow.location, packages=tuple(flow.packages),
    )  # fmt: skip
    result = customs.declare_movement(session, movement, at=at or when, signer=signer)
    if result.created:
        audit.record(
            session, "logistics.flow", f"{movement.message}:{movement.cop_no}",
            {"carrier": carrier, "parcels": len(flow.parcels), "kind": flow.kind},
        )  # fmt: skip
    return result


def derive_flows(
    session: Session, carrier: str, *, at: datetime | None = None, signer: Signer | None = None
) -> list[MovementRead]:
    """Arrival and departure derived from the carrier's own events at the supervised site: parcels
    presented to export customs (export_customs) arrived; parcels that left the outward office of
    exchange (departed) departed. A parcel already in a movement of that kind is not sent again
    (the copNo is a digest of the parcels, so the same set gives the same copNo)."""
    out = []
    for kind, status in (("arrival", Status.EXPORT_CUSTOMS), ("departure", Status.DEPARTED)):
        parcels = repository.parcels_with_status(session, carrier, status.value)
        moved = customs.parcels_moved(session, FLOW_MESSAGES[kind], parcels)
        fresh = [p for p in parcels if p not in moved]
        if fresh:
            out.append(declare_flow(session, FlowIn(kind=kind, parcels=fresh), carrier=carrier, at=at, signer=signer))  # type: ignore[arg-type]
    return out
