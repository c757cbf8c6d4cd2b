"""Recording and verifying the audit trail (issue 21, part 2). ``record`` is called by the
services that change something on a person's or a partner's behalf, in the caller's transaction
(the entry commits or rolls back with the change); who and from where come from the edge
(``acting_as``: the web request's principal, the CLI's user), else the platform itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import repository
from cbec.audit import rules as r
from cbec.audit.schemas import AuditEntryRead, AuditPage, AuditVerifyRead
from cbec.kit.paging import PageRequest
from cbec.orm import utcnow

_actor: ContextVar[r.Actor] = ContextVar("cbec_audit_actor", default=r.SYSTEM)


def set_actor(actor: r.Actor) -> None:
    """Who acts for the rest of this request or command (the edge sets it once)."""
    _actor.set(actor)


@contextmanager
def acting_as(actor: r.Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> r.Actor:
    return _actor.get()


def record(session: Session, action: str, target: str = "", detail: dict[str, Any] | None = None) -> None:
    """Append an entry to the chain in the caller's transaction."""
    repository.lock_chain(session)
    head = repository.last(session)
    seq = (head.id if head else 0) + 1
    entry = r.Entry(
        seq, utcnow(), current_actor(), action[:40], target[:200], dict(detail or {}), head.hash if head else r.GENESIS
    )
    a = entry.actor
    repository.add(
        session, id=seq, at=entry.at, actor_kind=a.kind[:10], actor=a.name[:100], enterprise_code=a.enterprise[:18],
        origin=a.origin[:100], action=entry.action, target=entry.target, detail=entry.detail, prev_hash=entry.prev,
        hash=r.digest(entry),
    )  # fmt: skip


def _entry(row: tuple[Any, ...]) -> r.Entry:
    seq, at, kind, actor, enterprise, origin, action, target, detail, prev, hash_ = row
    return r.Entry(seq, at, r.Actor(kind, actor, enterprise, origin), action, target, detail, prev, hash_)


def verify(session: Session) -> AuditVerifyRead:
    """Recompute the whole chain; name the first entry that was changed, removed or reordered."""
    checked, broken = r.verify(_entry(row) for row in repository.in_order(session))
    if broken is None:
        return AuditVerifyRead(entries=checked, intact=True)
    return AuditVerifyRead(
        entries=checked, intact=False, broken_at=broken.seq, message_en=broken.why_en, message_zh=broken.why_zh
    )


def entries(
    session: Session, req: PageRequest, *, action: str | None = None, enterprise: str | None = None
) -> AuditPage:
    rows, total = repository.page(session, action=action, enterprise=enterprise, offset=req.offset, limit=req.page_size)
    return AuditPage(items=[AuditEntryRead.model_validate(e, from_attributes=True) for e in rows], total=total)
