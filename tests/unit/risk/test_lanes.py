"""Risk lanes (ASYCUDA selectivity): criteria first, random rates topped up to the expected rates,
a random floor for the best-rated, reproducible draws.

Tolerance of the convergence checks: each lane's share over n lists is a binomial proportion;
its standard error is sqrt(p(1-p)/n). A share within 4 standard errors of the configured rate
passes (a false failure about 1 in 15,000 runs; the draws are deterministic, so a run that
passes always passes)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest

from cbec.risk import lanes
from cbec.risk.schemas import CreditStanding
from cbec.risk.service import lane_config


def _tol(p: float, n: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / n)


def _standing(grade: str | None = None, tier: str | None = None, dishonest: bool = False) -> CreditStanding:
    return CreditStanding("S1", grade, tier, dishonest, date(2026, 12, 1))


def test_the_shipped_file_reads_and_its_rates_are_sane() -> None:
    config = lane_config()
    assert set(config.rates) == {"red", "yellow", "blue"}
    for rate in config.rates.values():
        assert 0 < rate.floor <= rate.expected < 1
    assert config.secret


def test_the_draw_is_reproducible_and_uniform() -> None:
    a = [lanes.draw("s", f"COP{i}") for i in range(2000)]
    assert a == [lanes.draw("s", f"COP{i}") for i in range(2000)]
    assert lanes.draw("other", "COP1") != a[1]
    assert 0.45 < sum(a) / len(a) < 0.55
    assert all(0 <= u < 1 for u in a)


def test_precedence_red_over_yellow_over_blue() -> None:
    config = lane_config()
    facts = lanes.conditions(_standing("BB", "严重失信企业", True), ["price_outlier"])
    lane, met = lanes.by_criteria(config, facts)
    assert lane == "red" and {c.lane for c in met} == {"red", "yellow", "blue"}
    assert lanes.by_criteria(config, lanes.conditions(_standing("BB")))[0] == "blue"
    assert lanes.by_criteria(config, lanes.conditions(_standing("AAA")))[0] is None


def test_a_dishonest_enterprise_is_never_green() -> None:
    config = lane_config()
    counts = lanes.Counts()
    facts = lanes.conditions(_standing("AAA", "高级认证企业", True))
    assert not lanes.is_best(config, facts)  # dishonesty cancels the best-rated treatment
    chosen = {lanes.select(config, f"D{i}", facts, counts).lane for i in range(500)}
    assert "green" not in chosen


def _load(n: int, best_share: float = 0.0, criteria_share: float = 0.0) -> tuple[list[lanes.LaneChoice], list[bool]]:
    config = lane_config()
    counts = lanes.Counts()
    out, best = [], []
    for i in range(n):
        cop_no = f"E{2026_0000_0000 + i}"
        u = lanes.draw("population", cop_no)  # who the list belongs to, independent of the lane draw
        if u < best_share:
            facts = lanes.conditions(_standing("AAA", "高级认证企业"))
        elif u < best_share + criteria_share:
            facts = lanes.conditions(_standing("A"), ["price_outlier"])
        else:
            facts = lanes.conditions(_standing("A"))
        out.append(lanes.select(config, cop_no, facts, counts))
        best.append(u < best_share)
    return out, best


@pytest.mark.parametrize(("best_share", "criteria_share"), [(0.0, 0.0), (0.3, 0.0), (0.3, 0.01)])
def test_each_lane_converges_to_its_expected_rate(best_share: float, criteria_share: float) -> None:
    n = 20_000
    choices, _ = _load(n, best_share, criteria_share)
    config = lane_config()
    for lane, rate in config.rates.items():
        share = sum(c.lane == lane for c in choices) / n
        assert abs(share - rate.expected) <= _tol(rate.expected, n), (lane, share, rate.expected)


def test_the_random_floor_still_selects_the_best_rated() -> None:
    n = 20_000
    choices, best = _load(n, best_share=0.5)
    config = lane_config()
    mine = [c for c, b in zip(choices, best, strict=True) if b]
    assert all(c.best for c in mine)
    for lane, rate in config.rates.items():
        share = sum(c.lane == lane for c in mine) / len(mine)
        assert share > 0, lane
        assert abs(share - rate.floor) <= _tol(rate.floor, len(mine)), (lane, share, rate.floor)


def test_criteria_above_the_expected_rate_leave_the_random_rate_at_the_floor() -> None:
    config = lane_config()
    counts = lanes.Counts(total=100, criteria={"yellow": 10})
    rates = lanes.random_rates(config, counts, best=False)
    assert rates["yellow"] == config.rates["yellow"].floor


def test_a_bad_file_names_the_field() -> None:
    config = lane_config()
    data = {"secret": "x", "lanes": {k: {"expected": v.expected, "floor": v.floor} for k, v in config.rates.items()}}
    assert lanes.LaneConfig.from_mapping(data).rates["red"].expected == config.rates["red"].expected
    bad = {**data, "lanes": {**data["lanes"], "red": {"expected": 0.01, "floor": 0.02}}}
    with pytest.raises(ValueError, match=r"lanes\.red\.floor"):
        lanes.LaneConfig.from_mapping(bad)
    with pytest.raises(ValueError, match="secret"):
        lanes.LaneConfig.from_mapping({**data, "secret": ""})
    assert replace(config, secret="y").secret == "y"


def test_the_operators_file_replaces_the_shipped_one(tmp_path, monkeypatch) -> None:
    from cbec.config import reset_settings
    from cbec.risk.service import LANES_FILE

    mine = tmp_path / "lanes.toml"
    mine.write_text(
        LANES_FILE.read_text(encoding="utf-8").replace("expected = 0.02 ", "expected = 0.04 "), encoding="utf-8"
    )
    monkeypatch.setenv("CBEC_RISK_LANES", str(mine))
    reset_settings()
    try:
        assert lane_config().rates["red"].expected == 0.04
    finally:
        monkeypatch.delenv("CBEC_RISK_LANES")
        reset_settings()
    assert lane_config().rates["red"].expected == 0.02
