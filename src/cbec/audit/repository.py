"""Every query of the audit trail."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from cbec.audit.models import AuditEntry


def lock_chain(session: Session) -> None:
    """Entries are appended one after the other: hold the chain's head until the transaction
    ends (PostgreSQL: an advisory transaction lock; SQLite: its one write lock, taken now)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('audit-chain', 0))"))
    elif dialect == "sqlite":
        session.execute(text("DELETE FROM audit_entry WHERE 0 = 1"))


def last(session: Session) -> AuditEntry | None:
    return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()


def add(session: Session, **values: object) -> None:
    session.execute(insert(AuditEntry).values(**values))


COLUMNS = (
    AuditEntry.id, AuditEntry.at, AuditEntry.actor_kind, AuditEntry.actor, AuditEntry.enterprise_code,
    AuditEntry.origin, AuditEntry.action, AuditEntry.target, AuditEntry.detail, AuditEntry.prev_hash, AuditEntry.hash,
)  # fmt: skip


def in_order(session: Session, batch: int = 2000) -> Iterator[tuple[Any, ...]]:
    """Every entry's columns (``COLUMNS``), oldest first, read in batches (the chain can be long)."""
    after = 0
    while True:
        rows = session.execute(select(*COLUMNS).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return
        yield from (tuple(r) for r in rows)
        after = rows[-1][0]


def page(
    session: Session, *, action: str | None, enterprise: str | None, offset: int, limit: int
) -> tuple[Sequence[AuditEntry], int]:
    stmt = select(AuditEntry)
    count = select(func.count()).select_from(AuditEntry)
    if action:
        stmt, count = stmt.where(AuditEntry.action == action), count.where(AuditEntry.action == action)
    if enterprise:
        stmt = stmt.where(AuditEntry.enterprise_code == enterprise)
        count = count.where(AuditEntry.enterprise_code == enterprise)
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).offset(offset).limit(limit)).all()
    return rows, int(session.scalar(count) or 0)
