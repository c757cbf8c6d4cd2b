"""Read-only aggregate queries behind the dashboards. Every query takes the caller's scope:
``None`` for every enterprise, or the set of enterprise codes whose data may be counted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, case, func, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from cbec.customs.models import Declaration, DeclarationEvent
from cbec.matching.models import MatchResult
from cbec.statistics.models import StatLine, StatList
from cbec.statistics.rules import COUNTED_STATUSES, LINE_DIMENSIONS

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


# --- the indicators (issue 20): the counted lists and their lines ------------------------------


def lists_to_index(session: Session, limit: int) -> Sequence[tuple[int, datetime, str, Any, dict[str, Any], str, int]]:
    """Lists not yet in ``stat_list``, oldest first: (id, created_at, currency, total_value,
    entity, country, order key: the first list id of the same platform and order number)."""
    first = aliased(Declaration)
    order_key = (
        select(func.min(first.id))
        .where(
            first.ebp_code == Declaration.ebp_code,
            first.order_no == Declaration.order_no,
            first.message_type.in_(LIST_TYPES),
        )
        .scalar_subquery()
    )
    stmt = (
        select(
            Declaration.id,
            Declaration.created_at,
            Declaration.currency,
            Declaration.total_value,
            Declaration.entity,
            Declaration.country,
            order_key,
        )
        .outerjoin(StatList, StatList.declaration_id == Declaration.id)
        .where(Declaration.message_type.in_(LIST_TYPES), StatList.declaration_id.is_(None))
        .order_by(Declaration.id)
        .limit(limit)
    )
    return [(i, t, c or "", v, e or {}, k or "", o or i) for i, t, c, v, e, k, o in session.execute(stmt)]


def add_indexed(session: Session, lists: Sequence[dict[str, Any]], lines: Sequence[dict[str, Any]]) -> None:
    """Bulk insert of counted lists and their lines (executemany, no ORM objects)."""
    # Core inserts (executemany) rather than the ORM's bulk path: a year is a million rows
    if lists:
        session.execute(insert(cast(Table, StatList.__table__)), list(lists))
    if lines:
        session.execute(insert(cast(Table, StatLine.__table__)), list(lines))


def _key_column(name: str) -> Any:
    return {
        "mode": Declaration.trade_mode,
        "direction": Declaration.direction,
        "month": StatList.month,
        "day": StatList.day,
        "country": StatList.country,
        "seller": Declaration.seller_code,
        "platform": Declaration.ebp_code,
        "chapter": StatLine.chapter,
        "heading": StatLine.heading,
    }[name]


def _counted(stmt: Any, scope: Scope, first: str | None, last: str | None, filters: Mapping[str, str]) -> Any:
    """Released lists of the period (months first..last, None: open), scope and cell filters."""
    # With a first month, ``status || ''`` hides the status index, so the planner goes from the
    # period's counted rows (ix_stat_list_month) to their declarations rather than from every
    # released declaration to the period (a month of a year of 200,000 lists on SQLite: 0.03 s
    # instead of 0.7 s); without one, the status index is the better start (0.7 s instead of
    # 2.4 s by seller). stat_list holds lists only.
    status = Declaration.status if first is None else Declaration.status + ""
    stmt = stmt.where(status.in_(COUNTED_STATUSES))
    if first is not None:
        stmt = stmt.where(StatList.month >= first)
    if last is not None:
        stmt = stmt.where(StatList.month <= last)
    for name, value in filters.items():
        stmt = stmt.where(_key_column(name) == value)
    return _scoped(stmt, scope)


def figures(
    session: Session,
    scope: Scope,
    first: str | None,
    last: str | None,
    keys: Sequence[str],
    filters: Mapping[str, str],
) -> Sequence[tuple[Any, ...]]:
    """One GROUP BY over the counted lists: (*keys, lists, orders, parcels, lines, value_cny,
    unconverted lists). With a line dimension (HS chapter/heading) among the keys or filters the
    rows are lines: lists and orders are counted distinct, parcels are not counted (0)."""
    cols = [_key_column(k) for k in keys]
    by_line = bool(LINE_DIMENSIONS.intersection(keys) or LINE_DIMENSIONS.intersection(filters))
    order_key = func.count(func.distinct(StatList.order_key))
    if by_line:
        aggregates = [
            func.count(func.distinct(StatLine.declaration_id)),
            order_key,
            literal(0),
            func.count(StatLine.id),
            func.sum(StatLine.value_cny),
            func.count(func.distinct(case((StatLine.value_cny.is_(None), StatLine.declaration_id)))),
        ]
        base = (
            select(*cols, *aggregates)
            .select_from(StatLine)
            .join(StatList, StatList.declaration_id == StatLine.declaration_id)
            .join(Declaration, Declaration.id == StatList.declaration_id)
        )
    else:
        aggregates = [
            func.count(),
            order_key,
            func.coalesce(func.sum(StatList.parcels), 0),
            literal(0),
            func.sum(StatList.value_cny),
            func.coalesce(func.sum(case((StatList.value_cny.is_(None), 1), else_=0)), 0),
        ]
        base = (
            select(*cols, *aggregates)
            .select_from(StatList)
            .join(Declaration, Declaration.id == StatList.declaration_id)
        )
    stmt = _counted(base, scope, first, last, filters)
    if cols:
        stmt = stmt.group_by(*cols).order_by(*cols)
    return [tuple(row) for row in session.execute(stmt)]


def first_months(session: Session, scope: Scope, last: str | None) -> Sequence[tuple[str, str]]:
    """Each seller's first month with a counted list, up to ``last`` (for the new enterprises)."""
    first = func.min(StatList.month)
    stmt = _counted(
        select(Declaration.seller_code, first)
        .select_from(StatList)
        .join(Declaration, Declaration.id == StatList.declaration_id),
        scope,
        None,
        last,
        {},
    ).group_by(Declaration.seller_code)
    return [(s, m) for s, m in session.execute(stmt)]


def counted_lists(
    session: Session,
    scope: Scope,
    first: str | None,
    last: str | None,
    filters: Mapping[str, str],
    *,
    offset: int,
    limit: int,
) -> tuple[int, Sequence[tuple[Any, ...]]]:
    """The lists behind a cell (drill-down): total and one page of (id, day, mode, direction,
    country, seller, platform, order no, invt no, currency, value, value_cny, status). No buyer."""
    cols = (
        Declaration.id, StatList.day, Declaration.trade_mode, Declaration.direction, StatList.country,
        Declaration.seller_code, Declaration.ebp_code, Declaration.order_no, Declaration.invt_no,
        Declaration.currency, Declaration.total_value, StatList.value_cny, Declaration.status,
    )  # fmt: skip
    base = select(*cols).select_from(StatList).join(Declaration, Declaration.id == StatList.declaration_id)
    if LINE_DIMENSIONS.intersection(filters):
        lines = select(StatLine.declaration_id)
        for name in LINE_DIMENSIONS.intersection(filters):
            lines = lines.where(_key_column(name) == filters[name])
        base = base.where(StatList.declaration_id.in_(lines))
        filters = {k: v for k, v in filters.items() if k not in LINE_DIMENSIONS}
    stmt = _counted(base, scope, first, last, filters)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = session.execute(stmt.order_by(StatList.day, Declaration.id).offset(offset).limit(limit))
    return total, [tuple(r) for r in page]


def released_exports(session: Session, scope: Scope, first: str | None, last: str | None) -> Sequence[tuple[Any, ...]]:
    """Released export lists of the period for the tax and FX bureaux: (seller, day, release
    time, mode, country, platform, order no, invt no, currency, value, value_cny, rate, rate day,
    rate source), by seller then day."""
    released = (
        select(DeclarationEvent.declaration_id, func.min(DeclarationEvent.at).label("at"))
        .where(DeclarationEvent.after == "released")
        .group_by(DeclarationEvent.declaration_id)
        .subquery()
    )
    stmt = (
        select(
            Declaration.seller_code,
            StatList.day,
            released.c.at,
            Declaration.trade_mode,
            StatList.country,
            Declaration.ebp_code,
            Declaration.order_no,
            Declaration.invt_no,
            Declaration.currency,
            Declaration.total_value,
            StatList.value_cny,
            StatList.rate,
            StatList.rate_on,
            StatList.rate_source,
        )
        .select_from(StatList)
        .join(Declaration, Declaration.id == StatList.declaration_id)
        .outerjoin(released, released.c.declaration_id == Declaration.id)
        .where(Declaration.direction == "export")
    )
    stmt = _counted(stmt, scope, first, last, {}).order_by(Declaration.seller_code, StatList.day, Declaration.id)
    return [tuple(r) for r in session.execute(stmt)]
