"""The monthly zone report: the period's indicators, cut once per breakdown of the report."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cbec.statistics import rules as r
from cbec.statistics.repository import Scope
from cbec.statistics.service.indicators import indicators
from cbec.statistics.workbook import ZoneReport


def zone_report(session: Session, scope: Scope, period: r.Period) -> ZoneReport:
    cuts = [(by, indicators(session, scope, period, by)) for by in r.REPORT_BREAKDOWNS]
    return ZoneReport(summary=cuts[0][1], breakdowns=[(by, figures.rows) for by, figures in cuts])
