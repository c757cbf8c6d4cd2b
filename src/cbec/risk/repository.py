"""Queries of risk traces and hits. Functions that list hits take the caller's scope: ``None``
for every enterprise, or the enterprise codes it may see."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.orm import Session

from cbec.db import insert_missing
from cbec.intake.models import Document
from cbec.kit.chunks import in_chunks
from cbec.risk.models import RiskHit, RiskLane, RiskPriceRef, RiskStanding, RiskTrace

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


# --- lanes and standings ---------------------------------------------------------------------


def lane_counts(session: Session) -> list[tuple[str, str, bool, int]]:
    """(reason, lane, best, count) over every list laned so far."""
    stmt = select(RiskLane.reason, RiskLane.lane, RiskLane.best, func.count()).group_by(
        RiskLane.reason, RiskLane.lane, RiskLane.best
    )
    return [(r, ln, bool(b), int(n)) for r, ln, b, n in session.execute(stmt)]


def laned(session: Session, direction: str, cop_nos: Iterable[str]) -> dict[str, RiskLane]:
    out: dict[str, RiskLane] = {}
    for part in in_chunks(cop_nos):
        for row in session.scalars(select(RiskLane).where(RiskLane.direction == direction, RiskLane.cop_no.in_(part))):
            out[row.cop_no] = row
    return out


def add_lanes(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(RiskLane), rows)


def rules_hit(session: Session, doc_ids: Iterable[int]) -> dict[int, set[str]]:
    """order version → the rules that hit it and were not cleared (open, refused or a query)."""
    out: dict[int, set[str]] = {}
    for part in in_chunks(doc_ids):
        for doc_id, rule in session.execute(
            select(RiskHit.order_doc_id, RiskHit.rule).where(
                RiskHit.order_doc_id.in_(part), RiskHit.status != "cleared"
            )
        ):
            out.setdefault(doc_id, set()).add(rule)
    return out


def order_nos(session: Session, doc_ids: Iterable[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for part in in_chunks(doc_ids):
        for doc_id, order_no in session.execute(select(Document.id, Document.order_no).where(Document.id.in_(part))):
            out[doc_id] = order_no or ""
    return out


def standings(session: Session, codes: Iterable[str]) -> dict[str, RiskStanding]:
    out: dict[str, RiskStanding] = {}
    for part in in_chunks(codes):
        for row in session.scalars(select(RiskStanding).where(RiskStanding.enterprise_code.in_(part))):
            out[row.enterprise_code] = row
    return out


def standing(session: Session, code: str) -> RiskStanding | None:
    return session.scalars(select(RiskStanding).where(RiskStanding.enterprise_code == code)).first()


def add_standing(session: Session, row: RiskStanding) -> None:
    session.add(row)


def list_lanes(
    session: Session,
    scope: Scope,
    *,
    lane: str | None,
    seller_code: str | None,
    between: tuple[datetime, datetime] | None,
    offset: int,
    limit: int,
) -> tuple[int, Sequence[RiskLane]]:
    stmt = select(RiskLane)
    if scope is not None:
        stmt = stmt.where(RiskLane.seller_code.in_(scope))
    if lane:
        stmt = stmt.where(RiskLane.lane == lane)
    if seller_code:
        stmt = stmt.where(RiskLane.seller_code == seller_code)
    if between is not None:
        stmt = stmt.where(RiskLane.created_at >= between[0], RiskLane.created_at < between[1])
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(stmt.order_by(RiskLane.id.desc()).offset(offset).limit(limit)).all()
    return total, rows


def lane_rows(session: Session, scope: Scope) -> list[tuple[str, datetime]]:
    """(lane, created_at) of every list in the scope (the overview groups them by day)."""
    stmt = select(RiskLane.lane, RiskLane.created_at)
    if scope is not None:
        stmt = stmt.where(RiskLane.seller_code.in_(scope))
    return [(ln, at) for ln, at in session.execute(stmt)]


def hit_rows(session: Session, scope: Scope) -> list[tuple[str, str, datetime]]:
    """(rule, seller, created_at) of every hit in the scope."""
    stmt = select(RiskHit.rule, RiskHit.seller_code, RiskHit.created_at)
    if scope is not None:
        stmt = stmt.where(RiskHit.seller_code.in_(scope))
    return [(r, s, at) for r, s, at in session.execute(stmt)]


def price_refs(
    session: Session, keys: Iterable[tuple[str, str, str, str]]
) -> dict[tuple[str, str, str, str], RiskPriceRef]:
    """(kind, key, currency, direction) → its stored window of prices."""
    wanted = set(keys)
    out: dict[tuple[str, str, str, str], RiskPriceRef] = {}
    for part in in_chunks(sorted({k[1] for k in wanted})):
        for row in session.scalars(select(RiskPriceRef).where(RiskPriceRef.key.in_(part))):
            k = (row.kind, row.key, row.currency, row.direction)
            if k in wanted:
                out[k] = row
    return out


def lock_price_refs(
    session: Session, keys: Iterable[tuple[str, str, str, str]]
) -> dict[tuple[str, str, str, str], RiskPriceRef]:
    """The rows of these keys, created when missing and locked for update (PostgreSQL), fresh
    from the database. Nodes of the bus (decision 0015) declare orders of the same SKU or HS
    subheading at once: a key is created with INSERT … ON CONFLICT DO NOTHING (a concurrent
    node may create it first) and rows are locked in key order, so two nodes never wait on
    each other in a circle and no node's prices overwrite another's."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    new = [{"kind": k[0], "key": k[1], "currency": k[2], "direction": k[3], "prices": []} for k in wanted]
    insert_missing(session, RiskPriceRef, new, ["kind", "key", "currency", "direction"])
    order = (RiskPriceRef.kind, RiskPriceRef.key, RiskPriceRef.currency, RiskPriceRef.direction)
    out: dict[tuple[str, str, str, str], RiskPriceRef] = {}
    for part in in_chunks(sorted({k[1] for k in wanted})):
        stmt = select(RiskPriceRef).where(RiskPriceRef.key.in_(part)).order_by(*order).with_for_update()
        for row in session.scalars(stmt.execution_options(populate_existing=True)):
            out[(row.kind, row.key, row.currency, row.direction)] = row
    return {k: out[k] for k in wanted}
