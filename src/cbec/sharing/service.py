"""Publishing events into the outbox, managing subscriptions, and the two steps of a dispatch
pass (claim, settle) that the dispatcher runs around its HTTP posts (issue 20, item 4).

Any area calls ``publish(session, event)`` in its own unit of work: the delivery rows commit with
the change that caused them and vanish with it on a rollback (a transactional outbox), so a
partner never hears of a change that did not happen, nor misses one that did."""

from __future__ import annotations

import random
import socket
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from cbec.config import Settings
from cbec.errors import InvalidInput, NotFound
from cbec.kit.paging import PageRequest
from cbec.orm import utcnow
from cbec.sharing import repository
from cbec.sharing import rules as r
from cbec.sharing.models import Delivery, Subscription
from cbec.sharing.repository import DEAD, DELIVERED, PENDING
from cbec.sharing.schemas import (
    DeliveryPage,
    DeliveryRead,
    Event,
    EventType,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)

Resolver = Callable[[str, int], list[str]]
_CACHE = "cbec.sharing.subscribers"
Subscribers = dict[tuple[str, str], list[int]]  # (event type, enterprise) → subscription ids


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (empty when it does not)."""
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
    except (socket.gaierror, UnicodeError):
        return []


def reach_of(settings: Settings) -> r.Reach:
    return r.Reach(loopback=settings.webhook_allow_loopback, private=settings.webhook_allow_private)


def schedule_of(settings: Settings) -> r.Schedule:
    return r.Schedule(
        settings.webhook_retry_base_seconds, settings.webhook_retry_cap_seconds, settings.webhook_max_attempts
    )


# --- publishing --------------------------------------------------------------------------------


def _subscribers(session: Session) -> Subscribers:
    """The active subscriptions, read once per transaction (a batch publishes thousands of events)."""
    cached = session.info.get(_CACHE)
    if cached is not None and cached[0] is session.get_transaction():
        subs: Subscribers = cached[1]
        return subs
    subs = {}
    for sub_id, enterprise, types in repository.active_subscriptions(session):
        for t in types:
            subs.setdefault((t, enterprise), []).append(sub_id)
    session.info[_CACHE] = (session.get_transaction(), subs)
    return subs


def listens(session: Session, *types: EventType) -> bool:
    """Whether any subscription wants one of these types: a batch path skips building events when not."""
    return any(t in types for t, _ in _subscribers(session))


def publish(session: Session, event: Event) -> int:
    """Queue ``event`` for every subscription that wants it; the number of deliveries queued."""
    return publish_many(session, (event,))


def publish_many(session: Session, events: Iterable[Event]) -> int:
    subs = _subscribers(session)
    if not subs:
        return 0
    now = utcnow()
    wanted: list[tuple[Event, str, list[int]]] = []
    for event in events:
        targets = sorted({s for e in event.enterprises() for s in subs.get((event.type.value, e), ())})
        if targets:
            wanted.append((event, event.ordering_key()[:120], targets))
    ids = repository.add_events(
        session,
        [{"type": e.type.value, "ordering_key": k, "payload": e.data(), "occurred_at": now} for e, k, _ in wanted],
    )
    rows = [
        {
            "uid": str(uuid.uuid4()), "subscription_id": s, "event_id": event_id, "event_type": e.type.value,
            "ordering_key": key, "status": PENDING, "attempts": 0, "replays": 0, "next_attempt_at": now,
            "created_at": now, "last_error": "",
        }
        for event_id, (e, key, targets) in zip(ids, wanted, strict=True)
        for s in targets
    ]  # fmt: skip
    repository.insert_deliveries(session, rows)
    return len(rows)


# --- subscriptions -----------------------------------------------------------------------------


def _read(sub: Subscription, counts: dict[str, int] | None = None) -> SubscriptionRead:
    c = counts or {}
    return SubscriptionRead(
        id=sub.id, enterprise_code=sub.enterprise_code, url=sub.url, event_types=list(sub.event_types),
        description=sub.description, is_active=sub.is_active, created_at=sub.created_at,
        pending=c.get(PENDING, 0), delivered=c.get(DELIVERED, 0), dead=c.get(DEAD, 0),
    )  # fmt: skip


def check_receiver(settings: Settings, url: str, resolver: Resolver = resolve) -> None:
    """Refuse a URL the platform must not call (scheme, then every address its host resolves to)."""
    reach = reach_of(settings)
    host, port = r.check_url(url, reach)
    r.check_addresses(host, resolver(host, port), reach)


def create_subscription(
    session: Session,
    settings: Settings,
    data: SubscriptionCreate,
    *,
    enterprise: str,
    created_by: str,
    resolver: Resolver = resolve,
) -> SubscriptionCreated:
    """A new subscription for ``enterprise`` (the caller decided whose: see the edges); the answer
    carries the signing secret, which is never shown again."""
    url = data.url.strip()
    check_receiver(settings, url, resolver)
    secret = r.new_secret()
    sub = repository.add_subscription(
        session, enterprise_code=enterprise, url=url, event_types=sorted({t.value for t in data.event_types}),
        secret_sealed=r.seal_secret(secret, settings.secret_key), description=data.description,
        created_by=created_by[:100], is_active=True, created_at=utcnow(),
    )  # fmt: skip
    session.info.pop(_CACHE, None)
    return SubscriptionCreated(**_read(sub).model_dump(), secret=secret)


def _own(session: Session, scope: frozenset[str] | None, sub_id: int) -> Subscription:
    sub = repository.get_subscription(session, sub_id)
    if sub is None or not sub.is_active or (scope is not None and sub.enterprise_code not in scope):
        raise NotFound(f"no subscription {sub_id}", f"没有编号为 {sub_id} 的订阅", field="subscription")
    return sub


def list_subscriptions(session: Session, scope: frozenset[str] | None) -> list[SubscriptionRead]:
    if scope is not None and not scope:
        return []
    subs = [s for s in repository.subscriptions(session, None) if scope is None or s.enterprise_code in scope]
    counts = repository.status_counts(session, [s.id for s in subs])
    return [_read(s, counts.get(s.id)) for s in subs]


def get_subscription(session: Session, scope: frozenset[str] | None, sub_id: int) -> SubscriptionRead:
    sub = _own(session, scope, sub_id)
    return _read(sub, repository.status_counts(session, [sub.id]).get(sub.id))


def delete_subscription(session: Session, scope: frozenset[str] | None, sub_id: int) -> SubscriptionRead:
    """Stop a subscription: nothing more is queued for it and what was waiting is cancelled; its
    log stays."""
    sub = _own(session, scope, sub_id)
    now = utcnow()
    sub.is_active = False
    sub.deleted_at = now
    repository.cancel_pending(session, sub.id, now)
    session.flush()
    session.info.pop(_CACHE, None)
    return _read(sub)


def _delivery_read(d: Delivery) -> DeliveryRead:
    return DeliveryRead(
        id=d.id, delivery_id=d.uid, subscription_id=d.subscription_id, event_type=d.event_type,
        ordering_key=d.ordering_key, status=d.status, attempts=d.attempts, replays=d.replays,
        next_attempt_at=d.next_attempt_at if d.status == PENDING else None, last_status_code=d.last_status_code,
        last_error=d.last_error, created_at=d.created_at, delivered_at=d.delivered_at,
    )  # fmt: skip


def deliveries(
    session: Session,
    scope: frozenset[str] | None,
    req: PageRequest,
    *,
    subscription_id: int | None = None,
    status: str | None = None,
) -> DeliveryPage:
    """The delivery log: one subscription's, or (operator) every one's, newest first."""
    ids: list[int] | None
    if subscription_id is not None:
        ids = [_own(session, scope, subscription_id).id]
    elif scope is None:
        ids = None
    else:
        ids = [s.id for s in repository.subscriptions(session, None) if s.enterprise_code in scope]
    rows, total = repository.deliveries(
        session, subscription_ids=ids, status=status, offset=req.offset, limit=req.page_size
    )
    return DeliveryPage(items=[_delivery_read(d) for d in rows], total=total)


def replay(session: Session, *, delivery_ids: Sequence[int] | None = None, subscription_id: int | None = None) -> int:
    """Put dead letters back in the queue (the operator's decision, once the receiver is fixed):
    one, several, or every dead letter of a subscription. Same delivery id, so a receiver that
    did get it after all drops the copy."""
    if delivery_ids is None and subscription_id is None:
        raise InvalidInput("name the deliveries or the subscription to replay", "请指定要重发的投递或订阅", field="ids")
    return repository.replay(session, ids=delivery_ids, subscription_id=subscription_id, now=utcnow())


# --- a dispatch pass ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One delivery to post: the bytes to send, and the secret to sign them with at send time."""

    id: int
    uid: str
    attempt: int
    event_type: str
    url: str
    body: bytes
    secret: str | None  # None: sealed under another CBEC_SECRET_KEY


@dataclass(frozen=True, slots=True)
class Outcome:
    id: int
    subscription_id: int
    attempts_before: int
    status_code: int | None
    error: str
    duration_ms: int


def _envelope(c: repository.Claimed) -> dict[str, Any]:
    return {
        "id": c.uid, "type": c.event_type, "event_id": c.event_id, "occurred_at": c.occurred_at.isoformat(),
        "ordering_key": c.ordering_key, "enterprise": c.enterprise_code, "data": c.payload,
    }  # fmt: skip


def claim(session: Session, settings: Settings, *, limit: int) -> list[tuple[Outgoing, int]]:
    """Take up to ``limit`` due deliveries (one per ordering key) under a lease long enough to
    post them; a dispatcher that dies holding them leaves them to the next pass after the lease."""
    now = utcnow()
    ids = repository.due(session, now, limit)
    if not ids:
        return []
    token = uuid.uuid4().hex
    until = now + timedelta(seconds=settings.webhook_timeout_seconds * 3 + 30)
    repository.lease(session, ids, token=token, until=until, now=now)
    return [
        (
            Outgoing(
                c.id,
                c.uid,
                c.attempts + 1,
                c.event_type,
                c.url,
                r.body_of(_envelope(c)),
                r.open_secret(c.secret_sealed, settings.secret_key),
            ),
            c.subscription_id,
        )
        for c in repository.claimed(session, token)
    ]


def settle(session: Session, settings: Settings, outcomes: Sequence[Outcome], *, rng: random.Random) -> dict[str, int]:
    """Record each attempt and move each delivery on: delivered, due again after the backoff, or
    a dead letter once the schedule is exhausted."""
    schedule = schedule_of(settings)
    now = utcnow()
    updates: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    counts = {"delivered": 0, "failed": 0, "dead": 0}
    for o in outcomes:
        attempts = o.attempts_before + 1
        row: dict[str, Any] = {"id": o.id, "attempts": attempts, "lease_until": None, "claim": None}
        row["last_status_code"] = o.status_code
        row["last_error"] = o.error[:300]
        if o.status_code is not None and r.is_success(o.status_code):
            row.update(status=DELIVERED, delivered_at=now, next_attempt_at=None)
            outcome = "delivered"
        elif schedule.is_exhausted(attempts):
            row.update(status=DEAD, next_attempt_at=None)
            outcome = "dead"
        else:
            row["next_attempt_at"] = now + timedelta(seconds=schedule.delay(attempts, rng.random()))
            outcome = "retry"
            counts["failed"] += 1
        counts[outcome] = counts.get(outcome, 0) + 1
        updates.append(row)
        log.append(
            {
                "delivery_id": o.id,
                "subscription_id": o.subscription_id,
                "at": now,
                "status_code": o.status_code,
                "error": o.error[:300],
                "duration_ms": o.duration_ms,
                "outcome": outcome,
            }
        )
    repository.settle(session, updates, log)
    counts.pop("retry", None)
    return counts
