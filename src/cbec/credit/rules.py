"""The credit rating of an enterprise (电商信用体系): pure, no I/O but the shipped tables, the
rating day passed in.

An enterprise is scored out of 100 over three dimensions in the manner of the Hangzhou zone's
scoring (企业资质 qualification, 信用历史 credit history, 履约能力 ability to perform; grades
AAA/AA/A/BBB/BB, RULES.md §10 [V2]). Each factor is scaled linearly between the value at which it
scores fully and the value at which it scores nothing, times its weight (``data/factors.csv``,
each row with its source or marked the platform's assumption [A]). The computed grade is then
overridden by imported facts as the rules require:

* the customs credit tier of 海关总署令第282号 (in force 2026-04-01, replacing 令第251号; five tiers
  高级认证企业, 认证企业, 常规企业, 失信企业, 严重失信企业 [V2]): 失信企业 caps the grade at BBB,
  严重失信企业 at BB (``data/tiers.csv``; the caps are the platform's reading [A]);
* an active dishonesty listing (customs' or 信用中国's list, imported by the operator with its source
  and date): the grade is BB and the enterprise is dishonest (forced out of the green lane).

A fact is active from its ``valid_from`` until its ``valid_until`` (the repair date 信用修复 or the
listing's expiry), exclusive: on and after that day it no longer counts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources

GRADE_ORDER = ("AAA", "AA", "A", "BBB", "BB")
TIERS = ("高级认证企业", "认证企业", "常规企业", "失信企业", "严重失信企业")
DIMENSIONS = {
    "qualification": ("企业资质", "qualification"),
    "history": ("信用历史", "credit history"),
    "performance": ("履约能力", "ability to perform"),
}
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("cbec.credit").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#")))


@dataclass(frozen=True, slots=True)
class Weight:
    dimension: str
    factor: str
    weight: Decimal
    best: Decimal
    worst: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class Tier:
    tier: str
    score: Decimal
    cap: str | None
    source: str


@dataclass(frozen=True, slots=True)
class Tables:
    weights: tuple[Weight, ...]
    tiers: dict[str, Tier]
    grades: tuple[tuple[str, Decimal], ...]  # highest first


@lru_cache(maxsize=1)
def tables() -> Tables:
    weights = tuple(
        Weight(r["dimension"], r["factor"], Decimal(r["weight"]), Decimal(r["best"]), Decimal(r["worst"]), r["source"])
        for r in _rows("factors.csv")
    )
    tiers = {r["tier"]: Tier(r["tier"], Decimal(r["score"]), r["cap"] or None, r["source"]) for r in _rows("tiers.csv")}
    grades = tuple((r["grade"], Decimal(r["min_score"])) for r in _rows("grades.csv"))
    return Tables(weights, tiers, grades)


@dataclass(frozen=True, slots=True)
class History:
    """What the platform recorded about the enterprise in the window before the rating day."""

    registered: Decimal = Decimal(1)  # 1: USCC and customs code on record, 0.5 one of them, 0 none
    lists: int = 0
    refused: int = 0
    cancelled_returned: int = 0
    confirmed_hits: int = 0
    tax_refusals: int = 0
    documents: int = 0
    invalid_documents: int = 0
    fx_orders: int = 0  # export orders reconciled by finance (released in the window)
    fx_overdue: int = 0  # … whose money is overdue
    parcels_tracked: int = 0  # parcels of its export lists carriers reported on (logistics)
    delivery_exceptions: int = 0  # … with a failed delivery, an exception, a return or an expiry


@dataclass(frozen=True, slots=True)
class Fact:
    """An imported fact: a customs tier (``kind`` tier, ``value`` the tier's name) or a
    dishonesty listing (``kind`` dishonest, ``value`` the list's name), valid between its dates."""

    kind: str
    value: str
    valid_from: date
    valid_until: date | None
    source: str
    source_date: date


def active(fact: Fact, on: date) -> bool:
    return fact.valid_from <= on and (fact.valid_until is None or on < fact.valid_until)


def current_tier(facts: Iterable[Fact], on: date) -> Fact | None:
    """The latest customs tier in force on ``on`` (None: none imported)."""
    tiers = [f for f in facts if f.kind == "tier" and active(f, on)]
    return max(tiers, key=lambda f: (f.valid_from, f.source_date)) if tiers else None


def listings(facts: Iterable[Fact], on: date) -> list[Fact]:
    return [f for f in facts if f.kind == "dishonest" and active(f, on)]


@dataclass(frozen=True, slots=True)
class Contribution:
    dimension: str
    factor: str
    value: Decimal | None  # None: nothing to judge by (full marks for history, none for volume)
    score: Decimal  # 0..1
    weight: Decimal
    points: Decimal  # score × weight, out of 100 in all
    source: str


@dataclass(frozen=True, slots=True)
class Rating:
    score: Decimal
    computed_grade: str
    grade: str
    dishonest: bool
    customs_tier: str | None
    overrides: tuple[tuple[str, str], ...]  # (zh, en) of each override applied
    contributions: tuple[Contribution, ...]


def _scale(value: Decimal, w: Weight) -> Decimal:
    """1 at ``best``, 0 at ``worst``, linear between, clipped."""
    if w.best == w.worst:
        return Decimal(1) if value == w.best else Decimal(0)
    return min(Decimal(1), max(Decimal(0), (value - w.worst) / (w.best - w.worst)))


def _share(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def factor_values(h: History, tier: Tier | None) -> dict[str, Decimal | None]:
    return {
        "registered": h.registered,
        "customs_tier": tier.score if tier is not None else None,
        "refusal_rate": _share(h.refused, h.lists),
        "confirmed_hits": Decimal(h.confirmed_hits),
        "tax_refusals": Decimal(h.tax_refusals),
        "cancel_return_rate": _share(h.cancelled_returned, h.lists),
        "invalid_share": _share(h.invalid_documents, h.documents),
        "fx_overdue_share": _share(h.fx_overdue, h.fx_orders),
        "delivery_exception_share": _share(h.delivery_exceptions, h.parcels_tracked),
        "volume": Decimal(h.lists),
    }


def contributions(h: History, tier: Tier | None, t: Tables) -> tuple[Contribution, ...]:
    """Every factor's contribution. A rate with nothing to divide by scores fully (no evidence
    against); an unknown customs tier scores as 常规企业."""
    values = factor_values(h, tier)
    out = []
    for w in t.weights:
        value = values.get(w.factor)
        if value is None and w.factor == "customs_tier":
            score = t.tiers["常规企业"].score
        elif value is None:
            score = Decimal(1)
        else:
            score = _scale(value, w)
        out.append(
            Contribution(w.dimension, w.factor, value, score, w.weight, (score * w.weight).quantize(CENT), w.source)
        )
    return tuple(out)


def grade_of(score: Decimal, t: Tables) -> str:
    for grade, low in t.grades:
        if score >= low:
            return grade
    return GRADE_ORDER[-1]


def _lower(a: str, b: str) -> str:
    return max(a, b, key=GRADE_ORDER.index)


def rate(h: History, facts: Sequence[Fact], on: date, t: Tables | None = None) -> Rating:
    """The rating on ``on``: the score, the grade it earns, and the grade after the overrides."""
    t = t or tables()
    tier_fact = current_tier(facts, on)
    tier = t.tiers.get(tier_fact.value) if tier_fact is not None else None
    parts = contributions(h, tier, t)
    score = sum((c.points for c in parts), Decimal(0)).quantize(CENT)
    computed = grade = grade_of(score, t)
    overrides: list[tuple[str, str]] = []
    if tier is not None and tier.cap is not None and _lower(grade, tier.cap) != grade:
        grade = _lower(grade, tier.cap)
        overrides.append(
            (
                f"海关信用等级为{tier.tier}（海关总署令第282号，{tier_fact.source} {tier_fact.source_date}），等级至多 {tier.cap}",  # type: ignore[union-attr]
                f"customs tier {tier.tier} (GACC Order 282, {tier_fact.source} {tier_fact.source_date}) caps the grade at {tier.cap}",  # type: ignore[union-attr]
            )
        )
    listed = listings(facts, on)
    for f in listed:
        grade = GRADE_ORDER[-1]
        until = f"，至 {f.valid_until} 修复/到期" if f.valid_until else ""
        overrides.append(
            (
                f"列入失信名单「{f.value}」（来源 {f.source}，{f.source_date}，自 {f.valid_from}{until}），等级为 BB",
                f"on the dishonesty list '{f.value}' (source {f.source}, {f.source_date}, since {f.valid_from}"
                f"{f', until {f.valid_until}' if f.valid_until else ''}): grade BB",
            )
        )
    dishonest = bool(listed) or (tier is not None and tier.tier in ("失信企业", "严重失信企业"))
    return Rating(score, computed, grade, dishonest, tier.tier if tier else None, tuple(overrides), parts)
