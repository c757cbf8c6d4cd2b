"""Every query of the sharing area."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from cbec.kit.chunks import in_chunks
from cbec.sharing.models import Delivery, DeliveryAttempt, SharedEvent, Subscription

PENDING, DELIVERED, DEAD, CANCELLED = "pending", "delivered", "dead", "cancelled"


# --- subscriptions -----------------------------------------------------------------------------


def active_subscriptions(session: Session) -> list[tuple[int, str, list[str]]]:
    rows = session.execute(
        select(Subscription.id, Subscription.enterprise_code, Subscription.event_types).where(Subscription.is_active)
    ).all()
    return [(i, e, list(t)) for i, e, t in rows]


def add_subscription(session: Session, **values: Any) -> Subscription:
    sub = Subscription(**values)
    session.add(sub)
    session.flush()
    return sub


def get_subscription(session: Session, sub_id: int) -> Subscription | None:
    return session.get(Subscription, sub_id)


def subscriptions(session: Session, enterprise: str | None) -> Sequence[Subscription]:
    stmt = select(Subscription).where(Subscription.is_active).order_by(Subscription.id)
    if enterprise is not None:
        stmt = stmt.where(Subscription.enterprise_code == enterprise)
    return session.scalars(stmt).all()


def status_counts(session: Session, sub_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for part in in_chunks(list(sub_ids)):
        rows = session.execute(
            select(Delivery.subscription_id, Delivery.status, func.count())
            .where(Delivery.subscription_id.in_(part))
            .group_by(Delivery.subscription_id, Delivery.status)
        ).all()
        for sub_id, status, n in rows:
            out.setdefault(sub_id, {})[status] = n
    return out


def cancel_pending(session: Session, sub_id: int, now: datetime) -> int:
    result = session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == sub_id, Delivery.status == PENDING)
        .values(status=CANCELLED, next_attempt_at=None, lease_until=None, last_error="subscription deleted")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- the outbox --------------------------------------------------------------------------------


def add_events(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the events (``type``, ``ordering_key``, ``payload``, ``occurred_at``); their ids, in order."""
    if not rows:
        return []
    stmt = insert(SharedEvent).returning(SharedEvent.id, sort_by_parameter_order=True)
    return [int(i) for i in session.scalars(stmt, rows)]


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 2000):
        session.execute(insert(Delivery), rows[start : start + 2000])


def due(session: Session, now: datetime, limit: int) -> list[int]:
    """Deliveries to attempt now: pending, due, not leased, and first of their (subscription,
    ordering key) queue, so a later event for a key waits while an earlier one is retrying."""
    earlier = aliased(Delivery)
    blocked = (
        select(earlier.id)
        .where(
            earlier.subscription_id == Delivery.subscription_id,
            earlier.ordering_key == Delivery.ordering_key,
            earlier.status == PENDING,
            earlier.id < Delivery.id,
        )
        .exists()
    )
    stmt = (
        select(Delivery.id)
        .where(
            Delivery.status == PENDING,
            Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            ~blocked,
        )
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    return list(session.scalars(stmt))


def lease(session: Session, ids: list[int], *, token: str, until: datetime, now: datetime) -> None:
    """Mark the deliveries as taken by this dispatcher until ``until`` (another dispatcher that
    read them too finds the lease and leaves them: the WHERE is evaluated again under the row lock)."""
    for part in in_chunks(ids):
        session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(part),
                Delivery.status == PENDING,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now),
            )
            .values(claim=token, lease_until=until)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    uid: str
    attempts: int
    event_type: str
    ordering_key: str
    event_id: int
    payload: dict[str, Any]
    occurred_at: datetime
    subscription_id: int
    enterprise_code: str
    url: str
    secret_sealed: str


def claimed(session: Session, token: str) -> list[Claimed]:
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.uid,
            Delivery.attempts,
            Delivery.event_type,
            Delivery.ordering_key,
            SharedEvent.id,
            SharedEvent.payload,
            SharedEvent.occurred_at,
            Subscription.id,
            Subscription.enterprise_code,
            Subscription.url,
            Subscription.secret_sealed,
        )
        .join(SharedEvent, SharedEvent.id == Delivery.event_id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.claim == token, Delivery.status == PENDING)
        .order_by(Delivery.id)
    ).all()
    return [Claimed(*row) for row in rows]


def settle(session: Session, deliveries: list[dict[str, Any]], attempts: list[dict[str, Any]]) -> None:
    """Write each delivery's new state (an UPDATE by primary key each) and its attempt rows."""
    if deliveries:
        session.execute(update(Delivery), deliveries)
    if attempts:
        session.execute(insert(DeliveryAttempt), attempts)


# --- the log and the operator ------------------------------------------------------------------


def deliveries(
    session: Session, *, subscription_ids: Sequence[int] | None, status: str | None, offset: int, limit: int
) -> tuple[Sequence[Delivery], int]:
    conds: list[ColumnElement[bool]] = []
    if subscription_ids is not None:
        conds.append(Delivery.subscription_id.in_(subscription_ids))
    if status:
        conds.append(Delivery.status == status)
    where = and_(True, *conds)
    total = int(session.scalar(select(func.count()).select_from(Delivery).where(where)) or 0)
    rows = session.scalars(select(Delivery).where(where).order_by(Delivery.id.desc()).offset(offset).limit(limit)).all()
    return rows, total


def get_delivery(session: Session, delivery_id: int) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def replay(session: Session, *, ids: Sequence[int] | None, subscription_id: int | None, now: datetime) -> int:
    """Dead letters back in the queue, as new: attempts from zero, due now, same delivery id."""
    live = select(Subscription.id).where(Subscription.is_active)
    stmt = update(Delivery).where(Delivery.status == DEAD, Delivery.subscription_id.in_(live))
    if ids is not None:
        stmt = stmt.where(Delivery.id.in_(ids))
    if subscription_id is not None:
        stmt = stmt.where(Delivery.subscription_id == subscription_id)
    result = session.execute(
        stmt.values(
            status=PENDING, attempts=0, replays=Delivery.replays + 1, next_attempt_at=now, lease_until=None, claim=None
        ).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def attempts_of(session: Session, delivery_id: int) -> Sequence[DeliveryAttempt]:
    return session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)
    ).all()
