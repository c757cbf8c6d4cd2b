"""Dashboard figures: declarations by status, export value by market and trade mode, the daily
trend, the match rate and the top rejection reasons. Read-only; no personal data ever leaves
here (the regulator view is built on it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cbec.errors import InvalidInput
from cbec.kit.codes import code_lists
from cbec.statistics import repository
from cbec.statistics.repository import Scope

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


def dashboard(session: Session, scope: Scope, start: date, end: date, *, today: date) -> dict[str, Any]:
    since, until = day_bounds(start, end)
    day_since, day_until = day_bounds(today, today)
    codes = code_lists()

    today_status = dict(repository.status_counts(session, scope, day_since, day_until))
    period_status = dict(repository.status_counts(session, scope, since, until))

    countries: dict[str, dict[str, Any]] = {}

    def iso(code: str) -> str:  # CEB currency codes (502) shown as ISO 4217 (USD)
        c = codes.currencies.get(code)
        return (c.iso or code) if c else code

    def add(row: dict[str, Any], code: str, n: int, value: Decimal | None) -> None:
        currency = iso(code)
        row["lists"] += n
        row["value"][currency] = str(Decimal(row["value"].get(currency, "0")) + (value or Decimal(0)))

    for key, code, n, value in repository.value_by(session, scope, since, until, "country"):
        c = codes.countries.get(key)
        row = countries.setdefault(
            key,
            {
                "code": key,
                "name_zh": c.name_zh if c else key,
                "name_en": c.name_en if c else key,
                "lists": 0,
                "value": {},
            },
        )
        add(row, code, n, value)
    by_country = sorted(countries.values(), key=lambda r: -r["lists"])

    modes: dict[str, dict[str, Any]] = {}
    for key, code, n, value in repository.value_by(session, scope, since, until, "trade_mode"):
        add(modes.setdefault(key, {"trade_mode": key, "lists": 0, "value": {}}), code, n, value)

    days: dict[str, Counter[str]] = defaultdict(Counter)
    for created, status in repository.list_times(session, scope, since, until):
        days[created.astimezone(BEIJING).date().isoformat()][status] += 1
    trend = []
    d = start
    while d <= end:
        day = days.get(d.isoformat(), Counter())
        trend.append({"day": d.isoformat(), "lists": sum(day.values()), "by_status": dict(day)})
        d += timedelta(days=1)

    states = dict(repository.match_state_counts(session, scope))
    total_matches = sum(states.values())
    rejections = [
        {"return_status": rs, "info": info, "count": n}
        for rs, info, n in repository.rejection_reasons(session, scope, since, until)
    ]
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat(), "today": today.isoformat()},
        "today_by_status": today_status,
        "period_by_status": period_status,
        "lists": sum(period_status.values()),
        "by_destination": by_country,
        "by_trade_mode": sorted(modes.values(), key=lambda r: -r["lists"]),
        "daily": trend,
        "matching": {
            "by_state": states,
            "rate": round(states.get("matched", 0) / total_matches, 4) if total_matches else None,
            "not_matched_reasons": [
                {"reason": r, "count": n} for r, n in repository.not_matched_reasons(session, scope)
            ],
        },
        "top_rejections": rejections,
    }
