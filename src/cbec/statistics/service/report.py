"""The monthly zone report: the period's indicators, cut once per breakdown of the report."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cbec.statistics import rules as r
from cbec.statistics.repository import Scope
from cbec.statistics.service.indicators import cut, indicators
from cbec.statistics.workbook import ZoneReport


def zone_report(session: Session, scope: Scope, period: r.Period) -> ZoneReport:
    """The summary once (total, growth, sellers, months), then one GROUP BY per breakdown."""
    first = r.REPORT_BREAKDOWNS[0]
    summary = indicators(session, scope, period, first)
    rest = [(by, cut(session, scope, period, by, total=summary.total.value_cny)) for by in r.REPORT_BREAKDOWNS[1:]]
    return ZoneReport(summary=summary, breakdowns=[(first, summary.rows), *rest])
