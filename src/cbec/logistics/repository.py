"""Every query of logistics: tracking events and the review queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from cbec.kit.chunks import in_chunks
from cbec.logistics.models import TrackingEvent, TrackingReview

Scope = frozenset[str] | None


def scope_filter(scope: Scope) -> ColumnElement[bool] | None:
    """A carrier sees the events it sent; a seller those of its parcels."""
    if scope is None:
        return None
    return or_(TrackingEvent.carrier.in_(scope), TrackingEvent.seller_code.in_(scope))


def existing_keys(
    session: Session, keys: Sequence[tuple[str, str, str, datetime]]
) -> set[tuple[str, str, str, datetime]]:
    found: set[tuple[str, str, str, datetime]] = set()
    cols = (TrackingEvent.carrier, TrackingEvent.waybill_no, TrackingEvent.code, TrackingEvent.occurred_at)
    for chunk in in_chunks(list(keys), 200):
        for row in session.execute(select(*cols).where(tuple_(*cols).in_(chunk))):
            found.add((row[0], row[1], row[2], row[3]))
    return found


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(TrackingEvent), rows)


def decided(session: Session) -> dict[tuple[str, str, str], str]:
    """Resolved review entries: (carrier, system, code) → status."""
    return {
        (r.carrier, r.code_system, r.code): r.status
        for r in session.scalars(select(TrackingReview).where(TrackingReview.state == "resolved"))
    }


def review_entry(session: Session, carrier: str, system: str, code: str) -> TrackingReview | None:
    return session.scalars(
        select(TrackingReview).where(
            TrackingReview.carrier == carrier, TrackingReview.code_system == system, TrackingReview.code == code
        )
    ).first()


def add(session: Session, obj: TrackingReview) -> None:
    session.add(obj)
    session.flush()


def reviews(session: Session, state: str | None) -> Sequence[TrackingReview]:
    stmt = select(TrackingReview).order_by(TrackingReview.id)
    if state:
        stmt = stmt.where(TrackingReview.state == state)
    return session.scalars(stmt).all()


def get_review(session: Session, review_id: int) -> TrackingReview | None:
    return session.get(TrackingReview, review_id)


def set_status_of_review(session: Session, review_id: int, status: str) -> int:
    result = session.execute(
        update(TrackingEvent)
        .where(TrackingEvent.review_id == review_id)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def events_of(session: Session, scope: Scope, waybill_no: str) -> Sequence[TrackingEvent]:
    stmt = select(TrackingEvent).where(TrackingEvent.waybill_no == waybill_no)
    cond = scope_filter(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalars(stmt.order_by(TrackingEvent.occurred_at, TrackingEvent.id)).all()


def latest_per_parcel(session: Session, scope: Scope) -> list[tuple[str, str, str, datetime]]:
    """(waybill, carrier, status, time) of each parcel's latest event."""
    latest = (
        select(TrackingEvent.waybill_no, func.max(TrackingEvent.occurred_at).label("at"))
        .group_by(TrackingEvent.waybill_no)
        .subquery()
    )
    stmt = select(
        TrackingEvent.waybill_no, TrackingEvent.carrier, TrackingEvent.status, TrackingEvent.occurred_at
    ).join(latest, (latest.c.waybill_no == TrackingEvent.waybill_no) & (latest.c.at == TrackingEvent.occurred_at))
    cond = scope_filter(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    out: dict[str, tuple[str, str, str, datetime]] = {}
    for w, c, s, at in session.execute(stmt.order_by(TrackingEvent.id)):
        out[w] = (w, c, s, at)
    return list(out.values())


def seen_parcels(session: Session, numbers: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in in_chunks(list(numbers)):
        found.update(session.scalars(select(TrackingEvent.waybill_no).where(TrackingEvent.waybill_no.in_(chunk))))
    return found


def transit_events(
    session: Session, scope: Scope, statuses: Sequence[str]
) -> list[tuple[str, str, str, str, datetime]]:
    """(waybill, carrier, country, status, time) of events in these statuses."""
    stmt = select(
        TrackingEvent.waybill_no,
        TrackingEvent.carrier,
        TrackingEvent.country,
        TrackingEvent.status,
        TrackingEvent.occurred_at,
    ).where(TrackingEvent.status.in_(statuses))
    cond = scope_filter(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    return [tuple(r) for r in session.execute(stmt.order_by(TrackingEvent.occurred_at))]  # type: ignore[misc]


def parcels_with_status(session: Session, carrier: str, status: str) -> list[str]:
    return list(
        session.scalars(
            select(TrackingEvent.waybill_no)
            .where(TrackingEvent.carrier == carrier, TrackingEvent.status == status)
            .distinct()
        )
    )
