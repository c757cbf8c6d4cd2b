"""The statistics use cases: the dashboard, the indicators over the counted lists, the drill-down
to the lists behind a figure, and the exports for other departments."""

from cbec.statistics.service.dashboard import BEIJING, MAX_DAYS, dashboard, day_bounds, period
from cbec.statistics.service.indicators import counted_lists, cut, indicators, iso_currency, refresh
from cbec.statistics.service.report import zone_report
from cbec.statistics.service.sharing import RECIPIENTS, released_exports

__all__ = [
    "BEIJING",
    "MAX_DAYS",
    "RECIPIENTS",
    "counted_lists",
    "cut",
    "dashboard",
    "day_bounds",
    "indicators",
    "iso_currency",
    "period",
    "refresh",
    "released_exports",
    "zone_report",
]
