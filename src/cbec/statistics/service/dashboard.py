"""Dashboard figures: declarations by status, export value by market and trade mode, the daily
trend, the match rate and the top rejection reasons. Read-only; no personal data ever leaves
here (the regulator view is built on it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cbec.errors import InvalidInput
from cbec.kit.codes import code_lists
from cbec.statistics import repository
from cbec.statistics.repository import Scope
from cbec.statistics.schemas import (
    DashboardRead,
    DayRead,
    DestinationRead,
    MatchingFiguresRead,
    PeriodRead,
    ReasonCountRead,
    RejectionRead,
    TradeModeRead,
)

#: the customs day is Beijing time (receipts' returnTime are in UTC+8, CEB.md §3)
BEIJING = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366


def period(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """A closed period of days, default the last 30 days up to today."""
    end = end or today
    start = start or end - timedelta(days=29)
    if start > end:
        raise InvalidInput("the period starts after it ends", "统计期间的开始日期晚于结束日期", field="from")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days", f"统计期间最长 {MAX_DAYS} 天", field="to")
    return start, end


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) of Beijing days, in UTC. Days outside 1900–2999 are refused (no
    declaration is dated there, and the ends of the calendar cannot be shifted by a time zone)."""
    for name, d in (("from", start), ("to", end)):
        if not 1900 <= d.year <= 2999:
            raise InvalidInput(
                f"{name} {d.isoformat()} is outside the years 1900–2999",
                f"{name} {d.isoformat()} 超出 1900–2999 年的范围",
                field=name,
            )
    since = datetime.combine(start, time.min, BEIJING).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, BEIJING).astimezone(UTC)
    return since, until


def _iso_currency(code: str) -> str:
    """A CEB currency code (502) as ISO 4217 (USD)."""
    c = code_lists().currencies.get(code)
    return (c.iso or code) if c else code


def _add_value(values: dict[str, Decimal], code: str, value: Decimal | None) -> None:
    currency = _iso_currency(code)
    values[currency] = values.get(currency, Decimal(0)) + (value or Decimal(0))


def _by_destination(session: Session, scope: Scope, since: datetime, until: datetime) -> list[DestinationRead]:
    countries = code_lists().countries
    rows: dict[str, DestinationRead] = {}
    for key, code, n, value in repository.value_by(session, scope, since, until, "country"):
        c = countries.get(key)
        row = rows.setdefault(
            key,
            DestinationRead(
                code=key, name_zh=c.name_zh if c else key, name_en=c.name_en if c else key, lists=0, value={}
            ),
        )
        row.lists += n
        _add_value(row.value, code, value)
    return sorted(rows.values(), key=lambda r: -r.lists)


def _by_trade_mode(session: Session, scope: Scope, since: datetime, until: datetime) -> list[TradeModeRead]:
    rows: dict[str, TradeModeRead] = {}
    for key, code, n, value in repository.value_by(session, scope, since, until, "trade_mode"):
        row = rows.setdefault(key, TradeModeRead(trade_mode=key, lists=0, value={}))
        row.lists += n
        _add_value(row.value, code, value)
    return sorted(rows.values(), key=lambda r: -r.lists)


def _daily(session: Session, scope: Scope, start: date, end: date) -> list[DayRead]:
    since, until = day_bounds(start, end)
    days: dict[date, Counter[str]] = defaultdict(Counter)
    for created, status in repository.list_times(session, scope, since, until):
        days[created.astimezone(BEIJING).date()][status] += 1
    trend = []
    d = start
    while d <= end:
        day = days.get(d, Counter())
        trend.append(DayRead(day=d, lists=sum(day.values()), by_status=dict(day)))
        d += timedelta(days=1)
    return trend


def _matching(session: Session, scope: Scope) -> MatchingFiguresRead:
    states = dict(repository.match_state_counts(session, scope))
    total = sum(states.values())
    return MatchingFiguresRead(
        by_state=states,
        rate=round(states.get("matched", 0) / total, 4) if total else None,
        not_matched_reasons=[
            ReasonCountRead(reason=r, count=n) for r, n in repository.not_matched_reasons(session, scope)
        ],
    )


def dashboard(session: Session, scope: Scope, start: date, end: date, *, today: date) -> DashboardRead:
    since, until = day_bounds(start, end)
    day_since, day_until = day_bounds(today, today)
    period_status = dict(repository.status_counts(session, scope, since, until))
    return DashboardRead(
        period=PeriodRead.model_validate({"from": start, "to": end, "today": today}),
        today_by_status=dict(repository.status_counts(session, scope, day_since, day_until)),
        period_by_status=period_status,
        lists=sum(period_status.values()),
        by_destination=_by_destination(session, scope, since, until),
        by_trade_mode=_by_trade_mode(session, scope, since, until),
        daily=_daily(session, scope, start, end),
        matching=_matching(session, scope),
        top_rejections=[
            RejectionRead(return_status=rs, info=info, count=n)
            for rs, info, n in repository.rejection_reasons(session, scope, since, until)
        ],
    )
