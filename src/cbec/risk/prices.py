"""Price outliers (低报/高报价格): a declared unit price far from its reference prices. Pure.

Two references are kept for every goods line (RULES.md §7.1.8 "price below a reference price
(unit-price outliers per HS code)"; issue 19): the **seller's own history** of the SKU, and the
**platform-wide distribution** of the HS subheading (6 digits) and origin country. A line is
compared with its SKU's history when there is one, else with the platform's subheading (a new
SKU), whose floor of spread is wider (it mixes different goods). Each is
summarised robustly, by the median and the median absolute deviation (MAD) of the log unit
prices, so that a few wild prices do not move it; a line is an outlier when its modified z-score
``0.6745 × (ln p − median) / MAD`` (Iglewicz and Hoaglin) is beyond ``z_limit`` on the side that
matters: **below** for imports (duty and tax evaded by undervaluation), **above** for exports
(refund fraud, 买单出口). A reference needs ``min_history`` prices before it is used.

A hit is a **query for a person**, never a revaluation: the WCO Technical Committee on Customs
Valuation's guidance on valuation databases (a risk tool only; no minimum or substitute values;
a price difference alone is no proof, WTO Decision 6.1) [V1, RULES.md §10]. Every hit names the
reference price compared with (the median, in the declared currency), its spread and how many
prices made it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

#: the modified z-score constant (0.6745 = the 75th percentile of the standard normal), Iglewicz
#: and Hoaglin 1993, "How to Detect and Handle Outliers"
K = 0.6745


@dataclass(frozen=True, slots=True)
class PriceLimits:
    z_limit: float = 3.5  # Iglewicz and Hoaglin's suggested cut-off for the modified z-score
    min_history: int = 5  # [A] prices a reference needs before it is used
    #: [A] a floor for the MAD (log scale): a SKU sold at one price has MAD 0, and any other
    #: price would be infinitely far. 0.2 was chosen on Online Retail (docs/risk.md): at 0.1
    #: real prices (quantity discounts, retail vs wholesale) raised 5% (import) and 17% (export)
    #: false alarms; at 0.2, 2.5% and 1%, flagging prices under about 30% or over about 3.3 times
    #: the reference
    min_mad: float = 0.2
    #: [A] the same floor for the platform-wide reference of an HS subheading and origin, which
    #: mixes different goods: 0.5 flags only prices beyond about 13 times (or under 1/13 of) the
    #: subheading's median. On the demo year a floor of 0.2 made 6,571 queries on 18,813 lists.
    min_mad_platform: float = 0.5


@dataclass(frozen=True, slots=True)
class Reference:
    kind: str  # sku | hs_origin
    key: str  # the SKU, or "HS6/origin"
    median: Decimal  # the reference price (declared currency)
    mad: float  # of the log prices
    n: int
    currency: str


def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def reference(
    prices: Iterable[Decimal], *, kind: str, key: str, currency: str, limits: PriceLimits
) -> Reference | None:
    """The robust summary of ``prices`` (positive ones), or None with fewer than ``min_history``."""
    logs = [math.log(float(p)) for p in prices if p > 0]
    if len(logs) < limits.min_history:
        return None
    med = _median(logs)
    mad = _median([abs(v - med) for v in logs])
    return Reference(kind, key, Decimal(str(round(math.exp(med), 4))), mad, len(logs), currency)


def z_score(price: Decimal, ref: Reference, limits: PriceLimits) -> float:
    floor = limits.min_mad if ref.kind == "sku" else limits.min_mad_platform
    return K * (math.log(float(price)) - math.log(float(ref.median))) / max(ref.mad, floor)


@dataclass(frozen=True, slots=True)
class PriceHit:
    reference: Reference
    price: Decimal
    z: float
    ratio: float  # price / reference price

    @property
    def message_zh(self) -> str:
        r = self.reference
        where = f"该卖家 SKU {r.key} 的历史申报" if r.kind == "sku" else f"平台同税目（{r.key}）申报"
        side = "低于" if self.z < 0 else "高于"
        return (
            f"单价 {self.price} {r.currency} {side}{where}参考价 {r.median} {r.currency}"
            f"（中位数，{r.n} 笔，为其 {self.ratio:.0%}，稳健 z 值 {self.z:.1f}）：请人工核实价格，"
            "不作自动估价（海关估价技术委员会关于估价数据库的指南）"
        )

    @property
    def message_en(self) -> str:
        r = self.reference
        where = f"the seller's history of SKU {r.key}" if r.kind == "sku" else f"the platform's prices of {r.key}"
        side = "below" if self.z < 0 else "above"
        return (
            f"unit price {self.price} {r.currency} is {side} the reference price {r.median} {r.currency} of {where}"
            f" (median of {r.n}; {self.ratio:.0%} of it, robust z {self.z:.1f}): a query for a person, never an"
            " automatic revaluation (WCO TCCV guidance on valuation databases)"
        )

    def detail(self) -> dict[str, object]:
        r = self.reference
        return {
            "price": str(self.price), "reference_price": str(r.median), "currency": r.currency,
            "reference": r.kind, "key": r.key, "n": r.n, "mad_log": round(r.mad, 4),
            "z": round(self.z, 2), "ratio": round(self.ratio, 4),
        }  # fmt: skip


def price_hits(price: Decimal, direction: str, refs: Iterable[Reference | None], limits: PriceLimits) -> list[PriceHit]:
    """The references the price is an outlier against: below for imports, above for exports."""
    if price <= 0:
        return []
    out = []
    for ref in refs:
        if ref is None or ref.median <= 0:
            continue
        z = z_score(price, ref, limits)
        if (direction == "import" and z < -limits.z_limit) or (direction == "export" and z > limits.z_limit):
            out.append(PriceHit(ref, price, z, float(price / ref.median)))
    return out
