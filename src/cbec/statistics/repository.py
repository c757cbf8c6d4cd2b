"""Read-only aggregate queries behind the dashboards. Every query takes the caller's scope:
``None`` for every enterprise, or the set of enterprise codes whose data may be counted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from cbec.customs.models import Declaration, DeclarationEvent
from cbec.matching.models import MatchResult

Scope = frozenset[str] | None

LIST_TYPES = ("CEB603", "CEB621")


def _declaration_scope(scope: Scope) -> ColumnElement[bool] | None:
    if scope is None:
        return None
    return or_(Declaration.seller_code.in_(scope), Declaration.ebp_code.in_(scope))


def _scoped(stmt: Any, scope: Scope) -> Any:
    cond = _declaration_scope(scope)
    return stmt if cond is None else stmt.where(cond)


def status_counts(session: Session, scope: Scope, since: datetime, until: datetime) -> Sequence[tuple[str, int]]:
    """Lists (CEB603/621) created in [since, until) by their current status."""
    stmt = (
        select(Declaration.status, func.count())
        .where(
            Declaration.message_type.in_(LIST_TYPES),
            Declaration.created_at >= since,
            Declaration.created_at < until,
        )
        .group_by(Declaration.status)
    )
    return [(s, n) for s, n in session.execute(_scoped(stmt, scope))]


def value_by(
    session: Session, scope: Scope, since: datetime, until: datetime, column: str
) -> Sequence[tuple[str, str, int, Any]]:
    """(key, currency, lists, declared value) of export lists grouped by country or trade mode."""
    col = Declaration.country if column == "country" else Declaration.trade_mode
    stmt = (
        select(col, Declaration.currency, func.count(), func.sum(Declaration.total_value))
        .where(
            Declaration.message_type == "CEB603",
            Declaration.created_at >= since,
            Declaration.created_at < until,
        )
        .group_by(col, Declaration.currency)
    )
    return [(k or "", c or "", n, v) for k, c, n, v in session.execute(_scoped(stmt, scope))]


def list_times(session: Session, scope: Scope, since: datetime, until: datetime) -> Sequence[tuple[datetime, str]]:
    """Creation time and status of each list in the period (bucketed by day in the service, so
    the day boundary is Beijing time on every database)."""
    stmt = select(Declaration.created_at, Declaration.status).where(
        Declaration.message_type.in_(LIST_TYPES),
        Declaration.created_at >= since,
        Declaration.created_at < until,
    )
    return [(t, s) for t, s in session.execute(_scoped(stmt, scope))]


def match_state_counts(session: Session, scope: Scope) -> Sequence[tuple[str, int]]:
    stmt = select(MatchResult.state, func.count()).where(MatchResult.is_current.is_(True)).group_by(MatchResult.state)
    if scope is not None:
        stmt = stmt.where(MatchResult.seller_code.in_(scope))
    return [(s, n) for s, n in session.execute(stmt)]


def rejection_reasons(
    session: Session, scope: Scope, since: datetime, until: datetime, limit: int = 10
) -> Sequence[tuple[int | None, str, int]]:
    """The most frequent customs rejections (returnStatus 100 or negative, CEB900) in the period."""
    stmt = (
        select(DeclarationEvent.return_status, DeclarationEvent.return_info, func.count())
        .join(Declaration, Declaration.id == DeclarationEvent.declaration_id)
        .where(
            DeclarationEvent.after == "rejected",
            DeclarationEvent.at >= since,
            DeclarationEvent.at < until,
        )
        .group_by(DeclarationEvent.return_status, DeclarationEvent.return_info)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(rs, info or "", n) for rs, info, n in session.execute(_scoped(stmt, scope))]


def not_matched_reasons(session: Session, scope: Scope, limit: int = 10) -> Sequence[tuple[str, int]]:
    stmt = (
        select(MatchResult.reason, func.count())
        .where(MatchResult.is_current.is_(True), MatchResult.state != "matched")
        .group_by(MatchResult.reason)
        .order_by(func.count().desc())
        .limit(limit)
    )
    if scope is not None:
        stmt = stmt.where(MatchResult.seller_code.in_(scope))
    return [(r or "", n) for r, n in session.execute(stmt)]
