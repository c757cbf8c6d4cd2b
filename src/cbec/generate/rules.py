"""Pure rules of the load generator: who buys what, when, and what each partner sends about it.

Two streams of cases, each drawn from its own ``random.Random`` seeded with the run's seed, so
the same options always give the same documents, byte for byte:

* **Export** (9610 出口): orders shaped like the UCI Online Retail data (``profile.py``): lines per
  order, the products and their popularity, unit prices, quantities by price band, destinations
  with their postage, and the hour of the day. Each order gets a waybill (CEB505) from the
  logistics company, numbered as a UPU S10 item (``cbec.kit.tracking.make_s10``), unless it was
  cancelled before it shipped (the data set's credit-note share by default) or is one of the
  deliberate mismatches.
* **Import** (1210/9610 进口, CEB311): buyers with resident ID numbers (GB 11643-1999), mobile
  numbers, Chinese names and addresses; each order with its payment (CEB411) and waybill
  (CEB511). A share of buyers go over the annual limit of 财关税〔2018〕49号; a share of
  purchases are split into several orders.

Money is counted in integer fen (pennies for GBP), which is exact, and written as decimal text
with two places; the one rounding (the withheld tax estimate) is half up, on integers.

Speed shapes the code: an export order has 26 lines on average, as in the data set, and the
generator aims at 50,000 orders a second on one core. So documents are written straight to
JSON text from fragments escaped once per product, party and buyer (building and dumping a dict
per line would cost more than everything else together); an order's lines are drawn in one
``Random.choices`` call from a table of (product, quantity) pairs; and small integers are drawn
as ``int(random() * n)`` rather than through ``randrange``.

No I/O here: ``service.py`` writes the files; the profile is passed in as a dict.
"""

from __future__ import annotations

import json
import re
import zlib
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import accumulate
from operator import add, attrgetter
from random import Random
from typing import Any, Generic, TypeVar, cast

from cbec.kit.tracking import make_s10

T = TypeVar("T")

# --- limits, identifiers, text ---------------------------------------------------------------

#: 财关税〔2018〕49号 (in force 2019-01-01): CNY 5,000 per transaction, CNY 26,000 per person and
#: calendar year, counted on the 完税价格 (goods + freight + insurance; coupons not deducted).
SINGLE_LIMIT_FEN = 500_000
ANNUAL_LIMIT_FEN = 2_600_000

#: GB 11643-1999 (公民身份号码) check character: ISO 7064 MOD 11-2 over the first 17 digits,
#: S = Σ dᵢ·Wᵢ with Wᵢ = 2^(17−i) mod 11 (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2); the character
#: is "10X98765432"[S mod 11].
RIC_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
RIC_CHECK = "10X98765432"


def ric_check_char(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits of a resident ID number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"a resident ID number has 17 digits before its check character, not {first17!r}")
    return _ric_check(first17)


def _ric_check(first17: str) -> str:
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


def _j(text: str) -> str:
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


# --- export: the catalogue from the Online Retail profile ------------------------------------


@dataclass(frozen=True, slots=True)
class Family:
    """A kind of goods the seller exports: Chinese name, China's 10-digit code, unit weight."""

    name_zh: str
    hs_code: str
    grams: int


#: Families by words of the product description, first match wins. The codes are a plausible
#: 10-digit code for each family (first six digits an HS2022 subheading), chosen by hand for test
#: data: they go with the lines as the seller's own classification, not as advice.
# fmt: off
FAMILIES: tuple[tuple[tuple[str, ...], Family], ...] = (
    (("HOT WATER BOTTLE",), Family("橡胶热水袋", "4014900000", 700)),
    (("T-LIGHT", "CANDLE HOLDER", "LANTERN"), Family("烛台", "9405500000", 250)),
    (("CANDLE",), Family("蜡烛", "3406000000", 200)),
    (("FAIRY LIGHT", "NIGHT LIGHT", "LIGHT", "LAMP"), Family("LED灯饰", "9405310000", 300)),
    (("CLOCK",), Family("闹钟", "9105110000", 350)),
    (("MUG", "TEACUP", "CUP", "SAUCER", "PLATE", "BOWL", "TEAPOT", "CERAMIC", "CAKESTAND"), Family("陶瓷餐具", "6912001000", 400)),
    (("GLASS", "JAR", "BOTTLE"), Family("玻璃器皿", "7013990000", 350)),
    (("BAG", "SHOPPER", "PURSE", "WALLET", "TOTE"), Family("纺织面料包袋", "4202920000", 150)),
    (("CAKE CASE", "NAPKIN", "DOILY", "DOILIES", "WRAP", "PAPER", "TISSUE"), Family("纸制品", "4823909000", 100)),
    (("LUNCH BOX", "STORAGE", "BOX", "BOXES", "TIN", "CASE"), Family("收纳盒", "3924900000", 250)),
    (("CARD",), Family("贺卡", "4909009000", 30)),
    (("CHRISTMAS", "BAUBLE", "ADVENT", "WREATH"), Family("圣诞装饰品", "9505100000", 150)),
    (("BUNTING", "GARLAND", "PARTY", "DECORATION", "ORNAMENT", "HANGING"), Family("节日装饰品", "9505900000", 120)),
    (("SIGN", "METAL", "ZINC", "ENAMEL", "IRON", "HOOK"), Family("金属工艺品", "8306290000", 300)),
    (("FRAME",), Family("木相框", "4414900000", 350)),
    (("WOODEN", "WOOD", "WICKER", "SLATE"), Family("木制工艺品", "4420900000", 300)),
    (("CUSHION", "COVER", "APRON", "TOWEL", "OVEN GLOVE"), Family("棉制家用纺织品", "6302910000", 200)),
    (("NOTEBOOK", "PAD", "BOOK"), Family("笔记本", "4820100000", 150)),
    (("PEN", "PENCIL"), Family("铅笔文具", "9609101000", 50)),
    (("MAGNET",), Family("冰箱贴磁铁", "8505190000", 40)),
    (("DOORMAT",), Family("门垫", "5705000000", 1500)),
    (("UMBRELLA",), Family("雨伞", "6601910000", 400)),
    (("NECKLACE", "BRACELET", "EARRINGS", "JEWEL"), Family("仿首饰", "7117190000", 40)),
    (("TOY", "DOLL", "DOLLY", "GAME", "PUZZLE", "JIGSAW", "SPACEBOY", "KIT"), Family("玩具", "9503000000", 250)),
    (("BAKING", "CUTLERY", "SPOON", "MOULD", "TRAY", "KITCHEN"), Family("塑料厨房用具", "3924100000", 200)),
)
# fmt: on
#: Everything else the giftware seller ships: ornaments of plastics.
DEFAULT_FAMILY = Family("塑料装饰摆件", "3926400000", 200)

_NOT_WORD = re.compile(r"[^A-Z0-9]+")


def _words(text: str) -> str:
    return f" {_NOT_WORD.sub(' ', text.upper()).strip()} "


_FAMILY_KEYS = tuple((tuple(_words(k) for k in keys), family) for keys, family in FAMILIES)


def family_of(description: str) -> Family:
    """The family of a product description: whole words (or their plural in S), first match."""
    words = _words(description)
    for keys, family in _FAMILY_KEYS:
        if any(k in words or f"{k[:-1]}S " in words for k in keys):
            return family
    return DEFAULT_FAMILY


@dataclass(frozen=True, slots=True, eq=False)  # one object per SKU: identity is equality
class ExportProduct:
    item_no: str
    description: str  # English, as the data set names it (the Amazon product-name)
    family: Family
    price: int  # pennies
    band: int  # index of the price band its quantities are drawn from
    asin: str  # an Amazon-shaped product id, from the SKU
    line_json: str  # the line's JSON members from itemNo to hsCode


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: ``None in lines`` stays fast
class ExportLine:
    """A product in a quantity, with everything its documents need made once."""

    product: ExportProduct
    qty: int
    total: int  # pennies
    grams: int
    info: str  # as the waybill's goodsInfo names it
    json: bytes  # b'{"itemNo":…,"totalPrice":"…","gnum":' in UTF-8; the order appends "n}"

    @classmethod
    def of(cls, product: ExportProduct, qty: int) -> ExportLine:
        total = qty * product.price
        return cls(
            product,
            qty,
            total,
            qty * product.family.grams,
            f"{product.family.name_zh}×{qty}",
            (
                f'{{{product.line_json},"qty":"{qty}","price":"{fen_text(product.price)}",'
                f'"totalPrice":"{fen_text(total)}","gnum":'
            ).encode(),
        )


class LineTable:
    """(product, quantity) pairs from the profile's joint distribution, an order's worth at a time.

    P(product, qty) = P(product) × P(qty | the product's price band). The pairs covering
    ``head_share`` of each band's quantities are laid out in one table, their documents' text
    made once; the rare large quantities beyond (the tail) have one slot (``None``) in that table
    and are then drawn in two steps, the product weighted by its band's tail. The distribution is
    the profile's exactly.
    """

    def __init__(
        self,
        products: Sequence[tuple[ExportProduct, float]],
        bands: Sequence[Sequence[tuple[int, float]]],
        *,
        head_share: float = 0.995,
    ) -> None:
        heads: list[list[tuple[int, float]]] = []
        self.tails: list[Weighted[int] | None] = []
        tail_mass: list[float] = []
        for band in bands:
            total = sum(n for _, n in band)
            ranked = sorted(band, key=lambda qn: (-qn[1], qn[0]))
            head: list[tuple[int, float]] = []
            covered = 0.0
            for qty, n in ranked:
                if covered >= head_share * total:
                    break
                head.append((qty, n / total))
                covered += n
            tail = ranked[len(head) :]
            heads.append(head)
            self.tails.append(Weighted(tail) if tail else None)
            tail_mass.append(sum(n for _, n in tail) / total)
        weight = sum(w for _, w in products)
        entries: list[tuple[ExportLine | None, float]] = []
        tail_products: list[tuple[ExportProduct, float]] = []
        for product, w in products:
            share = w / weight
            entries += [(ExportLine.of(product, qty), share * p) for qty, p in heads[product.band]]
            tail_products.append((product, share * tail_mass[product.band]))
        tail_weight = sum(w for _, w in tail_products)
        entries.append((None, tail_weight))  # dropped by Weighted when there is no tail
        self.table = Weighted(entries)
        self.tail_products = Weighted(tail_products) if tail_weight > 0 else None

    def draw(self, rng: Random, k: int) -> list[ExportLine]:
        drawn = self.table.draws(rng, k)
        if None in drawn:
            drawn = [line or self._tail(rng) for line in drawn]
        return cast(list[ExportLine], drawn)

    def _tail(self, rng: Random) -> ExportLine:
        assert self.tail_products is not None
        product = self.tail_products.draw(rng)
        tail = self.tails[product.band]
        assert tail is not None
        return ExportLine.of(product, tail.draw(rng))


@dataclass(frozen=True, slots=True)
class Destination:
    name: str
    code: str  # customs country code (CEB)
    iso2: str  # "" for the customs "other Europe" (Channel Islands, "European Community")
    postage_share: float
    postage: Weighted[int] | None


@dataclass(frozen=True, slots=True)
class ExportCatalogue:
    currency: str
    currency_iso: str
    lines: LineTable
    lines_per_order: Weighted[int]
    destinations: Weighted[Destination]
    hours: tuple[int, ...]
    cancel_share: float


def _hundredths(text: str) -> int:
    """Decimal text of the profile ("2.95") as whole pennies, exactly."""
    return int(Decimal(text).scaleb(2).to_integral_exact())


def export_catalogue(profile: Mapping[str, Any]) -> ExportCatalogue:
    """The export catalogue of a profile (``profile.derive_profile``)."""
    currency = str(profile["currency"]["code"])
    edges = [_hundredths(e) for e in profile["price_bands"]]
    products: list[tuple[ExportProduct, float]] = []
    for code, description, lines, price_text in profile["products"]:
        name = " ".join(str(description).split())
        family = family_of(name)
        price = _hundredths(price_text)
        line_json = (
            f'"itemNo":{_j(str(code)[:30])},"itemName":{_j(f"{family.name_zh} {name}"[:250])},"unit":"011",'
            f'"currency":"{currency}","hsCode":"{family.hs_code}"'
        )
        asin = f"B0{zlib.crc32(str(code).encode()):08X}"
        product = ExportProduct(str(code), name, family, price, bisect_right(edges, price), asin, line_json)
        products.append((product, float(lines)))
    destinations = []
    for d in profile["destinations"]:
        postage = [(_hundredths(p), float(n)) for p, n in d["postage"]]
        dest = Destination(
            d["country"], d["code"], d["iso2"], float(d["postage_share"]), Weighted(postage) if postage else None
        )
        destinations.append((dest, float(d["orders"])))
    bands = [[(int(q), float(n)) for q, n in band] for band in profile["quantity_bands"]]
    return ExportCatalogue(
        currency=currency,
        currency_iso=str(profile["currency"]["iso"]),
        lines=LineTable(products, bands),
        lines_per_order=Weighted([(int(n), float(c)) for n, c in profile["lines_per_order"]]),
        destinations=Weighted(destinations),
        hours=tuple(int(h) for h in profile["hours"]),
        cancel_share=float(profile["cancellation_share"]),
    )


# --- export cases ----------------------------------------------------------------------------


class ExportOutcome(StrEnum):
    MATCHED = "matched"
    CANCELLED = "cancelled"  # cancelled before it shipped: no waybill (Amazon: an order_cancel)
    INVALID = "invalid"  # the order breaks intake's arithmetic (goodsValue includes the postage)
    WAYBILL_MISSING = "waybill_missing"
    WAYBILL_ORDER_NO = "waybill_order_no"  # the forwarder appended a parcel suffix to the order number
    WAYBILL_SELLER = "waybill_seller"  # the waybill was booked under another seller's account


#: The 三单对碰 result each outcome should get: (state, the first failing rule).
EXPORT_EXPECTED: dict[ExportOutcome, tuple[str, str]] = {
    ExportOutcome.MATCHED: ("matched", ""),
    ExportOutcome.CANCELLED: ("unmatched", "waybill_present"),
    ExportOutcome.INVALID: ("unmatched", "order_valid"),
    ExportOutcome.WAYBILL_MISSING: ("unmatched", "waybill_present"),
    ExportOutcome.WAYBILL_ORDER_NO: ("unmatched", "waybill_present"),
    ExportOutcome.WAYBILL_SELLER: ("unmatched", "waybill_seller"),
}
EXPORT_MISMATCHES = Weighted(
    [(ExportOutcome.WAYBILL_MISSING, 4.0), (ExportOutcome.WAYBILL_ORDER_NO, 4.0), (ExportOutcome.WAYBILL_SELLER, 2.0)]
)


#: CEB303 OrderList maxOccurs: the most goods lines an export order carries. ``cbec.customs.declare``
#: refuses a longer order (splitting a customer's purchase is the seller's decision, not the
#: declarant's), so a seller splits a larger purchase into several orders, each with its parcel.
EXPORT_ORDER_LINES = 100


@dataclass(slots=True)
class ExportCase:
    """One export order and what its partners send about it."""

    index: int
    order_no: str
    seconds: int  # Beijing time, seconds since midnight before the start date
    order_time: str
    destination: Destination
    lines: list[ExportLine]
    goods: int  # pennies
    freight: int
    buyer_ref: str
    is_marketplace: bool
    outcome: ExportOutcome
    logistics_no: str
    purchase_utc: str = ""  # marketplace orders: purchase-date and last-updated-date, ISO 8601 UTC
    updated_utc: str = ""
    purchase: str = ""  # the purchase a split order is part of ("" when not split)


@dataclass
class ExportTally:
    """What the export stream produced beyond its cases: purchases split into several orders."""

    split_purchases: int = 0
    split_orders: int = 0


def amazon_order_id(seed: int, index: int) -> str:
    """An Amazon-shaped order id (3-7-7 digits). The multiplier is prime to 10, so index ↦ id is
    one-to-one for fewer than 10^14 orders while the ids look spread."""
    x = (index * 73_939_133_597_779 + seed * 7_919) % 10**14
    return f"{203 + seed % 700:03d}-{x // 10**7:07d}-{x % 10**7:07d}"


def split_lines(lines: Sequence[T], parts: int) -> list[list[T]]:
    """``lines`` cut into ``parts`` runs of consecutive lines, their lengths differing by one at most
    (153 lines in two parts: 77 and 76), so the parcels are alike."""
    size, extra = divmod(len(lines), parts)
    out, at = [], 0
    for k in range(parts):
        n = size + (k < extra)
        out.append(list(lines[at : at + n]))
        at += n
    return out


_TOTAL = attrgetter("total")
_PRODUCT = attrgetter("product")


def export_cases(
    options: GenerateOptions, catalogue: ExportCatalogue, tally: ExportTally | None = None
) -> Iterator[ExportCase]:
    """The export orders, in order-number order.

    A purchase of more than ``EXPORT_ORDER_LINES`` lines (3.4% of the data set's invoices, up to
    1,112 lines) is split by the seller into as few orders as hold it, ``SO…-S1``, ``SO…-S2`` …,
    of nearly equal length, seconds apart, each with its own waybill; the postage goes with the
    first. Each part counts as one order of the run and has its own outcome (the purchase is
    cancelled as a whole). A split purchase is never an Amazon order (the marketplace numbers its
    orders itself). When the run ends within a purchase, its lines beyond the orders left are
    dropped.
    """
    rng = Random(f"cbec-generate:{options.seed}:export")  # noqa: S311 - test data, not secrets
    random = rng.random
    count = options.export_orders
    clock = Clock(options.start, options.days, count, catalogue.hours, shift=8)
    cancel = catalogue.cancel_share if options.cancel_share is None else options.cancel_share
    invalid_edge = cancel + options.invalid_share
    mismatch_edge = invalid_edge + options.mismatch_share
    draw_lines = catalogue.lines.draw
    per_order = catalogue.lines_per_order
    places = catalogue.destinations
    serial0 = options.seed * 2_654_435_761 % 10**8
    tag, marketplace_share = options.tag, options.marketplace_share
    most = EXPORT_ORDER_LINES
    # SKUs sent with their HS code in a JSON order so far: a marketplace report has no HS codes,
    # so an order goes there only when all its SKUs are already in the seller's catalogue
    listed: set[ExportProduct] = set()

    def outcome_of(u: float, is_marketplace: bool) -> ExportOutcome:
        if u < cancel:
            return ExportOutcome.CANCELLED
        if u < invalid_edge:
            # a marketplace report is read by the platform, which adds up the lines itself
            return ExportOutcome.MATCHED if is_marketplace else ExportOutcome.INVALID
        if u < mismatch_edge:
            return EXPORT_MISMATCHES.draw(rng)
        return ExportOutcome.MATCHED

    i = 0
    while i < count:
        seconds = clock.seconds(i)
        destination = places.draw(rng)
        lines = draw_lines(rng, per_order.draw(rng))
        freight = 0
        if destination.postage is not None and random() < destination.postage_share:
            freight = destination.postage.draw(rng)
        too_long = len(lines) > most
        is_marketplace = random() < marketplace_share and bool(destination.iso2) and not too_long
        if is_marketplace:
            is_marketplace = all(line.product in listed for line in lines)
        elif marketplace_share:
            listed.update(map(_PRODUCT, lines))
        u = random()
        outcome = outcome_of(u, is_marketplace)
        buyer_ref = str(12_346 + int(random() * 5_942))  # the data set's CustomerID range
        order_no = (
            amazon_order_id(options.seed, i) if is_marketplace else f"SO{clock.compact[seconds // 86_400]}{tag}{i:07d}"
        )
        parts = min(-(-len(lines) // most), count - i) if too_long else 1
        if parts == 1:
            if too_long:  # the run ends here: the lines that would have gone in later orders are dropped
                lines = lines[:most]
            yield ExportCase(
                index=i,
                order_no=order_no,
                seconds=seconds,
                order_time=clock.stamp(seconds),
                destination=destination,
                lines=lines,
                goods=sum(map(_TOTAL, lines)),
                freight=freight,
                buyer_ref=buyer_ref,
                is_marketplace=is_marketplace,
                outcome=outcome,
                logistics_no=make_s10("LP", (serial0 + i) % 10**8, "CN"),
                purchase_utc=clock.utc_iso(seconds) if is_marketplace else "",
                updated_utc=clock.utc_iso(seconds + 26 * 3600) if is_marketplace else "",
            )
            i += 1
            continue
        for k, part in enumerate(split_lines(lines[: parts * most], parts)):
            if k and outcome is not ExportOutcome.CANCELLED:  # drawn given the purchase was not cancelled
                outcome = outcome_of(cancel + random() * (1 - cancel), False)
            at = seconds + 7 * k  # the orders of a split purchase are seconds apart
            yield ExportCase(
                index=i + k,
                order_no=f"{order_no}-S{k + 1}",
                seconds=at,
                order_time=clock.stamp(at),
                destination=destination,
                lines=part,
                goods=sum(map(_TOTAL, part)),
                freight=0 if k else freight,
                buyer_ref=buyer_ref,
                is_marketplace=False,
                outcome=outcome,
                logistics_no=make_s10("LP", (serial0 + i + k) % 10**8, "CN"),
                purchase=order_no,
            )
        if tally is not None:
            tally.split_purchases += 1
            tally.split_orders += parts
        i += parts


# --- import: people --------------------------------------------------------------------------

#: Real 6-digit administrative division codes (GB/T 2260) with the year each was created, so a
#: birth date never precedes its birthplace's code (python-stdnum's cn.ric checks that), and the
#: address prefix of each.
REGIONS: tuple[tuple[str, int, str], ...] = (
    ("110101", 0, "北京市东城区"),
    ("110105", 0, "北京市朝阳区"),
    ("310104", 0, "上海市徐汇区"),
    ("310115", 1992, "上海市浦东新区"),
    ("120101", 0, "天津市和平区"),
    ("500103", 1997, "重庆市渝中区"),
    ("440305", 1990, "广东省深圳市南山区"),
    ("440106", 1985, "广东省广州市天河区"),
    ("330782", 1989, "浙江省金华市义乌市"),
    ("330106", 1983, "浙江省杭州市西湖区"),
    ("320106", 1983, "江苏省南京市鼓楼区"),
    ("510107", 1990, "四川省成都市武侯区"),
    ("420106", 1983, "湖北省武汉市武昌区"),
    ("610113", 1983, "陕西省西安市雁塔区"),
    ("370202", 1983, "山东省青岛市市南区"),
    ("130102", 1983, "河北省石家庄市长安区"),
    ("410105", 1983, "河南省郑州市金水区"),
    ("430103", 1996, "湖南省长沙市天心区"),
    ("350203", 1983, "福建省厦门市思明区"),
    ("210102", 1983, "辽宁省沈阳市和平区"),
    ("230103", 1983, "黑龙江省哈尔滨市南岗区"),
)
#: Streets of the districts addresses are drawn in.
STREETS: dict[str, tuple[str, ...]] = {
    "110101": ("东直门内大街", "王府井大街", "安定门外大街"),
    "110105": ("建国路", "朝阳北路", "望京街"),
    "310104": ("漕溪北路", "肇嘉浜路", "天钥桥路"),
    "310115": ("张杨路", "世纪大道", "锦绣路"),
    "120101": ("南京路", "滨江道", "卫津路"),
    "500103": ("民族路", "中山三路", "解放碑步行街"),
    "440305": ("深南大道", "南海大道", "后海大道"),
    "440106": ("天河路", "体育西路", "中山大道"),
    "330782": ("稠州北路", "宾王路", "城中中路"),
    "330106": ("文三路", "天目山路", "教工路"),
    "320106": ("中山北路", "湖南路", "北京西路"),
    "510107": ("武侯祠大街", "科华北路", "人民南路四段"),
}
_PREFIX = {code: prefix for code, _, prefix in REGIONS}
_ADDRESS_DISTRICTS = Weighted([(code, 2.0 if code in {"310115", "110105", "440305"} else 1.0) for code in STREETS])
#: Common surnames, most frequent first (weighted by rank).
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN_MALE = "伟强磊军洋勇杰涛明超斌鹏辉刚浩宇俊帆凯鑫晨博文豪"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞婷雪琳颖倩洁悦欣怡佳璐萌雨欢月"
_SURNAMES = Weighted([(s, 1.0 / (rank + 4)) for rank, s in enumerate(SURNAMES)])
#: Mobile number segments in use (工业和信息化部 numbering plan): 1[3-9]x.
MOBILE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159"),
    *("166", "171", "173", "175", "176", "177", "178"),
    *(f"18{d}" for d in range(10)),
    *("191", "198", "199"),
)
#: Ages of cross-border shoppers (an assumption): mostly 25–44.
AGES = Weighted([(age, 15 if age < 25 else 40 if age < 35 else 28 if age < 45 else 12 if age < 55 else 5) for age in range(18, 66)])  # fmt: skip


class IdentityAllocator:
    """Resident ID numbers that never repeat within a run, in constant memory.

    For each birth year, the k-th number is (k·P + offset) mod M decoded into (region, day of
    the year, sequence 001–999): P is a prime that divides no M, so k ↦ number is one-to-one
    while fewer than M people share a birth year (M = regions valid that year × 365 × 999, over
    seven million).
    """

    _P = 1_000_003

    def __init__(self, seed: int) -> None:
        self.offset = seed * 7_919
        self.next_k: dict[int, int] = {}
        self.years: dict[int, tuple[list[str], list[str]]] = {}

    def allocate(self, year: int) -> tuple[str, str, int]:
        """(region, birth date YYYYMMDD, sequence) of the next person born in ``year``."""
        known = self.years.get(year)
        if known is None:
            regions = [code for code, since, _ in REGIONS if year >= since]
            first = date(year, 1, 1)
            known = self.years[year] = (regions, [f"{first + timedelta(days=d):%Y%m%d}" for d in range(365)])
        regions, days = known
        k = self.next_k.get(year, 0)
        self.next_k[year] = k + 1
        code = (k * self._P + self.offset) % (len(regions) * 365 * 999)
        code, region = divmod(code, len(regions))
        sequence, day = divmod(code, 365)
        return regions[region], days[day], sequence + 1


@dataclass(slots=True)
class Person:
    name: str
    id_number: str
    phone: str
    is_male: bool


def new_person(rng: Random, ids: IdentityAllocator, start_year: int, *, is_male: bool | None = None) -> Person:
    """Someone at least 18 on every day of ``start_year``, with a name of the sex the ID says."""
    random = rng.random
    year = start_year - AGES.draw(rng) - 1
    region, birth, sequence = ids.allocate(year)
    while is_male is not None and (sequence % 2 == 1) != is_male:
        # the sequence's parity is the sex (GB 11643-1999): when a sex is asked for, numbers of
        # the other are passed over (about one in two; a passed number is never given out)
        region, birth, sequence = ids.allocate(year)
    male = sequence % 2 == 1
    given = GIVEN_MALE if male else GIVEN_FEMALE
    name = _SURNAMES.draw(rng) + given[int(random() * len(given))]
    if random() < 0.7:
        name += given[int(random() * len(given))]
    body = f"{region}{birth}{sequence:03d}"
    phone = f"{MOBILE_PREFIXES[int(random() * len(MOBILE_PREFIXES))]}{int(random() * 10**8):08d}"
    return Person(name, body + _ric_check(body), phone, male)


@dataclass(slots=True)
class Buyer:
    """A registered buyer of the platform and what it has bought so far, by calendar year."""

    number: int
    reg_no: str
    person: Person
    consignee: Person
    address: str
    is_heavy: bool  # buys until over the annual limit, then a few orders more
    planned: int  # orders a normal buyer means to place
    extra_after_limit: int  # orders a heavy buyer places after the one that crossed the limit
    orders: int = 0
    beyond_limit: int = 0  # orders placed with the year's total over the limit
    year_totals: dict[int, int] = field(default_factory=dict)
    order_json: str = ""  # JSON members of the order head (buyer and consignee), made once
    consignee_json: str = ""

    @property
    def over_limit(self) -> bool:
        return self.beyond_limit > 0

    @property
    def is_done(self) -> bool:
        if self.is_heavy:
            return self.beyond_limit > self.extra_after_limit
        return self.orders >= self.planned


def consignee_json(consignee: Person, address: str, phone: str | None = None) -> str:
    return (
        f'"consignee":{_j(consignee.name)},"consigneeTelephone":"{phone or consignee.phone}",'
        f'"consigneeAddress":{_j(address)}'
    )


def new_buyer(rng: Random, ids: IdentityAllocator, number: int, options: GenerateOptions) -> Buyer:
    random = rng.random
    person = new_person(rng, ids, options.start.year)
    # most parcels go to the buyer; some to a family member at the same address
    consignee = person if random() < 0.85 else new_person(rng, ids, options.start.year)
    district = _ADDRESS_DISTRICTS.draw(rng)
    streets = STREETS[district]
    address = (
        f"{_PREFIX[district]}{streets[int(random() * len(streets))]}{1 + int(random() * 1999)}号"
        f"{1 + int(random() * 29)}栋{1 + int(random() * 5)}单元{1 + int(random() * 32)}{1 + int(random() * 4):02d}室"
    )
    is_heavy = random() < options.over_quota_share
    planned = 1
    while planned < 8 and random() < 0.45:
        planned += 1
    reg_no = f"U{options.tag}{number:08d}"
    consignee_fields = consignee_json(consignee, address)
    return Buyer(
        number=number,
        reg_no=reg_no,
        person=person,
        consignee=consignee,
        address=address,
        is_heavy=is_heavy,
        planned=planned,
        extra_after_limit=int(random() * 4) if is_heavy else 0,
        order_json=(
            f'"buyerRegNo":"{reg_no}","buyerName":{_j(person.name)},"buyerTelephone":"{person.phone}",'
            f'"buyerIdType":"1","buyerIdNumber":"{person.id_number}",{consignee_fields},'
            f'"consigneeDistrict":"{district}"'
        ),
        consignee_json=consignee_fields,
    )


# --- import: goods ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)  # one object per SKU: identity is equality
class ImportProduct:
    """A bonded-warehouse product sold to Chinese buyers (prices in CNY fen).

    ``tax_rate`` is the tax withheld per 10,000 of the value within the limits: 70% of the
    statutory import VAT and consumption tax (财关税〔2016〕18号, 财关税〔2018〕49号), VAT 13% or
    9% (财政部 税务总局 海关总署公告2019年第39号) and, for high-end cosmetics (CNY 10 or more per
    ml or g), consumption tax 15% (财税〔2016〕103号): 0.7 × 13% = 910; 0.7 × 9% = 630;
    0.7 × (15% + 13%) / (1 − 15%) = 2306.
    """

    item_no: str
    name: str
    gmodel: str
    hs_code: str
    origin: str  # customs country code
    origin_iso2: str
    price: int
    grams: int
    tax_rate: int
    popularity: float
    #: net content of one piece in the second unit, for goods whose consumption tax depends on
    #: the price per ml, g or 片 (high-end cosmetics, HS 3303/3304, 财税〔2016〕103号): the order
    #: line carries it as ``qty2``/``unit2`` (the CEB621 names), the line's total in that unit
    content: Decimal | None = None
    content_unit: str = ""  # 096 ml, 036 g, 020 片


#: The unit every import line is sold in: 011 件 (piece), a jar, bottle, box or pair being one
#: piece, its contents in ``gmodel`` ("规格:800g/罐"). The list (CEB621) needs each line's quantity
#: in the first legal unit (``qty1``); the catalogue knows no legal unit for these SKUs, so the
#: declaration profile's default 011 applies, and ``cbec.customs.declare`` refuses a line in
#: another unit without ``qty1`` — which an order line cannot carry (CEB311 OrderList has none).
IMPORT_UNIT = "011"


# fmt: off
IMPORT_PRODUCTS: tuple[ImportProduct, ...] = tuple(ImportProduct(*row) for row in (
    # item_no, name, gmodel (品名|牌名|规格…), hs_code, origin, iso2, price, grams, tax_rate, popularity[, content, unit]
    ("IM-MILK-NL800", "婴儿配方奶粉3段", "品名:婴儿配方奶粉|牌名:示范|规格:800g/罐|成分:乳粉、乳糖", "1901101000", "309", "NL", 23_800, 1000, 910, 9.0),
    ("IM-MILK-NZ900", "婴儿配方奶粉1段", "品名:婴儿配方奶粉|牌名:示范|规格:900g/罐|成分:乳粉、乳清蛋白", "1901101000", "609", "NZ", 27_900, 1100, 910, 7.0),
    ("IM-CREAM-50", "保湿面霜", "品名:保湿面霜|牌名:示范|规格:50ml/瓶|用途:护肤", "3304990099", "116", "JP", 18_900, 120, 910, 8.0, Decimal("50"), "096"),
    ("IM-SERUM-30", "精华液", "品名:精华液|牌名:示范|规格:30ml/瓶|用途:护肤", "3304990099", "305", "FR", 56_000, 100, 2306, 5.0, Decimal("30"), "096"),
    ("IM-MASK-10", "补水面膜", "品名:面膜|牌名:示范|规格:10片/盒|用途:护肤", "3304990099", "133", "KR", 12_900, 300, 910, 8.0, Decimal("10"), "020"),
    ("IM-LIP-35", "口红", "品名:口红|牌名:示范|规格:3.5g/支|用途:唇部彩妆", "3304100091", "305", "FR", 32_000, 50, 2306, 4.0, Decimal("3.5"), "036"),
    ("IM-WASH-120", "洁面乳", "品名:洁面乳|牌名:示范|规格:120g/支|用途:清洁", "3401300000", "133", "KR", 8_900, 150, 910, 5.0),
    ("IM-SHAMPOO-400", "洗发水", "品名:洗发水|牌名:示范|规格:400ml/瓶|用途:洗发", "3305100090", "304", "DE", 6_900, 450, 910, 5.0),
    ("IM-VITC-120", "维生素C咀嚼片", "品名:维生素C咀嚼片|牌名:示范|规格:120粒/瓶", "2106909090", "502", "US", 12_900, 200, 910, 6.0),
    ("IM-FISHOIL-400", "鱼油软胶囊", "品名:鱼油软胶囊|牌名:示范|规格:400粒/瓶", "2106909090", "601", "AU", 19_900, 500, 910, 6.0),
    ("IM-PROBIO-30", "儿童益生菌粉", "品名:益生菌固体饮料|牌名:示范|规格:30袋/盒", "2106909090", "502", "US", 23_900, 150, 910, 4.0),
    ("IM-DIAPER-L54", "婴儿纸尿裤L码", "品名:纸尿裤|牌名:示范|规格:L码54片/包", "9619001100", "116", "JP", 11_900, 1800, 910, 7.0),
    ("IM-HONEY-250", "麦卢卡蜂蜜", "品名:天然蜂蜜|牌名:示范|规格:250g/瓶", "0409000000", "609", "NZ", 32_900, 400, 630, 3.0),
    ("IM-COFFEE-500", "烘焙咖啡豆", "品名:烘焙咖啡豆|牌名:示范|规格:500g/袋", "0901210000", "307", "IT", 9_800, 520, 910, 3.0),
    ("IM-FLASK-500", "不锈钢保温杯", "品名:保温杯|牌名:示范|规格:500ml|材质:不锈钢", "9617001900", "116", "JP", 19_900, 350, 910, 3.0),
    ("IM-BRUSH-E1", "电动牙刷", "品名:电动牙刷|牌名:示范|型号:E1|电压:3.7V", "8509800000", "304", "DE", 39_900, 400, 910, 2.0),
    ("IM-SHOE-42", "运动鞋", "品名:运动鞋|牌名:示范|规格:42码/双|材质:纺织面", "6404110000", "502", "US", 69_900, 900, 910, 2.0),
))
# fmt: on
_IMPORT_PRODUCTS = Weighted([(p, p.popularity) for p in IMPORT_PRODUCTS])
#: How a direct-purchase (9610) parcel comes in: by air, consolidated under the day's master air
#: waybill of a flight from its origin country. The 9610 list (CEB621) needs the conveyance
#: (``trafNo``), voyage (``voyageNo``) and bill (``billNo``), and takes them from the waybill
#: (CEB511 ``billNo``; ``trafNo`` and ``voyageNo`` are intake's extension fields of the import
#: waybill). One flight a day from each origin: (flight number, the carrier's IATA airline prefix
#: of its air waybill numbers) — Air China 999, China Eastern 781; the flight numbers are
#: illustrative, like the HS codes.
IMPORT_FLIGHTS: dict[str, tuple[str, str]] = {
    "NL": ("MU772", "781"),
    "NZ": ("MU780", "781"),
    "JP": ("MU524", "781"),
    "FR": ("MU570", "781"),
    "KR": ("MU5042", "781"),
    "DE": ("CA936", "999"),
    "US": ("CA984", "999"),
    "AU": ("MU562", "781"),
    "IT": ("CA940", "999"),
}


def air_waybill_no(prefix: str, serial: int) -> str:
    """An IATA air waybill number: the airline prefix, a 7-digit serial and its check digit (the
    serial mod 7), "781-12345675"."""
    return f"{prefix}-{serial:07d}{serial % 7}"


_IMPORT_LINES = Weighted([(1, 62.0), (2, 25.0), (3, 10.0), (4, 3.0)])
_IMPORT_QTY = Weighted([(1, 60.0), (2, 25.0), (3, 8.0), (4, 3.0), (5, 2.0), (6, 2.0)])
_IMPORT_FREIGHT = Weighted([(0, 75.0), (1000, 15.0), (1500, 6.0), (2000, 4.0)])
_COUPONS = (500, 1000, 2000, 3000, 5000)
#: JSON of each import product's line in each quantity, up to its gnum (made when first needed).
_IMPORT_LINE_JSON: dict[tuple[ImportProduct, int], bytes] = {}


def _import_line_json(p: ImportProduct, qty: int) -> bytes:
    text = _IMPORT_LINE_JSON.get((p, qty))
    if text is None:
        text = _IMPORT_LINE_JSON[p, qty] = (
            f'{{"itemNo":"{p.item_no}","itemName":{_j(p.name)},"gmodel":{_j(p.gmodel)},"unit":"{IMPORT_UNIT}",'
            f'"currency":"142","country":"{p.origin}","hsCode":"{p.hs_code}","price":"{fen_text(p.price)}",'
            f'"qty":"{qty}","totalPrice":"{fen_text(qty * p.price)}",'
            + (f'"qty2":"{p.content * qty}","unit2":"{p.content_unit}",' if p.content is not None else "")
            + '"gnum":'
        ).encode()
    return text


class ImportOutcome(StrEnum):
    MATCHED = "matched"
    INVALID = "invalid"  # acturalPaid leaves out the withheld tax: intake's arithmetic refuses it
    PAYMENT_MISSING = "payment_missing"
    WAYBILL_MISSING = "waybill_missing"
    AMOUNT = "amount"  # the payment's amountPaid leaves out the withheld tax
    CONSIGNEE = "consignee"  # the waybill carries the consignee's other phone number
    PAYER = "payer"  # someone else paid: the payer is not the buyer


IMPORT_EXPECTED: dict[ImportOutcome, tuple[str, str]] = {
    ImportOutcome.MATCHED: ("matched", ""),
    ImportOutcome.INVALID: ("unmatched", "order_valid"),
    ImportOutcome.PAYMENT_MISSING: ("unmatched", "payment_present"),
    ImportOutcome.WAYBILL_MISSING: ("unmatched", "waybill_present"),
    ImportOutcome.AMOUNT: ("unmatched", "amount_paid"),
    ImportOutcome.CONSIGNEE: ("unmatched", "consignee"),
    ImportOutcome.PAYER: ("unmatched", "payer_is_buyer"),
}
IMPORT_MISMATCHES = Weighted(
    [
        (ImportOutcome.PAYMENT_MISSING, 2.0),
        (ImportOutcome.WAYBILL_MISSING, 2.0),
        (ImportOutcome.AMOUNT, 2.5),
        (ImportOutcome.CONSIGNEE, 2.0),
        (ImportOutcome.PAYER, 1.5),
    ]
)


@dataclass(slots=True)
class ImportCase:
    """One import order and its payment and waybill."""

    index: int
    order_no: str
    order_time: str
    pay_time: str
    year: int
    buyer: Buyer
    lines: list[tuple[ImportProduct, int]]
    goods: int  # fen
    freight: int
    discount: int
    tax: int
    paid: int  # acturalPaid = goods + freight + tax − discount
    pay_transaction_id: str
    logistics_no: str
    flight: str  # the flight the parcel comes in on (9610 direct purchase: trafNo and voyageNo)
    bill_no: str  # its master air waybill (billNo)
    outcome: ImportOutcome
    purchase: str  # the purchase a split order is part of ("" when not split)
    beyond_limit: bool  # the buyer's year total, this order included, is over the annual limit
    payer: Person | None = None  # who paid, when not the buyer (ImportOutcome.PAYER)

    @property
    def value(self) -> int:
        """The 完税价格 counted toward the limits: goods + freight (no insurance is charged)."""
        return self.goods + self.freight


def withheld_tax(lines: Sequence[tuple[ImportProduct, int]], freight: int) -> int:
    """The tax the platform withholds (CEB311 taxTotal) in fen, rounded half up once per order.

    An estimate: freight is taxed at the first line's rate. Customs assesses each line
    (``cbec.tax.import_tax``); intake checks only acturalPaid = goods + freight + tax − discount.
    """
    base = sum(qty * p.price * p.tax_rate for p, qty in lines) + freight * lines[0][0].tax_rate
    return (base + 5_000) // 10_000


def within_single_limit(lines: list[tuple[ImportProduct, int]], freight: int) -> list[tuple[ImportProduct, int]]:
    """Take items off the dearest line until the order is within CNY 5,000 (49号 art. 1)."""
    while freight + sum(q * p.price for p, q in lines) > SINGLE_LIMIT_FEN:
        at = max(range(len(lines)), key=lambda k: lines[k][1] * lines[k][0].price)
        product, qty = lines[at]
        if qty > 1:
            lines[at] = (product, qty - 1)
        elif len(lines) > 1:
            del lines[at]
        else:  # every product here is far below the limit: a table edit went wrong
            raise ValueError(f"{product.item_no} alone is over the single-transaction limit")
    return lines


def _cart(rng: Random, n: int, *, heavy: bool) -> list[tuple[ImportProduct, int]]:
    """``n`` different products (there are 17) in the quantities a buyer takes."""
    random, draw = rng.random, _IMPORT_PRODUCTS.draw
    chosen: list[ImportProduct] = []
    while len(chosen) < n:
        p = draw(rng)
        if p not in chosen:
            chosen.append(p)
    if heavy:  # a buyer for resale takes several of each
        return [(p, 2 + int(random() * 5)) for p in chosen]
    return list(zip(chosen, _IMPORT_QTY.draws(rng, n), strict=True))


@dataclass
class ImportTally:
    """What the import stream produced beyond its cases: buyers and split purchases."""

    buyers: int = 0
    heavy_buyers: int = 0
    over_limit_buyers: int = 0
    split_purchases: int = 0
    split_orders: int = 0
    split_over_single_limit: int = 0  # split purchases whose orders together pass the single limit
    payers_not_buyers: int = 0

    def retire(self, buyer: Buyer) -> None:
        if buyer.orders:
            self.buyers += 1
            self.heavy_buyers += buyer.is_heavy
            self.over_limit_buyers += buyer.over_limit


def import_cases(options: GenerateOptions, tally: ImportTally) -> Iterator[ImportCase]:
    """The import orders.

    Buyers shop in turns: a few (``slots``, up to 32) are active at a time, one drawn at random
    for each purchase and replaced when done, so a buyer's orders are spread among others' and
    memory does not grow with the number of orders. A heavy buyer (``over_quota_share`` of
    buyers) buys until the year's total is over the annual limit, then 0–3 orders more; a normal
    buyer places 1–8 orders and never crosses the limit (a purchase that would make it cross
    goes to another buyer).
    """
    rng = Random(f"cbec-generate:{options.seed}:import")  # noqa: S311 - test data, not secrets
    random = rng.random
    count = options.import_orders
    clock = Clock(options.start, options.days, count, IMPORT_HOURS)
    ids = IdentityAllocator(options.seed)
    slots: list[Buyer | None] = [None] * max(1, min(32, count // 200))
    serial0 = (options.seed * 40_503 + 12_345) % 10**8
    tag, start_year = options.tag, options.start.year
    bills: dict[tuple[str, str], str] = {}  # (origin, day) → the day's master air waybill from there
    split_share, invalid_share = options.split_share, options.invalid_share
    mismatch_edge = options.invalid_share + options.mismatch_share
    lines_per_order, freights = _IMPORT_LINES, _IMPORT_FREIGHT
    buyers = 0
    j = 0
    while j < count:
        slot = int(random() * len(slots))
        buyer = slots[slot]
        if buyer is None:
            buyers += 1
            buyer = new_buyer(rng, ids, buyers, options)
        seconds = clock.seconds(j)
        year = clock.year(seconds)
        day = clock.compact[seconds // 86_400]
        freight = freights.draw(rng)
        is_split = count - j >= 2 and random() < split_share
        if is_split:  # one order a warehouse: a line each
            cart = _cart(rng, min(2 + int(random() * 3), count - j), heavy=buyer.is_heavy)
            parts = [[line] for line in cart]
        else:
            n = 2 + int(random() * 3) if buyer.is_heavy else lines_per_order.draw(rng)
            parts = [_cart(rng, n, heavy=buyer.is_heavy)]
        values = [sum(q * p.price for p, q in part) for part in parts]  # goods of each order
        for k, goods in enumerate(values):
            if goods + freight > SINGLE_LIMIT_FEN:
                within_single_limit(parts[k], freight)
                values[k] = sum(q * p.price for p, q in parts[k])
        if (
            not buyer.is_heavy
            and buyer.year_totals.get(year, 0) + sum(values) + freight * len(parts) > ANNUAL_LIMIT_FEN
        ):
            tally.retire(buyer)  # only heavy buyers cross the limit: this one has stopped
            slots[slot] = None
            continue
        base = f"IO{day}{tag}{j:07d}"
        for k, part in enumerate(parts):
            goods = values[k]
            discount = min(_COUPONS[int(random() * 5)], goods // 2) if random() < 0.15 else 0
            tax = withheld_tax(part, freight)
            u = random()
            if u < invalid_share:
                outcome = ImportOutcome.INVALID
            elif u < mismatch_edge:
                outcome = IMPORT_MISMATCHES.draw(rng)
            else:
                outcome = ImportOutcome.MATCHED
            total = buyer.year_totals.get(year, 0) + goods + freight
            buyer.year_totals[year] = total
            buyer.orders += 1
            beyond = total > ANNUAL_LIMIT_FEN
            buyer.beyond_limit += beyond
            payer = None
            if outcome is ImportOutcome.PAYER:  # the buyer's partner paid
                payer = new_person(rng, ids, start_year, is_male=not buyer.person.is_male)
                tally.payers_not_buyers += 1
            order_seconds = seconds + 7 * k  # the parts of a split purchase are seconds apart
            origin = part[0][0].origin_iso2
            bill = bills.get((origin, day))
            if bill is None:
                serial = zlib.crc32(f"{options.seed}:{origin}:{day}".encode()) % 10**7
                bill = bills[origin, day] = air_waybill_no(IMPORT_FLIGHTS[origin][1], serial)
            yield ImportCase(
                index=j,
                order_no=f"{base}-{k + 1}" if is_split else base,
                order_time=clock.stamp(order_seconds),
                pay_time=clock.stamp(order_seconds + 20 + int(random() * 580)),
                year=year,
                buyer=buyer,
                lines=part,
                goods=goods,
                freight=freight,
                discount=discount,
                tax=tax,
                paid=goods + freight + tax - discount,
                pay_transaction_id=f"{day}2200{tag}{j:010d}",
                logistics_no=make_s10("EE", (serial0 + j) % 10**8, origin),
                flight=IMPORT_FLIGHTS[origin][0],
                bill_no=bill,
                outcome=outcome,
                purchase=base if is_split else "",
                beyond_limit=beyond,
                payer=payer,
            )
            j += 1
        if is_split:
            tally.split_purchases += 1
            tally.split_orders += len(parts)
            # together over the single limit though each order is within it: 化整为零, which risk
            # screening holds when the orders reach it (docs/risk.md)
            if sum(values) + freight * len(parts) > SINGLE_LIMIT_FEN:
                tally.split_over_single_limit += 1
        if buyer.is_done:
            tally.retire(buyer)
            slots[slot] = None
        else:
            slots[slot] = buyer
    for b in slots:
        if b is not None:
            tally.retire(b)


# --- encoding --------------------------------------------------------------------------------

#: b'1}', b'2}', … : what closes the n-th export line after its JSON (see ExportLine.json).
_GNUM_CLOSE: list[bytes] = []


def _gnum_close(n: int) -> list[bytes]:
    while len(_GNUM_CLOSE) < n:
        _GNUM_CLOSE.append(f"{len(_GNUM_CLOSE) + 1}}}".encode())
    return _GNUM_CLOSE


_JSON = attrgetter("json")
_GRAMS = attrgetter("grams")
_INFO = attrgetter("info")


class Encoder:
    """Each document as one line of JSON in UTF-8, with the CEB field names intake reads
    (``cbec.intake.parsers.json_docs``); amounts as decimal text, so no reader turns them into
    binary floats. Bytes, because the export lines are kept encoded: most of an export order is
    its lines, and encoding them once per product and quantity rather than once per order is
    a fifth of the generation time."""

    def __init__(self, parties: Parties, catalogue: ExportCatalogue | None = None) -> None:
        p, s, lg, pay = parties.platform, parties.seller, parties.logistics, parties.payer
        self.currency = catalogue.currency if catalogue else "303"
        self.currency_iso = catalogue.currency_iso if catalogue else "GBP"
        self.parties_json = (
            f'"ebpCode":{_j(p.code)},"ebpName":{_j(p.name)},"ebcCode":{_j(s.code)},"ebcName":{_j(s.name)}'
        )
        self.logistics_json = f'"logisticsCode":{_j(lg.code)},"logisticsName":{_j(lg.name)}'
        self.pay_json = f'"payCode":{_j(pay.code)},"payName":{_j(pay.name)}'
        self.ebp_json = f'"ebpCode":{_j(p.code)},"ebpName":{_j(p.name)}'
        self.platform_json = f',"ebpCode":{_j(p.code)}'
        self.seller_json = f'"ebcCode":{_j(s.code)},"ebcName":{_j(s.name)}'
        self.other_seller_json = f'"ebcCode":"{OTHER_SELLER_CODE}"'

    # -- export --------------------------------------------------------------------------
    def export_order(self, case: ExportCase) -> bytes:
        lines = case.lines
        body = b",".join(map(add, map(_JSON, lines), _gnum_close(len(lines))))
        goods = case.goods
        if case.outcome is ExportOutcome.INVALID:  # the postage counted into the goods value
            goods += case.freight or 100
        return (
            (
                f'{{"type":"export_order","head":{{"orderType":"E","orderNo":"{case.order_no}",{self.parties_json},'
                f'"goodsValue":"{fen_text(goods)}","freight":"{fen_text(case.freight)}","currency":"{self.currency}",'
                f'"orderTime":"{case.order_time}","destinationCountry":"{case.destination.code}",'
                f'"buyerRef":"{case.buyer_ref}"}},"lines":['
            ).encode()
            + body
            + b"]}"
        )

    def export_waybill(self, case: ExportCase) -> bytes | None:
        """The logistics company's waybill (CEB505), or None when none is sent."""
        outcome = case.outcome
        if outcome is ExportOutcome.CANCELLED or outcome is ExportOutcome.WAYBILL_MISSING:
            return None
        grams = 200 + sum(map(_GRAMS, case.lines))  # and the packing
        info = "、".join(map(_INFO, case.lines[:8]))[:200]
        order_no = case.order_no + "-1" if outcome is ExportOutcome.WAYBILL_ORDER_NO else case.order_no
        seller = self.other_seller_json if outcome is ExportOutcome.WAYBILL_SELLER else self.seller_json
        # the forwarder knows the platform of a 9610 order it books, not that of an Amazon order
        ebp = "" if case.is_marketplace else self.platform_json
        return (
            f'{{"type":"export_waybill","head":{{{self.logistics_json},"logisticsNo":"{case.logistics_no}",'
            f'"freight":"{fen_text(case.freight)}","insuredFee":"0","currency":"{self.currency}",'
            f'"grossWeight":"{grams_text(grams)}","packNo":1,"goodsInfo":"{info}",{seller},'
            f'"orderNo":"{order_no}"{ebp},"destinationCountry":"{case.destination.code}"}}}}'
        ).encode()

    def amazon_rows(self, case: ExportCase) -> bytes:
        """The order's rows of an Amazon "All Orders" report (the columns of AMAZON_HEADER).

        ``item-price`` is the line total (Amazon: selling price × quantity ordered); the postage
        is the first row's ``shipping-price``. A cancelled order keeps its rows, quantity 0 and
        prices blank, as Amazon writes them.
        """
        cancelled = case.outcome is ExportOutcome.CANCELLED
        status = "Cancelled" if cancelled else "Shipped"
        iso2 = case.destination.iso2
        city, state, postcode = AMAZON_ADDRESSES.get(iso2, ("", "", ""))
        head = f"{case.order_no}\t\t{case.purchase_utc}\t{case.updated_utc}\t{status}\tMerchant\tAmazon.co.uk\t\t\tStandard"
        tail = f"{city}\t{state}\t{postcode}\t{iso2}\t\tfalse\t\t"
        rows = []
        for n, line in enumerate(case.lines):
            product = line.product
            if cancelled:
                money = f"0\t{self.currency_iso}\t\t\t\t\t\t\t\t"
            else:
                shipping = fen_text(case.freight) if n == 0 else "0.00"
                money = (
                    f"{line.qty}\t{self.currency_iso}\t{fen_text(line.total)}\t0.00\t{shipping}\t0.00\t\t\t0.00\t0.00"
                )
            rows.append(f"{head}\t{product.description}\t{product.item_no}\t{product.asin}\t{status}\t{money}\t{tail}")
        return "\n".join(rows).encode()

    # -- import --------------------------------------------------------------------------
    def import_order(self, case: ImportCase) -> bytes:
        lines = case.lines
        body = b",".join(map(add, [_import_line_json(p, q) for p, q in lines], _gnum_close(len(lines))))
        paid = case.paid - case.tax if case.outcome is ImportOutcome.INVALID else case.paid
        return (
            (
                f'{{"type":"import_order","head":{{"orderType":"I","orderNo":"{case.order_no}",{self.parties_json},'
                f'"goodsValue":"{fen_text(case.goods)}","freight":"{fen_text(case.freight)}",'
                f'"discount":"{fen_text(case.discount)}","taxTotal":"{fen_text(case.tax)}",'
                f'"acturalPaid":"{fen_text(paid)}","currency":"142",{case.buyer.order_json},{self.pay_json},'
                f'"payTransactionId":"{case.pay_transaction_id}","orderTime":"{case.order_time}"}},"lines":['
            ).encode()
            + body
            + b"]}"
        )

    def import_payment(self, case: ImportCase) -> bytes | None:
        """The payment company's payment (CEB411), or None when none is sent."""
        outcome = case.outcome
        if outcome is ImportOutcome.PAYMENT_MISSING:
            return None
        paid = (
            case.paid - case.tax if outcome is ImportOutcome.INVALID or outcome is ImportOutcome.AMOUNT else case.paid
        )
        payer = case.payer or case.buyer.person
        return (
            f'{{"type":"import_payment","head":{{{self.pay_json},"payTransactionId":"{case.pay_transaction_id}",'
            f'"orderNo":"{case.order_no}",{self.ebp_json},"payerIdType":"1","payerIdNumber":"{payer.id_number}",'
            f'"payerName":{_j(payer.name)},"telephone":"{payer.phone}","amountPaid":"{fen_text(paid)}",'
            f'"currency":"142","payTime":"{case.pay_time}"}}}}'
        ).encode()

    def import_waybill(self, case: ImportCase) -> bytes | None:
        """The logistics company's waybill (CEB511), or None when none is sent."""
        if case.outcome is ImportOutcome.WAYBILL_MISSING:
            return None
        buyer = case.buyer
        consignee = buyer.consignee_json
        if case.outcome is ImportOutcome.CONSIGNEE:  # the consignee's other number
            phone = buyer.consignee.phone
            consignee = consignee_json(
                buyer.consignee, buyer.address, f"{phone[:-4]}{(int(phone[-4:]) + 1) % 10_000:04d}"
            )
        grams = 100 + sum(qty * p.grams for p, qty in case.lines)
        info = "、".join(f"{p.name}×{qty}" for p, qty in case.lines)[:200]
        return (
            f'{{"type":"import_waybill","head":{{{self.logistics_json},"logisticsNo":"{case.logistics_no}",'
            f'"orderNo":"{case.order_no}","billNo":"{case.bill_no}","trafNo":"{case.flight}",'
            f'"voyageNo":"{case.flight}","freight":"{fen_text(case.freight)}","insuredFee":"0","currency":"142",'
            f'"weight":"{grams_text(grams)}","packNo":1,"goodsInfo":{_j(info)},{consignee}}}}}'
        ).encode()


#: The header of Amazon's "All Orders" flat file, as ``tests/data/amazon-all-orders.txt`` has it.
AMAZON_HEADER = (
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t"
    "sales-channel\torder-channel\turl\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\t"
    "currency\titem-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\t"
    "item-promotion-discount\tship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\t"
    "promotion-ids\tis-business-order\tpurchase-order-number\tprice-designation"
)
#: One delivery address per destination country of the marketplace orders: city, state, postcode.
AMAZON_ADDRESSES: dict[str, tuple[str, str, str]] = {
    "GB": ("LONDON", "", "SW1A 1AA"),
    "DE": ("BERLIN", "", "10117"),
    "FR": ("PARIS", "", "75001"),
    "IE": ("DUBLIN", "", "D02 X285"),
    "BE": ("BRUXELLES", "", "1000"),
    "NL": ("AMSTERDAM", "", "1012 JS"),
    "ES": ("MADRID", "", "28013"),
    "PT": ("LISBOA", "", "1100-148"),
    "AU": ("SYDNEY", "NSW", "2000"),
    "CH": ("ZURICH", "", "8001"),
    "US": ("AUSTIN", "TX", "78701"),
}
