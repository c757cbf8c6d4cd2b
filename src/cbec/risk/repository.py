"""Queries of risk traces and hits. Functions that list hits take the caller's scope: ``None``
for every enterprise, or the enterprise codes it may see."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.orm import Session

from cbec.kit.chunks import in_chunks
from cbec.risk.models import RiskHit, RiskTrace

Scope = frozenset[str] | None


def screened(session: Session, doc_ids: Iterable[int]) -> set[int]:
    """Which of these order versions were screened before."""
    out: set[int] = set()
    for part in in_chunks(doc_ids):
        out.update(session.scalars(select(RiskTrace.order_doc_id).where(RiskTrace.order_doc_id.in_(part))))
    return out


def hit_states(session: Session, doc_ids: Iterable[int]) -> dict[int, set[str]]:
    """order version → the statuses of its hits (none: no hit)."""
    out: dict[int, set[str]] = {}
    for part in in_chunks(doc_ids):
        for doc_id, status in session.execute(
            select(RiskHit.order_doc_id, RiskHit.status).where(RiskHit.order_doc_id.in_(part))
        ):
            out.setdefault(doc_id, set()).add(status)
    return out


def traces_near(
    session: Session, column: str, keys: Iterable[str], start: datetime, end: datetime
) -> Sequence[RiskTrace]:
    """The traces whose ``column`` (buyer_key, phone_key, address_key) is one of ``keys`` and
    that were ordered from ``start`` to ``end``."""
    attr = getattr(RiskTrace, column)
    rows: list[RiskTrace] = []
    for part in in_chunks(keys):
        rows.extend(
            session.scalars(
                select(RiskTrace).where(attr.in_(part), RiskTrace.ordered_at >= start, RiskTrace.ordered_at <= end)
            )
        )
    return rows


def add_traces(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(RiskTrace), rows)


def add_hits(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(RiskHit), rows)


def scope_filter(scope: Scope) -> ColumnElement[bool] | None:
    """A seller sees the hits on its orders; a platform those on orders placed on it."""
    if scope is None:
        return None
    return or_(RiskHit.seller_code.in_(scope), RiskHit.ebp_code.in_(scope))


def get_hit(session: Session, scope: Scope, hit_id: int) -> RiskHit | None:
    stmt = select(RiskHit).where(RiskHit.id == hit_id)
    cond = scope_filter(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalars(stmt).one_or_none()


def list_hits(
    session: Session, scope: Scope, *, status: str | None, seller_code: str | None, offset: int, limit: int
) -> tuple[int, Sequence[RiskHit]]:
    conds: list[Any] = []
    cond = scope_filter(scope)
    if cond is not None:
        conds.append(cond)
    if status:
        conds.append(RiskHit.status == status)
    if seller_code:
        conds.append(RiskHit.seller_code == seller_code)
    total = session.scalar(select(func.count()).select_from(RiskHit).where(*conds)) or 0
    rows = session.scalars(select(RiskHit).where(*conds).order_by(RiskHit.id).offset(offset).limit(limit)).all()
    return int(total), rows


def hits_for_order(session: Session, scope: Scope, order_no: str) -> Sequence[RiskHit]:
    stmt = select(RiskHit).where(RiskHit.order_no == order_no)
    cond = scope_filter(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalars(stmt.order_by(RiskHit.id)).all()


def refused_hits_since(session: Session, seller_code: str, since: datetime) -> int:
    """Hits of the seller a reviewer refused since ``since``."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(RiskHit)
            .where(RiskHit.seller_code == seller_code, RiskHit.status == "refused", RiskHit.created_at >= since)
        )
        or 0
    )
