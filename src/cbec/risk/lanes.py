"""Risk lanes (selectivity) of every list, import and export: pure, no I/O, no clock.

The method is UNCTAD ASYCUDA's selectivity (functional manual; RULES.md §10 [V1]): four lanes,
red (physical examination, 查验), yellow (documentary check, 单证审核), blue (post-clearance audit,
稽核) and green (release); **criteria first** (an enterprise's standing, the risk rules that hit
the order), **then random selection** per lane at a configured rate, with a **minimum random
rate** (the floor) that applies even to the best-rated enterprises, the others' random rate being
**topped up** so that the whole load meets each lane's expected rate; precedence
red > yellow > blue > green.

The random draw of a list is ``sha256(secret:copNo)`` read as a number in [0, 1): the same list
always gets the same draw (reproducible in tests and after a restart), and nobody can predict it
without the operator's secret. The rates and criteria are data (``data/lanes.toml``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cbec.risk.schemas import CreditStanding

#: highest first: the order of precedence and of the random bands in [0, 1)
LANES = ("red", "yellow", "blue", "green")
RANK = {"green": 0, "blue": 1, "yellow": 2, "red": 3}
LANE_TEXT = {
    "red": ("红色通道：查验", "red lane: physical inspection"),
    "yellow": ("黄色通道：单证审核", "yellow lane: document check"),
    "blue": ("蓝色通道：放行后稽核", "blue lane: post-clearance audit"),
    "green": ("绿色通道：直接放行", "green lane: release"),
}
SELECTED = ("red", "yellow", "blue")


@dataclass(frozen=True, slots=True)
class LaneRate:
    lane: str
    expected: float
    floor: float


@dataclass(frozen=True, slots=True)
class Criterion:
    when: str
    lane: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class LaneConfig:
    rates: Mapping[str, LaneRate]
    criteria: tuple[Criterion, ...]
    best: frozenset[str]
    secret: str
    source: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "") -> LaneConfig:
        """From the shape of ``data/lanes.toml``; a bad value raises ``ValueError`` naming it."""
        where = source or "risk lanes"
        lanes = data.get("lanes")
        if not isinstance(lanes, Mapping):
            raise ValueError(f"{where}: a [lanes.red], [lanes.yellow] and [lanes.blue] table is needed")
        rates = {}
        for lane in SELECTED:
            row = lanes.get(lane)
            if not isinstance(row, Mapping):
                raise ValueError(f"{where}: [lanes.{lane}] is missing")
            expected, floor = (
                _share(row.get("expected"), f"{where}: lanes.{lane}.expected"),
                _share(row.get("floor"), f"{where}: lanes.{lane}.floor"),
            )
            if floor > expected:
                raise ValueError(f"{where}: lanes.{lane}.floor {floor} is above its expected rate {expected}")
            rates[lane] = LaneRate(lane, expected, floor)
        if sum(r.expected for r in rates.values()) > 1:
            raise ValueError(f"{where}: the expected rates add up to more than 1")
        criteria = []
        for i, row in enumerate(data.get("criteria") or []):
            if not isinstance(row, Mapping) or row.get("lane") not in SELECTED or not str(row.get("when") or ""):
                raise ValueError(f"{where}: criteria[{i}] needs a 'when' and a lane among red, yellow, blue")
            criteria.append(Criterion(str(row["when"]), str(row["lane"]), str(row.get("source") or "")))
        secret = str(data.get("secret") or "")
        if not secret:
            raise ValueError(f"{where}: a secret is needed (it seeds the random selection)")
        return cls(rates, tuple(criteria), frozenset(str(b) for b in data.get("best") or []), secret, source)


def _share(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a share between 0 and 1, not {value!r}")
    return float(value)


def conditions(standing: CreditStanding | None, rules: Iterable[str] = ()) -> frozenset[str]:
    """The facts criteria are written over: ``dishonest``, ``tier:…``, ``grade:…``, ``rule:…``."""
    out = {f"rule:{r}" for r in rules}
    if standing is not None:
        if standing.dishonest:
            out.add("dishonest")
        if standing.customs_tier:
            out.add(f"tier:{standing.customs_tier}")
        if standing.grade:
            out.add(f"grade:{standing.grade}")
    return frozenset(out)


def by_criteria(config: LaneConfig, facts: frozenset[str]) -> tuple[str | None, tuple[Criterion, ...]]:
    """The highest lane the criteria force (None: none applies) and the criteria that applied."""
    met = tuple(c for c in config.criteria if c.when in facts)
    if not met:
        return None, ()
    return max((c.lane for c in met), key=RANK.__getitem__), met


def is_best(config: LaneConfig, facts: frozenset[str]) -> bool:
    """Best-rated enterprises are drawn at the floor rates only (never below: the random floor)."""
    return bool(config.best & facts) and "dishonest" not in facts


def draw(secret: str, cop_no: str) -> float:
    """The list's random number in [0, 1), from the secret and its copNo (reproducible)."""
    raw = hashlib.sha256(f"{secret}:{cop_no}".encode()).digest()[:8]
    return int.from_bytes(raw, "big") / 2**64


@dataclass
class Counts:
    """Lists laned so far: all of them, those laned by criteria per lane, and the best-rated
    enterprises' lists drawn at the floor."""

    total: int = 0
    criteria: dict[str, int] = field(default_factory=dict)
    best: int = 0

    def add(self, reason: str, lane: str, best: bool) -> None:
        self.total += 1
        if reason == "criteria":
            self.criteria[lane] = self.criteria.get(lane, 0) + 1
        elif best:
            self.best += 1


def random_rates(config: LaneConfig, counts: Counts, *, best: bool) -> dict[str, float]:
    """Each lane's random rate for the next list: the floor for the best-rated; for the others
    the rate that tops the whole load up to the expected rate (never under the floor), given
    what criteria and the best-rated lists took. The rates never add up to more than 1."""
    rates: dict[str, float] = {}
    crit_total = sum(counts.criteria.values())
    others = counts.total - crit_total - counts.best
    for lane in SELECTED:
        rate = config.rates[lane]
        if best or others <= 0:
            p = rate.floor
        else:
            need = rate.expected * counts.total - counts.criteria.get(lane, 0) - rate.floor * counts.best
            p = max(rate.floor, min(1.0, need / others))
        rates[lane] = p
    scale = sum(rates.values())
    return {k: v / scale for k, v in rates.items()} if scale > 1 else rates


def by_draw(u: float, rates: Mapping[str, float]) -> str:
    """The lane of draw ``u``: bands in [0, 1) in precedence order (red first), the rest green."""
    edge = 0.0
    for lane in SELECTED:
        edge += rates.get(lane, 0.0)
        if u < edge:
            return lane
    return "green"


@dataclass(frozen=True, slots=True)
class LaneChoice:
    lane: str
    reason: str  # criteria | random | none (green by the draw)
    best: bool
    draw: float
    rate: float  # the random rate of the lane drawn (0 when laned by criteria)
    criteria: tuple[Criterion, ...]

    @property
    def message_zh(self) -> str:
        zh = LANE_TEXT[self.lane][0]
        if self.reason == "criteria":
            return f"{zh}（布控规则：{'；'.join(c.when for c in self.criteria)}）"
        if self.reason == "random":
            return f"{zh}（随机布控，抽中率 {self.rate:.2%}）"
        return zh

    @property
    def message_en(self) -> str:
        en = LANE_TEXT[self.lane][1]
        if self.reason == "criteria":
            return f"{en} (criteria: {'; '.join(c.when for c in self.criteria)})"
        if self.reason == "random":
            return f"{en} (random selection at {self.rate:.2%})"
        return en


def select(config: LaneConfig, cop_no: str, facts: frozenset[str], counts: Counts) -> LaneChoice:
    """One list's lane: criteria first; else the random draw at the topped-up (or floor) rates.
    ``counts`` is updated with the choice, so a batch is selected list after list."""
    best = is_best(config, facts)
    u = draw(config.secret, cop_no)
    lane, met = by_criteria(config, facts)
    if lane is not None:
        counts.add("criteria", lane, best)
        return LaneChoice(lane, "criteria", best, u, 0.0, met)
    counts.total += 1  # the list itself is part of the load the rates are measured over
    rates = random_rates(config, counts, best=best)
    counts.total -= 1
    chosen = by_draw(u, rates)
    counts.add("random" if chosen != "green" else "none", chosen, best)
    return LaneChoice(chosen, "random" if chosen != "green" else "none", best, u, rates.get(chosen, 0.0), ())
