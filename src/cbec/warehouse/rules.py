"""Overseas-warehouse stock as lots, the 9810 reconciliation and the 1210 bonded account book:
the pure rules (issue 18, part 2). No I/O, no clock: every date is passed in.

Stock is kept per (warehouse, SKU) as lots, each with the day it entered and its units. What
enters (a receipt, a customer return, a positive adjustment) is a new lot dated that day; what
leaves (a sale, a removal, a negative adjustment) consumes the oldest lots first (先进先出法,
《企业会计准则第1号——存货》第十四条, the method FBA's own inventory age follows). A transfer
moves lots, with their dates, out of one warehouse into another: goods are not younger for
having moved. Nothing ever goes below zero: units that leave without stock to leave from are a
*shortfall*, listed with the movement that caused it (decision 0012).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Kind(StrEnum):
    INBOUND = "inbound"  # 入库 (a receipt at the warehouse, FBA "Receipts")
    SALE = "sale"  # 销售出库 (FBA "Shipments")
    CUSTOMER_RETURN = "customer_return"  # 退货入库 (FBA "CustomerReturns")
    ADJUSTMENT = "adjustment"  # 盘盈/盘亏 (FBA "Adjustments"), signed
    REMOVAL = "removal"  # 移除/退回 (FBA "VendorReturns", removal orders)
    TRANSFER = "transfer"  # 调拨 (FBA "WhseTransfers")


KIND_TEXT = {
    Kind.INBOUND: ("入库", "inbound"),
    Kind.SALE: ("销售出库", "sale"),
    Kind.CUSTOMER_RETURN: ("退货入库", "customer return"),
    Kind.ADJUSTMENT: ("调整", "adjustment"),
    Kind.REMOVAL: ("移除", "removal"),
    Kind.TRANSFER: ("调拨", "transfer"),
}

#: kinds whose quantity is given unsigned (the sign follows from the kind); an adjustment is signed
INTO = frozenset({Kind.INBOUND, Kind.CUSTOMER_RETURN})
OUT_OF = frozenset({Kind.SALE, Kind.REMOVAL})

#: FBA inventory planning ages stock in these buckets (FORMATS.md, the Inventory Age report):
#: upper bound in days, inclusive; the last has none
BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-90", 90),
    ("91-180", 180),
    ("181-270", 270),
    ("271-365", 365),
    ("365+", None),
)
BUCKET_NAMES = tuple(name for name, _ in BUCKETS)


@dataclass(frozen=True, slots=True)
class Movement:
    """One stock movement. ``quantity`` is signed: + into ``warehouse``, − out of it. A transfer
    naming ``to_warehouse`` moves ``-quantity`` units from ``warehouse`` into it; a transfer
    without one is one half of a move (FBA writes each half as its own row)."""

    warehouse: str
    sku: str
    kind: Kind
    quantity: int
    day: date
    reference: str = ""
    list_no: str = ""
    to_warehouse: str = ""
    row: int | None = None


def signed(kind: Kind, quantity: int) -> int:
    """The signed quantity of a movement given as a kind and a count (canonical CSV, API):
    receipts and returns enter, sales and removals leave, an adjustment carries its own sign, a
    transfer with a destination leaves its warehouse."""
    if kind in INTO:
        return abs(quantity)
    if kind in OUT_OF:
        return -abs(quantity)
    return quantity


def bucket_of(age_days: int) -> int:
    """The index of the ageing bucket of a lot this many days old (a lot of today is 0 days)."""
    for i, (_, upper) in enumerate(BUCKETS):
        if upper is None or age_days <= upper:
            return i
    return len(BUCKETS) - 1


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Units a movement took out that the warehouse did not hold (flagged, never negative stock)."""

    warehouse: str
    sku: str
    day: date
    kind: Kind
    reference: str
    units: int
    row: int | None
    to_warehouse: str = ""  # a transfer between two warehouses: the units short moved nowhere


@dataclass(frozen=True, slots=True)
class Position:
    """One SKU in one warehouse as of a day: units on hand and units per ageing bucket."""

    warehouse: str
    sku: str
    on_hand: int
    buckets: tuple[int, ...]
    oldest: date | None


@dataclass(frozen=True, slots=True)
class StockReport:
    as_of: date
    positions: tuple[Position, ...]
    shortfalls: tuple[Shortfall, ...]
    #: units that left a warehouse by transfer and have not arrived in another, per SKU
    transfers_open: tuple[tuple[str, int], ...]
    #: units that entered the warehouses from outside, and that left them (in flight included):
    #: on hand = units_in − units_out
    units_in: int
    units_out: int


@dataclass
class Ledger:
    """Lots per (warehouse, SKU), fed movements in order (day, then as received)."""

    lots: dict[tuple[str, str], deque[tuple[date, int]]] = field(default_factory=dict)
    moving: dict[str, deque[tuple[date, int]]] = field(default_factory=dict)
    shortfalls: list[Shortfall] = field(default_factory=list)
    units_in: int = 0
    units_out: int = 0

    def apply(self, m: Movement) -> None:
        if m.quantity == 0:
            return
        key = (m.warehouse, m.sku)
        if m.kind is Kind.TRANSFER and m.to_warehouse:
            self.lots.setdefault((m.to_warehouse, m.sku), deque()).extend(self._take(m, key, abs(m.quantity)))
        elif m.quantity > 0:
            self.units_in += m.quantity
            lots = self.lots.setdefault(key, deque())
            lots.extend(self._arriving(m) if m.kind is Kind.TRANSFER else ((m.day, m.quantity),))
        else:
            taken = self._take(m, key, -m.quantity)
            self.units_out += sum(u for _, u in taken)
            if m.kind is Kind.TRANSFER:
                self.moving.setdefault(m.sku, deque()).extend(taken)

    def _arriving(self, m: Movement) -> list[tuple[date, int]]:
        """The arriving half of a move: lots that left another warehouse, oldest first, keep
        their dates; units nobody saw leave enter as new stock of that day."""
        pool, wanted, arrived = self.moving.get(m.sku), m.quantity, []
        while pool and wanted:
            day, units = pool[0]
            use = min(units, wanted)
            arrived.append((day, use))
            wanted -= use
            if use == units:
                pool.popleft()
            else:
                pool[0] = (day, units - use)
        if wanted:
            arrived.append((m.day, wanted))
        return arrived

    def _take(self, m: Movement, key: tuple[str, str], units: int) -> list[tuple[date, int]]:
        """Consume ``units`` oldest first; what is missing is a shortfall."""
        lots, taken, wanted = self.lots.get(key), [], units
        while lots and wanted:
            day, have = lots[0]
            use = min(have, wanted)
            taken.append((day, use))
            wanted -= use
            if use == have:
                lots.popleft()
            else:
                lots[0] = (day, have - use)
        if wanted:
            self.shortfalls.append(
                Shortfall(m.warehouse, m.sku, m.day, m.kind, m.reference, wanted, m.row, m.to_warehouse)
            )
        return taken

    def report(self, as_of: date) -> StockReport:
        positions = []
        for (warehouse, sku), lots in sorted(self.lots.items()):
            if not lots:
                continue
            buckets = [0] * len(BUCKETS)
            for day, units in lots:
                buckets[bucket_of((as_of - day).days)] += units
            positions.append(Position(warehouse, sku, sum(buckets), tuple(buckets), lots[0][0]))
        moving = tuple(sorted((sku, sum(u for _, u in pool)) for sku, pool in self.moving.items() if pool))
        return StockReport(as_of, tuple(positions), tuple(self.shortfalls), moving, self.units_in, self.units_out)


def stock_as_of(movements: Iterable[Movement], as_of: date) -> StockReport:
    """The lots after every movement up to and including ``as_of``, in the order given (the
    caller orders them by day, then as received: a day's events apply in file order)."""
    ledger = Ledger()
    for m in movements:
        if m.day <= as_of:
            ledger.apply(m)
    return ledger.report(as_of)


# --- the 9810 reconciliation ---------------------------------------------------------------------

#: days a declared 9810 shipment may travel before a unit still missing is a shortage rather than
#: in transit (ocean freight to Europe or the US plus inbound processing; replaceable policy)
TRANSIT_DAYS = 60


@dataclass(frozen=True, slots=True)
class DeclaredLine:
    """One SKU of a declared 9810 list (出口海外仓清单, 海关总署公告2020年第75号)."""

    list_no: str
    invt_no: str
    sku: str
    quantity: int
    declared_on: date
    warehouse: str = ""


@dataclass(frozen=True, slots=True)
class Receipt:
    warehouse: str
    sku: str
    quantity: int
    day: date
    reference: str = ""
    list_no: str = ""


@dataclass(frozen=True, slots=True)
class LineOutcome:
    list_no: str
    invt_no: str
    sku: str
    declared_on: date
    declared: int
    received: int
    in_transit: int
    variance: int  # received − declared once the shipment is due; 0 while in transit
    status: str  # received | in_transit | partly_received | short | over


@dataclass(frozen=True, slots=True)
class Unexplained:
    """Units received that no declared 9810 list explains."""

    warehouse: str
    sku: str
    day: date
    reference: str
    list_no: str
    units: int
    reason: str  # no_declaration | unknown_list


STATUS_TEXT = {
    "received": ("已全部入仓", "received"),
    "in_transit": ("在途", "in transit"),
    "partly_received": ("部分入仓，其余在途", "partly received, the rest in transit"),
    "short": ("短少", "short"),
    "over": ("多收", "over-received"),
    "no_declaration": ("无对应申报", "no declaration explains it"),
    "unknown_list": ("引用的清单未申报", "names a list that was not declared"),
}


def reconcile_9810(
    declared: Sequence[DeclaredLine], receipts: Sequence[Receipt], as_of: date, transit_days: int = TRANSIT_DAYS
) -> tuple[list[LineOutcome], list[Unexplained]]:
    """Declared 9810 lists against warehouse receipts (海关总署公告2020年第75号: the goods of a
    9810 list go to the overseas warehouse named in the booking). A receipt naming a list (its
    copNo or invtNo) fills that list's line of the SKU, the excess being that line's over-receipt;
    a receipt naming none fills the oldest lines of its SKU declared on or before its day; what
    is left explains nothing."""
    lines = sorted(declared, key=lambda d: (d.declared_on, d.list_no, d.sku))
    got = [0] * len(lines)
    by_list: dict[tuple[str, str], int] = {}
    for i, d in enumerate(lines):
        by_list[(d.list_no, d.sku)] = i
        if d.invt_no:
            by_list[(d.invt_no, d.sku)] = i
    known_lists = {d.list_no for d in lines} | {d.invt_no for d in lines if d.invt_no}
    unexplained: list[Unexplained] = []
    for r in sorted(receipts, key=lambda r: r.day):
        if r.quantity <= 0:
            continue
        if r.list_no:
            at = by_list.get((r.list_no, r.sku))
            if at is None:
                reason = "unknown_list" if r.list_no not in known_lists else "no_declaration"
                unexplained.append(Unexplained(r.warehouse, r.sku, r.day, r.reference, r.list_no, r.quantity, reason))
            else:
                got[at] += r.quantity
            continue
        left = r.quantity
        for i, d in enumerate(lines):
            if left and d.sku == r.sku and d.declared_on <= r.day and got[i] < d.quantity:
                use = min(left, d.quantity - got[i])
                got[i] += use
                left -= use
        if left:
            unexplained.append(Unexplained(r.warehouse, r.sku, r.day, r.reference, "", left, "no_declaration"))
    return [_outcome(d, got[i], as_of, transit_days) for i, d in enumerate(lines)], unexplained


def _outcome(d: DeclaredLine, received: int, as_of: date, transit_days: int) -> LineOutcome:
    due = (as_of - d.declared_on).days > transit_days
    missing = max(d.quantity - received, 0)
    if received > d.quantity:
        status, in_transit, variance = "over", 0, received - d.quantity
    elif missing == 0:
        status, in_transit, variance = "received", 0, 0
    elif due:
        status, in_transit, variance = "short", 0, -missing
    else:
        status, in_transit, variance = ("partly_received" if received else "in_transit"), missing, 0
    return LineOutcome(d.list_no, d.invt_no, d.sku, d.declared_on, d.quantity, received, in_transit, variance, status)


# --- the 1210 bonded account book ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookLine:
    """One SKU of an account book: what came in, what released lists took out, what declared
    lists hold until customs answers."""

    sku: str
    inbound: int
    outbound: int
    reserved: int

    @property
    def balance(self) -> int:
        return self.inbound - self.outbound

    @property
    def available(self) -> int:
        return self.inbound - self.outbound - self.reserved


@dataclass(frozen=True, slots=True)
class Overdraw:
    sku: str
    wanted: int
    available: int


def overdraws(book: dict[str, BookLine], wanted: dict[str, int]) -> list[Overdraw]:
    """The SKUs a 1210 list would take beyond what the account book holds. Goods sold by 网购保税
    进口 leave the special area against the area's account book (海关总署公告2018年第194号 §二;
    海关特殊监管区域 电子账册), so a list larger than the book's available balance is refused
    before it is declared, not left for customs to reject."""
    out = []
    for sku, units in sorted(wanted.items()):
        line = book.get(sku)
        available = line.available if line else 0
        if units > available:
            out.append(Overdraw(sku, units, available))
    return out
