"""What the zone's cross-border e-commerce statistics count, and how (docs/statistics.md). Pure.

Scope of a transaction, 统计函〔2021〕52号 (跨境电子商务统计试点调查): goods traded between
parties inside and outside the customs territory, concluded online, physically shipped across
the border through the cross-border e-commerce, express or postal channel. On this platform
that is a customs list (清单: CEB603 export, CEB621 import) under a cross-border trade mode that
customs released (放行, returnStatus 800) and that was neither cancelled nor returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from cbec.errors import InvalidInput

#: the trade modes of cross-border e-commerce (PRODUCT.md, 海关总署公告2014年第12号 9610,
#: 2016年第75号 1239, 2020年第75号 9710/9810, 1210 保税电商)
TRADE_MODES = ("9610", "9710", "9810", "1210", "1239")
TRADE_MODE_TEXT = {
    "9610": ("跨境贸易电子商务（直购）", "B2C direct (9610)"),
    "9710": ("跨境电商B2B直接出口", "B2B direct export (9710)"),
    "9810": ("跨境电商出口海外仓", "export to overseas warehouse (9810)"),
    "1210": ("保税跨境贸易电子商务", "bonded e-commerce (1210)"),
    "1239": ("保税跨境贸易电子商务A", "bonded e-commerce A (1239)"),
}
DIRECTION_TEXT = {"export": ("出口", "export"), "import": ("进口", "import")}

#: list statuses that count: released by customs and still standing (a return may be pending);
#: cancelled (撤销) and returned (退货) lists did not, or no longer, cross the border
COUNTED_STATUSES = ("released", "closed", "return_requested")

#: the bucket of a missing key, so that a breakdown always adds up to the total
UNKNOWN = ""
UNKNOWN_TEXT = ("未知/其他", "unknown/other")

FEN = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Dimension:
    """One way of cutting the figures: its name, its Chinese and English label, and whether the
    counts of lists and orders add up across it (a list with goods of two HS chapters is counted
    once in each chapter; its value is split by line, so values always add up)."""

    name: str
    zh: str
    en: str
    lists_add_up: bool = True


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("mode", "贸易方式", "trade mode"),
        Dimension("direction", "进出口", "direction"),
        Dimension("month", "月份", "month"),
        Dimension("day", "日期", "day"),
        Dimension("country", "国别（地区）", "country (region)"),
        Dimension("chapter", "HS章", "HS chapter", lists_add_up=False),
        Dimension("heading", "HS品目", "HS heading", lists_add_up=False),
        Dimension("seller", "电商企业", "seller"),
        Dimension("platform", "电商平台", "platform"),
    )
}
#: dimensions that live on the list's lines rather than the list
LINE_DIMENSIONS = frozenset({"chapter", "heading"})
#: the breakdowns of the monthly report, one sheet each
REPORT_BREAKDOWNS: tuple[tuple[str, ...], ...] = (
    ("mode", "direction"),
    ("day",),
    ("country",),
    ("chapter",),
    ("heading",),
    ("seller",),
    ("platform",),
)


def parse_dimensions(text: str) -> tuple[str, ...]:
    """``"mode,country"`` → ("mode", "country"); an unknown name is refused with the allowed ones."""
    names = tuple(n.strip().lower() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown or not names or len(set(names)) != len(names):
        allowed = ", ".join(DIMENSIONS)
        raise InvalidInput(
            f"--by must name distinct breakdowns among {allowed}, not {text!r}",
            f"--by 须为以下统计维度之一或多个（不重复）：{allowed}，而非 {text!r}",
            field="by",
        )
    if len(LINE_DIMENSIONS.intersection(names)) > 1:
        raise InvalidInput(
            "chapter and heading cannot be combined (a heading is inside its chapter)",
            "HS章与HS品目不能同时作为维度（品目属于章）",
            field="by",
        )
    return names


@dataclass(frozen=True, slots=True)
class Period:
    """Months ``first``..``last`` (YYYY-MM, inclusive); both None: all time."""

    first: str | None
    last: str | None
    label: str

    @property
    def is_month(self) -> bool:
        return self.first is not None and self.first == self.last


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in text.split("-"))
        date(year, month, 1)
    except ValueError:
        raise InvalidInput(
            f"a period is a month YYYY-MM or a year YYYY, not {text!r}",
            f"统计期间须为月份 YYYY-MM 或年份 YYYY，而非 {text!r}",
            field="period",
        ) from None
    if not 1900 <= year <= 2999:
        raise InvalidInput(
            f"period {text!r} is outside 1900–2999", f"统计期间 {text!r} 超出 1900–2999 年", field="period"
        )
    return year, month


def parse_period(text: str | None) -> Period:
    """``None`` all time, ``"2026"`` a year, ``"2026-11"`` a month."""
    if not text:
        return Period(None, None, "all")
    text = text.strip()
    if len(text) == 4 and text.isdigit():
        _month(f"{text}-01")
        return Period(f"{text}-01", f"{text}-12", text)
    year, month = _month(text)
    label = f"{year:04d}-{month:02d}"
    return Period(label, label, label)


def shift_month(month: str, months: int) -> str:
    """``"2026-01"`` shifted by −1 → ``"2025-12"``."""
    year, m = (int(p) for p in month.split("-"))
    n = year * 12 + (m - 1) + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def previous_periods(period: Period) -> tuple[Period | None, Period | None]:
    """The period a month-on-month and a year-on-year growth compare with (None for all time;
    a year has no month-on-month)."""
    if period.first is None or period.last is None:
        return None, None
    yoy = Period(shift_month(period.first, -12), shift_month(period.last, -12), "")
    if not period.is_month:
        return None, Period(yoy.first, yoy.last, (yoy.first or "")[:4])
    prev = shift_month(period.first, -1)
    return Period(prev, prev, prev), Period(yoy.first, yoy.last, yoy.first or "")


def growth(current: Decimal, before: Decimal | None) -> Decimal | None:
    """(current − before) / before, as a fraction to 4 places; None when there is nothing to
    compare with (no earlier figure, or zero). The statistical convention of 同比/环比."""
    if before is None or before == 0:
        return None
    return ((current - before) / before).quantize(Decimal("0.0001"))


def top_share(values: list[Decimal], total: Decimal, n: int = 10) -> Decimal | None:
    """The share of the ``n`` largest values in the total (集中度 CRn), 4 places."""
    if total <= 0:
        return None
    return (sum(sorted(values, reverse=True)[:n], Decimal(0)) / total).quantize(Decimal("0.0001"))


def to_cny(value: Decimal, cny_per_unit: Decimal) -> Decimal:
    """A list's value in CNY, to the fen, half up (四舍五入): converted once per list, so every
    breakdown of the lists adds up to the fen."""
    return (value * cny_per_unit).quantize(FEN, rounding=ROUND_HALF_UP)


def split_cny(total_cny: Decimal, line_values: list[Decimal]) -> list[Decimal]:
    """The list's CNY value shared among its lines in proportion to their value, to the fen,
    the remainder on the last line, so the lines add up to the list exactly."""
    if not line_values:
        return []
    whole = sum(line_values, Decimal(0))
    if whole == 0:
        shares = [Decimal(0)] * len(line_values)
    else:
        shares = [(total_cny * v / whole).quantize(FEN, rounding=ROUND_DOWN) for v in line_values]
    shares[-1] = total_cny - sum(shares[:-1], Decimal(0))
    return shares


def rate_day(month: str) -> date:
    """The day whose rate converts a month's lists: the 1st of the month, so the zone can publish
    customs' monthly rate (海关月度汇率: one rate per calendar month, the PBOC rate of the previous
    month's third Wednesday, 《海关审定进出口货物完税价格办法》海关总署令第213号 — our reading,
    docs/statistics.md)
    as a rate valid from the 1st; without it, the ECB reference rate of the last business day on
    or before (finance/rates.py)."""
    year, m = (int(p) for p in month.split("-"))
    return date(year, m, 1)


def hs_parts(code: str) -> tuple[str, str]:
    """HS chapter (2 digits) and heading (4) of a 10-digit customs goods code; unknown if the
    code is not digits."""
    code = (code or "").strip()
    if len(code) < 4 or not code[:4].isdigit():
        return UNKNOWN, UNKNOWN
    return code[:2], code[:4]
