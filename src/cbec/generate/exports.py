"""Export cases (9610 出口): orders shaped like the UCI Online Retail data (``profile.py``): lines
per order, the products and their popularity, unit prices, quantities by price band,
destinations with their postage, the hour of the day; each order's waybill (CEB505), numbered as
a UPU S10 item, unless it was cancelled before it shipped or is one of the deliberate mismatches.
Pure."""

from __future__ import annotations

import re
import zlib
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from random import Random
from typing import Any, TypeVar, cast

from cbec.generate.basics import Clock, GenerateOptions, Weighted, fen_text, json_text
from cbec.kit.tracking import make_s10

T = TypeVar("T")

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


def export_catalogue(profile: Mapping[str, Any], mix: Mapping[str, Any] | None = None) -> ExportCatalogue:
    """The export catalogue of a profile (``profile.derive_profile``). With a ``mix``
    (``profile.load_national_mix``) the same products, prices and destinations, but goods lines
    per order and units per line from the mix: B2C parcels instead of wholesale invoices."""
    currency = str(profile["currency"]["code"])
    edges = [_hundredths(e) for e in profile["price_bands"]]
    products: list[tuple[ExportProduct, float]] = []
    for code, description, lines, price_text in profile["products"]:
        name = " ".join(str(description).split())
        family = family_of(name)
        price = _hundredths(price_text)
        line_json = (
            f'"itemNo":{json_text(str(code)[:30])},"itemName":{json_text(f"{family.name_zh} {name}"[:250])},"unit":"011",'
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
    lines_per_order = [(int(n), float(c)) for n, c in profile["lines_per_order"]]
    if mix is not None:
        lines_per_order = [(int(n), float(c)) for n, c in mix["export_lines_per_parcel"]]
        bands = [[(int(q), float(n)) for q, n in mix["export_quantity_per_line"]] for _ in bands]
    return ExportCatalogue(
        currency=currency,
        currency_iso=str(profile["currency"]["iso"]),
        lines=LineTable(products, bands),
        lines_per_order=Weighted(lines_per_order),
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


#: CEB303 OrderList maxOccurs: the most goods lines an export order carries. ``cbec.customs.builders``
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


@dataclass(frozen=True, slots=True)
class _Outcomes:
    """How an export order ends: cancelled, invalid, a deliberate mismatch or matched, by the
    shares of the run, drawn from the run's one ``Random``."""

    rng: Random
    cancel: float
    invalid_edge: float
    mismatch_edge: float

    def of(self, u: float, is_marketplace: bool) -> ExportOutcome:
        if u < self.cancel:
            return ExportOutcome.CANCELLED
        if u < self.invalid_edge:
            # a marketplace report is read by the platform, which adds up the lines itself
            return ExportOutcome.MATCHED if is_marketplace else ExportOutcome.INVALID
        if u < self.mismatch_edge:
            return EXPORT_MISMATCHES.draw(self.rng)
        return ExportOutcome.MATCHED


@dataclass(frozen=True, slots=True)
class _Purchase:
    """One customer's purchase as drawn, before it becomes one order or several."""

    index: int
    order_no: str
    seconds: int
    destination: Destination
    lines: list[ExportLine]
    freight: int
    buyer_ref: str
    outcome: ExportOutcome


def _split_cases(p: _Purchase, parts: int, outcomes: _Outcomes, clock: Clock, serial0: int) -> Iterator[ExportCase]:
    """A purchase too long for one order as ``parts`` orders of nearly equal length, seconds
    apart, the postage with the first; each part after the first draws its own outcome, given
    that the purchase was not cancelled."""
    outcome = p.outcome
    for k, part in enumerate(split_lines(p.lines[: parts * EXPORT_ORDER_LINES], parts)):
        if k and outcome is not ExportOutcome.CANCELLED:
            outcome = outcomes.of(outcomes.cancel + outcomes.rng.random() * (1 - outcomes.cancel), False)
        at = p.seconds + 7 * k
        yield ExportCase(
            index=p.index + k,
            order_no=f"{p.order_no}-S{k + 1}",
            seconds=at,
            order_time=clock.stamp(at),
            destination=p.destination,
            lines=part,
            goods=sum(map(_TOTAL, part)),
            freight=0 if k else p.freight,
            buyer_ref=p.buyer_ref,
            is_marketplace=False,
            outcome=outcome,
            logistics_no=make_s10("LP", (serial0 + p.index + k) % 10**8, "CN"),
            purchase=p.order_no,
        )


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
    outcomes = _Outcomes(
        rng, cancel, cancel + options.invalid_share, cancel + options.invalid_share + options.mismatch_share
    )
    draw_lines, per_order, places = catalogue.lines.draw, catalogue.lines_per_order, catalogue.destinations
    serial0 = options.seed * 2_654_435_761 % 10**8
    tag, marketplace_share, most = options.tag, options.marketplace_share, EXPORT_ORDER_LINES
    # SKUs sent with their HS code in a JSON order so far: a marketplace report has no HS codes,
    # so an order goes there only when all its SKUs are already in the seller's catalogue
    listed: set[ExportProduct] = set()
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
        outcome = outcomes.of(random(), is_marketplace)
        buyer_ref = str(12_346 + int(random() * 5_942))  # the data set's CustomerID range
        order_no = (
            amazon_order_id(options.seed, i) if is_marketplace else f"SO{clock.compact[seconds // 86_400]}{tag}{i:07d}"
        )
        parts = min(-(-len(lines) // most), count - i) if too_long else 1
        if parts > 1:
            purchase = _Purchase(i, order_no, seconds, destination, lines, freight, buyer_ref, outcome)
            yield from _split_cases(purchase, parts, outcomes, clock, serial0)
            if tally is not None:
                tally.split_purchases += 1
                tally.split_orders += parts
            i += parts
            continue
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
