"""Risk screening before declaration, its review, and the lanes of every list: one module per
use case, re-exported here so that ``from cbec.risk import service`` keeps working."""

from cbec.risk.service.checking import POSITIVE_LIST_FILE, Checked, check_lines, positive_list_of, record_checks
from cbec.risk.service.screening import (
    DECISIONS,
    THRESHOLDS_FILE,
    Screening,
    decide,
    facts_of,
    hit_read,
    hits_for_order,
    list_hits,
    refused_hits_since,
    screen_imports,
    thresholds,
)
from cbec.risk.service.selecting import (
    LANES_FILE,
    assign_lanes,
    lane_config,
    lane_of,
    lane_read,
    list_lanes,
    overview,
    set_standing,
    standing_of,
)

__all__ = [
    "DECISIONS",
    "LANES_FILE",
    "POSITIVE_LIST_FILE",
    "THRESHOLDS_FILE",
    "Checked",
    "Screening",
    "assign_lanes",
    "check_lines",
    "decide",
    "facts_of",
    "hit_read",
    "hits_for_order",
    "lane_config",
    "lane_of",
    "lane_read",
    "list_hits",
    "list_lanes",
    "overview",
    "positive_list_of",
    "record_checks",
    "refused_hits_since",
    "screen_imports",
    "set_standing",
    "standing_of",
    "thresholds",
]
