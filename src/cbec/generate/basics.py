"""The generator's common pieces: exact amounts and identifiers as text, weighted draws, the
parties and options of a run, and its clock. Pure."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate
from random import Random
from typing import Any, Generic, TypeVar

from cbec.tax.rules import retail_import_rules

T = TypeVar("T")

# --- limits, identifiers, text ---------------------------------------------------------------


@lru_cache(maxsize=64)
def retail_limits_fen(day: str) -> tuple[int, int]:
    """The retail-import limits in force on ``day`` (YYYYMMDD) in fen, single and annual: the
    platform's rule sets (``cbec.tax.rules.retail_import_rules``: 财关税〔2016〕18号, 〔2018〕49号),
    counted on the 完税价格 (goods + freight + insurance; coupons not deducted)."""
    rules = retail_import_rules(date(int(day[:4]), int(day[4:6]), int(day[6:8])))
    return int(rules.single_limit * 100), int(rules.annual_limit * 100)


#: GB 11643-1999 (公民身份号码) check character: ISO 7064 MOD 11-2 over the first 17 digits,
#: S = Σ dᵢ·Wᵢ with Wᵢ = 2^(17−i) mod 11 (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2); the character
#: is "10X98765432"[S mod 11].
RIC_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
RIC_CHECK = "10X98765432"


def ric_check_char(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits of a resident ID number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"a resident ID number has 17 digits before its check character, not {first17!r}")
    return ric_check(first17)


def ric_check(first17: str) -> str:
    # S mod 11 = 2·int(first17, 13) mod 11, because 13 ≡ 2 (mod 11) makes 2·13^(16−i) ≡ Wᵢ:
    # one integer parse instead of 17 products (python-stdnum's cn.ric computes it this way)
    return RIC_CHECK[2 * int(first17, 13) % 11]


def resident_id(region: str, birth: date, sequence: int) -> str:
    """An 18-character resident ID: 6-digit region, birth date, 3-digit sequence (odd: a man)
    and the check character (GB 11643-1999)."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric_check_char(body)


_CENTS = [f"{c:02d}" for c in range(100)]


def fen_text(fen: int) -> str:
    """Whole fen (or pennies), not negative, as decimal text with two places: 1250 → "12.50"."""
    return f"{fen // 100}.{_CENTS[fen % 100]}"


def grams_text(grams: int) -> str:
    """Grams as kilograms with three places: 1250 → "1.250"."""
    return f"{grams // 1000}.{grams % 1000:03d}"


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def json_text(text: str) -> str:
    """A JSON string literal (non-ASCII kept as is, as json.dumps(ensure_ascii=False) writes it)."""
    return json.dumps(text, ensure_ascii=False) if _NEEDS_ESCAPE.search(text) else f'"{text}"'


class Weighted(Generic[T]):
    """Draw items with weights in constant time, with one random number (Walker's alias method,
    built as Vose describes it): slot ``i = int(u)`` of ``u = random() × n`` holds ``items[i]``
    with probability ``prob[i]`` and ``alias[i]`` otherwise, decided by the fraction ``u − i``.
    Hot loops read ``n``, ``items``, ``prob`` and ``alias`` directly to save the method call."""

    __slots__ = ("alias", "items", "n", "prob")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        kept = [(item, float(weight)) for item, weight in pairs if weight > 0]
        if not kept:
            raise ValueError("nothing to draw from")
        n = len(kept)
        total = sum(w for _, w in kept)
        scaled = [w * n / total for _, w in kept]
        prob = [1.0] * n
        alias = list(range(n))
        small = [i for i, p in enumerate(scaled) if p < 1.0]
        large = [i for i, p in enumerate(scaled) if p >= 1.0]
        while small and large:
            lo, hi = small.pop(), large.pop()
            prob[lo], alias[lo] = scaled[lo], hi
            scaled[hi] += scaled[lo] - 1.0
            (small if scaled[hi] < 1.0 else large).append(hi)
        self.n = n
        self.items = [item for item, _ in kept]
        self.prob = prob  # slots left in ``small`` or ``large`` by rounding keep their own item
        self.alias = [self.items[a] for a in alias]

    def draw(self, rng: Random) -> T:
        u = rng.random() * self.n
        i = int(u)
        return self.items[i] if u - i < self.prob[i] else self.alias[i]

    def draws(self, rng: Random, k: int) -> list[T]:
        """``k`` independent draws."""
        random, n, items, prob, alias = rng.random, self.n, self.items, self.prob, self.alias
        return [items[i] if u - i < prob[i] else alias[i] for u in [random() * n for _ in range(k)] for i in (int(u),)]


# --- parties and options ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
    code: str
    name: str
    role: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "roles": [self.role]}


@dataclass(frozen=True, slots=True)
class Parties:
    """Who sends and receives the documents; the defaults are the test suite's registered partners."""

    platform: Party = Party("91330782MA2DEMP02Y", "义乌示范跨境电商平台有限公司", "ebp")
    seller: Party = Party("91330782MA2DEMN016", "义乌示范礼品家居有限公司", "ebc")
    logistics: Party = Party("91310000MA1FL0G03T", "上海示范国际物流有限公司", "logistics")
    payer: Party = Party("91310115MA1K4PAY00", "示范支付有限公司", "pay")

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k).as_dict() for k in ("platform", "seller", "logistics", "payer")}


#: A seller that is not the order's (a valid GB 32100 code): the ebcCode of a waybill booked
#: under the wrong account.
OTHER_SELLER_CODE = "91330782MA2DEMQ05X"


class Mix(StrEnum):
    """The shape of the export orders. ``online-retail``: the Online Retail data set's wholesale
    invoices (26 goods lines on average, quantities by the dozen), the load the benchmarks have
    always used; ``national``: B2C parcels of one to three lines of a unit or two, the shape in
    which the national figures (RULES.md §8: the "618" peak of ≈1,400 lists a second) are counted
    (``data/national_mix.json``, the platform's assumption). Imports are the same in both."""

    ONLINE_RETAIL = "online-retail"
    NATIONAL = "national"


@dataclass(frozen=True, slots=True)
class GenerateOptions:
    """What to generate. Shares are probabilities per order (per buyer for ``over_quota_share``)."""

    orders: int
    seed: int = 0
    start: date = date(2026, 1, 1)
    days: int = 30
    mismatch_share: float = 0.01
    cancel_share: float | None = None  # None: the share of credit notes in the data set
    invalid_share: float = 0.002
    over_quota_share: float = 0.01
    split_share: float = 0.03
    marketplace_share: float = 0.0  # share of export orders sent as an Amazon order report
    parties: Parties = field(default_factory=Parties)
    mix: Mix = Mix.ONLINE_RETAIL

    def problems(self) -> list[str]:
        """What is wrong with these options, in English (empty when they can be used)."""
        out = []
        if self.orders < 1:
            out.append("--orders must be at least 1")
        if self.days < 1:
            out.append("--days must be at least 1")
        if self.seed < 0:
            out.append("--seed must not be negative")
        shares = {
            "mismatch-share": self.mismatch_share,
            "invalid-share": self.invalid_share,
            "over-quota-share": self.over_quota_share,
            "split-share": self.split_share,
            "marketplace-share": self.marketplace_share,
            "cancel-share": 0.0 if self.cancel_share is None else self.cancel_share,
        }
        out += [f"--{k} must be between 0 and 1" for k, v in shares.items() if not 0 <= v <= 1]
        if self.mismatch_share + self.invalid_share + (self.cancel_share or 0) > 1:
            out.append("--mismatch-share, --invalid-share and --cancel-share add up to more than 1")
        return out

    @property
    def export_orders(self) -> int:
        return self.orders - self.orders // 2

    @property
    def import_orders(self) -> int:
        return self.orders // 2

    @property
    def tag(self) -> str:
        """Four digits of the seed in every order number, so runs of other seeds can share a database."""
        return f"{self.seed % 10_000:04d}"


# --- time ------------------------------------------------------------------------------------


class Clock:
    """Times of ``count`` events spread evenly over ``days`` days from ``start`` (Beijing time).

    Within a day, events follow an hour-of-day curve through its inverse distribution, so times
    rise with the event number and each day has the curve's shape, with no random draw.
    ``shift`` moves the curve by hours (the data set's hours are UK time, 8 hours behind
    Beijing in winter). Seconds count from midnight of the day before ``start``.
    """

    def __init__(self, start: date, days: int, count: int, hours: Sequence[float], *, shift: int = 0) -> None:
        if len(hours) != 24 or sum(hours) <= 0:
            raise ValueError("an hour-of-day curve has 24 weights, not all zero")
        self.days, self.count, self.shift = days, max(count, 1), shift * 3600
        self.weights = [float(h) for h in hours]
        self.cum = [0.0, *accumulate(self.weights)]
        self.total = self.cum[-1]
        first = start - timedelta(days=1)  # UTC times of the first hours fall on the day before
        span = [first + timedelta(days=d) for d in range(days + 3)]
        self.compact = [f"{d:%Y%m%d}" for d in span]
        self.iso = [d.isoformat() for d in span]
        self.years = [d.year for d in span]
        self.minutes = [f"{m // 60:02d}{m % 60:02d}" for m in range(1440)]  # "hhmm"

    def seconds(self, index: int) -> int:
        day, rest = divmod(index * self.days, self.count)
        x = rest / self.count * self.total
        hour = min(bisect_right(self.cum, x) - 1, 23)
        while self.weights[hour] <= 0:  # x fell on the upper edge of an empty hour
            hour -= 1
        within = int((x - self.cum[hour]) / self.weights[hour] * 3600)
        return 86_400 * (day + 1) + hour * 3600 + min(within, 3599) + self.shift

    def stamp(self, seconds: int) -> str:
        """CEB time, YYYYMMDDhhmmss."""
        day, rest = divmod(seconds, 86_400)
        return f"{self.compact[day]}{self.minutes[rest // 60]}{_CENTS[rest % 60]}"

    def utc_iso(self, seconds: int) -> str:
        """ISO 8601 in UTC of a Beijing time, as Amazon's reports write dates."""
        day, rest = divmod(seconds - 8 * 3600, 86_400)
        h, rest = divmod(rest, 3600)
        return f"{self.iso[day]}T{h:02d}:{rest // 60:02d}:{rest % 60:02d}+00:00"

    def year(self, seconds: int) -> int:
        return self.years[seconds // 86_400]


#: Chinese online shoppers' hours (Beijing time): a morning rise and an evening peak. An
#: assumption of this generator (no public data set was at hand), for import orders only.
IMPORT_HOURS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 10, 9, 8, 8, 8, 8, 9, 11, 13, 14, 12, 7)
