"""Financing pre-qualification (issue 17, part 6): a transparent score and a suggested limit from a
seller's verified history on the platform. Not a lending decision: the factors, their weights and
their bounds are data (``data/prequalify.csv``), each marked as the platform's own assumption,
and every factor's value, score and contribution is shown. Pure."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Weight:
    factor: str
    weight: Decimal
    best: Decimal
    worst: Decimal
    note: str


@lru_cache(maxsize=1)
def weights() -> dict[str, Weight]:
    text = resources.files("cbec.finance.data").joinpath("prequalify.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return {
        r["factor"]: Weight(
            r["factor"], Decimal(r["weight"]), Decimal(r["best"] or 0), Decimal(r["worst"] or 0), r["note"]
        )
        for r in rows
    }


@dataclass(frozen=True, slots=True)
class History:
    """What the platform verified about a seller (the service gathers it)."""

    monthly_declared: tuple[Decimal, ...]  # the last 12 months, oldest first (0 for a month without)
    declared_due: Decimal  # declared value of lists released 30 days or more ago
    received_due: Decimal  # principal received for those lists
    days_to_receive: tuple[int, ...]  # per received order: release → receipt
    settled_principal: Decimal
    refunded: Decimal  # positive
    lists_declared: int
    lists_rejected: int
    risk_hits_refused: int
    received_last_year: Decimal  # principal received in the last 12 months


@dataclass(frozen=True, slots=True)
class Factor:
    factor: str
    value: Decimal | None  # None: no history to judge by (scored 0)
    score: Decimal  # 0..1
    weight: Decimal
    contribution: Decimal  # score × weight
    note: str


def _scale(value: Decimal, w: Weight) -> Decimal:
    """1 at ``best``, 0 at ``worst``, linear between, clipped."""
    if w.best == w.worst:
        return Decimal(1) if value == w.best else Decimal(0)
    share = (value - w.worst) / (w.best - w.worst)
    return min(Decimal(1), max(Decimal(0), share))


def _values(h: History) -> dict[str, Decimal | None]:
    months = [m for m in h.monthly_declared if m > 0]
    mean = sum(h.monthly_declared, Decimal(0)) / len(h.monthly_declared) if h.monthly_declared else Decimal(0)
    stdev = (
        Decimal(str(statistics.pstdev([float(m) for m in h.monthly_declared]))) if h.monthly_declared else Decimal(0)
    )
    return {
        "active_months": Decimal(len(months)),
        "stability": (stdev / mean) if mean > 0 else None,
        "received_ratio": (h.received_due / h.declared_due) if h.declared_due > 0 else None,
        "days_to_receive": Decimal(statistics.median(h.days_to_receive)) if h.days_to_receive else None,
        "refund_rate": (h.refunded / h.settled_principal) if h.settled_principal > 0 else None,
        "rejection_rate": Decimal(h.lists_rejected) / h.lists_declared if h.lists_declared else None,
        "risk_hits": Decimal(h.risk_hits_refused) if h.lists_declared else None,
    }


def prequalify(h: History) -> tuple[Decimal, Decimal, list[Factor]]:
    """(score 0..100, suggested limit, factors). A factor without history scores 0, so a new
    seller starts low and every point is earned by verified facts."""
    table = weights()
    factors: list[Factor] = []
    for name, value in _values(h).items():
        w = table[name]
        score = _scale(value, w) if value is not None else Decimal(0)
        factors.append(
            Factor(name, value.quantize(Decimal("0.0001")) if value is not None else None, score.quantize(Decimal("0.0001")),
                   w.weight, (score * w.weight).quantize(Decimal("0.0001")), w.note)
        )  # fmt: skip
    total = sum((f.contribution for f in factors), Decimal(0)) / sum(
        (w.weight for n, w in table.items() if n != "limit_share"), Decimal(0)
    )
    score = (total * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    # the limit follows the score as shown, so a reader can recompute it from the package
    limit = (h.received_last_year * table["limit_share"].weight * score / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return score, limit, factors
