"""The pure rules of the zone's statistics: periods, breakdown names, growth, concentration, the
CNY value of a list and its split over lines (always adding up to the fen), HS parts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cbec.errors import InvalidInput
from cbec.statistics import rules


def test_periods_are_a_month_a_year_or_all_time() -> None:
    assert rules.parse_period(None) == rules.Period(None, None, "all")
    assert rules.parse_period("2026-11") == rules.Period("2026-11", "2026-11", "2026-11")
    assert rules.parse_period("2026") == rules.Period("2026-01", "2026-12", "2026")
    assert rules.parse_period("2026-1").first == "2026-01"
    for bad in ("2026-13", "11-2026", "abc", "0999-01"):
        with pytest.raises(InvalidInput) as e:
            rules.parse_period(bad)
        assert e.value.field == "period"


def test_growth_compares_with_the_month_before_and_a_year_before() -> None:
    previous, year_ago = rules.previous_periods(rules.parse_period("2026-01"))
    assert previous is not None and previous.first == previous.last == "2025-12"
    assert year_ago is not None and year_ago.first == "2025-01"
    previous, year_ago = rules.previous_periods(rules.parse_period("2026"))
    assert previous is None and year_ago is not None and (year_ago.first, year_ago.last) == ("2025-01", "2025-12")
    assert rules.previous_periods(rules.parse_period(None)) == (None, None)
    assert rules.growth(Decimal(150), Decimal(100)) == Decimal("0.5000")
    assert rules.growth(Decimal(50), Decimal(100)) == Decimal("-0.5000")
    assert rules.growth(Decimal(1), Decimal(0)) is None and rules.growth(Decimal(1), None) is None


def test_the_top_ten_share() -> None:
    values = [Decimal(v) for v in range(1, 21)]  # 1..20, total 210; the ten largest 11..20 = 155
    assert rules.top_share(values, Decimal(210)) == Decimal("0.7381")
    assert rules.top_share([], Decimal(0)) is None


@pytest.mark.parametrize(
    "total, lines",
    [
        (Decimal("100.00"), [Decimal("1"), Decimal("1"), Decimal("1")]),
        (Decimal("0.01"), [Decimal("5"), Decimal("5")]),
        (Decimal("664.29"), [Decimal("12.5"), Decimal("87.35"), Decimal("0")]),
        (Decimal("10.00"), [Decimal("0"), Decimal("0")]),
    ],
)
def test_a_lists_cny_value_splits_over_its_lines_to_the_fen(total: Decimal, lines: list[Decimal]) -> None:
    shares = rules.split_cny(total, lines)
    assert len(shares) == len(lines) and sum(shares, Decimal(0)) == total
    assert all(s == s.quantize(Decimal("0.01")) for s in shares)


def test_a_list_converts_once_half_up_at_the_rate_of_the_first_of_its_month() -> None:
    assert rules.to_cny(Decimal("25.00"), Decimal("7.071784")) == Decimal("176.79")
    assert rules.to_cny(Decimal("0.005"), Decimal("1")) == Decimal("0.01")
    assert rules.rate_day("2026-11") == date(2026, 11, 1)


def test_breakdowns_and_hs_parts() -> None:
    assert rules.parse_dimensions("mode, country") == ("mode", "country")
    for bad in ("", "planet", "mode,mode", "chapter,heading"):
        with pytest.raises(InvalidInput) as e:
            rules.parse_dimensions(bad)
        assert e.value.field == "by"
    assert rules.hs_parts("6912001000") == ("69", "6912")
    assert rules.hs_parts("") == rules.hs_parts("ab12") == (rules.UNKNOWN, rules.UNKNOWN)
    assert rules.shift_month("2026-01", -1) == "2025-12" and rules.shift_month("2025-12", 13) == "2027-01"
    assert set(rules.TRADE_MODES) == set(rules.TRADE_MODE_TEXT)
