"""Import cases (1210/9610 进口, CEB311): buyers with resident ID numbers (GB 11643-1999), mobile
numbers, Chinese names and addresses; each order with its payment (CEB411) and waybill (CEB511).
A share of buyers go over the annual limit and a share of purchases are split into several
orders; the limits are the platform's (``cbec.tax.rules.retail_import_rules``). Pure."""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from random import Random
from typing import TypeVar

from cbec.generate.basics import (
    IMPORT_HOURS,
    Clock,
    GenerateOptions,
    Weighted,
    fen_text,
    json_text,
    retail_limits_fen,
)
from cbec.generate.people import Buyer, IdentityAllocator, Person, new_buyer, new_person
from cbec.kit.tracking import make_s10

T = TypeVar("T")

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
#: declaration profile's default 011 applies, and ``cbec.customs.builders`` refuses a line in
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


def import_line_json(p: ImportProduct, qty: int) -> bytes:
    text = _IMPORT_LINE_JSON.get((p, qty))
    if text is None:
        text = _IMPORT_LINE_JSON[p, qty] = (
            f'{{"itemNo":"{p.item_no}","itemName":{json_text(p.name)},"gmodel":{json_text(p.gmodel)},"unit":"{IMPORT_UNIT}",'
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


def within_single_limit(
    lines: list[tuple[ImportProduct, int]], freight: int, single_limit: int
) -> list[tuple[ImportProduct, int]]:
    """Take items off the dearest line until the order is within the single limit (in fen)."""
    while freight + sum(q * p.price for p, q in lines) > single_limit:
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


@dataclass
class _ImportRun:
    """What every purchase of one run draws from and counts into."""

    options: GenerateOptions
    tally: ImportTally
    rng: Random
    clock: Clock
    ids: IdentityAllocator
    serial0: int
    bills: dict[tuple[str, str], str] = field(default_factory=dict)  # (origin, day) → master air waybill

    @classmethod
    def start(cls, options: GenerateOptions, tally: ImportTally) -> _ImportRun:
        rng = Random(f"cbec-generate:{options.seed}:import")  # noqa: S311 - test data, not secrets
        clock = Clock(options.start, options.days, options.import_orders, IMPORT_HOURS)
        serial0 = (options.seed * 40_503 + 12_345) % 10**8
        return cls(options, tally, rng, clock, IdentityAllocator(options.seed), serial0)

    def bill(self, origin: str, day: str) -> str:
        """The day's master air waybill from ``origin``."""
        bill = self.bills.get((origin, day))
        if bill is None:
            serial = zlib.crc32(f"{self.options.seed}:{origin}:{day}".encode()) % 10**7
            bill = self.bills[origin, day] = air_waybill_no(IMPORT_FLIGHTS[origin][1], serial)
        return bill

    def outcome(self) -> ImportOutcome:
        u = self.rng.random()
        if u < self.options.invalid_share:
            return ImportOutcome.INVALID
        if u < self.options.invalid_share + self.options.mismatch_share:
            return IMPORT_MISMATCHES.draw(self.rng)
        return ImportOutcome.MATCHED


@dataclass(frozen=True, slots=True)
class _Purchase:
    """One buyer's purchase: one order, or several split across warehouses."""

    j: int
    buyer: Buyer
    seconds: int
    year: int
    day: str
    freight: int
    is_split: bool
    base: str


def _draw_parts(run: _ImportRun, buyer: Buyer, left: int) -> tuple[bool, list[list[tuple[ImportProduct, int]]]]:
    """Whether the purchase is split (one order a warehouse, a line each) and its orders' lines."""
    random = run.rng.random
    is_split = left >= 2 and random() < run.options.split_share
    if is_split:
        cart = _cart(run.rng, min(2 + int(random() * 3), left), heavy=buyer.is_heavy)
        return True, [[line] for line in cart]
    n = 2 + int(random() * 3) if buyer.is_heavy else _IMPORT_LINES.draw(run.rng)
    return False, [_cart(run.rng, n, heavy=buyer.is_heavy)]


def _order_case(
    run: _ImportRun, p: _Purchase, k: int, part: list[tuple[ImportProduct, int]], goods: int, annual_limit: int
) -> ImportCase:
    """The ``k``-th order of a purchase, counted into its buyer's year."""
    random, buyer, freight, j = run.rng.random, p.buyer, p.freight, p.j + k
    discount = min(_COUPONS[int(random() * 5)], goods // 2) if random() < 0.15 else 0
    tax = withheld_tax(part, freight)
    outcome = run.outcome()
    total = buyer.year_totals.get(p.year, 0) + goods + freight
    buyer.year_totals[p.year] = total
    buyer.orders += 1
    beyond = total > annual_limit
    buyer.beyond_limit += beyond
    payer = None
    if outcome is ImportOutcome.PAYER:  # the buyer's partner paid
        payer = new_person(run.rng, run.ids, run.options.start.year, is_male=not buyer.person.is_male)
        run.tally.payers_not_buyers += 1
    order_seconds = p.seconds + 7 * k  # the parts of a split purchase are seconds apart
    origin = part[0][0].origin_iso2
    return ImportCase(
        index=j,
        order_no=f"{p.base}-{k + 1}" if p.is_split else p.base,
        order_time=run.clock.stamp(order_seconds),
        pay_time=run.clock.stamp(order_seconds + 20 + int(random() * 580)),
        year=p.year,
        buyer=buyer,
        lines=part,
        goods=goods,
        freight=freight,
        discount=discount,
        tax=tax,
        paid=goods + freight + tax - discount,
        pay_transaction_id=f"{p.day}2200{run.options.tag}{j:010d}",
        logistics_no=make_s10("EE", (run.serial0 + j) % 10**8, origin),
        flight=IMPORT_FLIGHTS[origin][0],
        bill_no=run.bill(origin, p.day),
        outcome=outcome,
        purchase=p.base if p.is_split else "",
        beyond_limit=beyond,
        payer=payer,
    )


def import_cases(options: GenerateOptions, tally: ImportTally) -> Iterator[ImportCase]:
    """The import orders.

    Buyers shop in turns: a few (``slots``, up to 32) are active at a time, one drawn at random
    for each purchase and replaced when done, so a buyer's orders are spread among others' and
    memory does not grow with the number of orders. A heavy buyer (``over_quota_share`` of
    buyers) buys until the year's total is over the annual limit, then 0–3 orders more; a normal
    buyer places 1–8 orders and never crosses the limit (a purchase that would make it cross
    goes to another buyer). The limits are those in force on the purchase's day.
    """
    run = _ImportRun.start(options, tally)
    random, count, clock = run.rng.random, options.import_orders, run.clock
    slots: list[Buyer | None] = [None] * max(1, min(32, count // 200))
    buyers = j = 0
    while j < count:
        slot = int(random() * len(slots))
        buyer = slots[slot]
        if buyer is None:
            buyers += 1
            buyer = new_buyer(run.rng, run.ids, buyers, options)
        seconds = clock.seconds(j)
        year, day = clock.year(seconds), clock.compact[seconds // 86_400]
        freight = _IMPORT_FREIGHT.draw(run.rng)
        is_split, parts = _draw_parts(run, buyer, count - j)
        single_limit, annual_limit = retail_limits_fen(day)
        values = [sum(q * p.price for p, q in part) for part in parts]  # goods of each order
        for k, goods in enumerate(values):
            if goods + freight > single_limit:
                within_single_limit(parts[k], freight, single_limit)
                values[k] = sum(q * p.price for p, q in parts[k])
        if not buyer.is_heavy and buyer.year_totals.get(year, 0) + sum(values) + freight * len(parts) > annual_limit:
            tally.retire(buyer)  # only heavy buyers cross the limit: this one has stopped
            slots[slot] = None
            continue
        purchase = _Purchase(j, buyer, seconds, year, day, freight, is_split, f"IO{day}{options.tag}{j:07d}")
        for k, part in enumerate(parts):
            yield _order_case(run, purchase, k, part, values[k], annual_limit)
        j += len(parts)
        if is_split:
            tally.split_purchases += 1
            tally.split_orders += len(parts)
            # together over the single limit though each order is within it: 化整为零, which risk
            # screening holds when the orders reach it (docs/risk.md)
            if sum(values) + freight * len(parts) > single_limit:
                tally.split_over_single_limit += 1
        slots[slot] = None if buyer.is_done else buyer
        if buyer.is_done:
            tally.retire(buyer)
    for b in slots:
        if b is not None:
            tally.retire(b)
