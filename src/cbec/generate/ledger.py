"""An FBA Inventory Ledger (``GET_LEDGER_DETAIL_VIEW_DATA``, FORMATS.md) and the same events as a
canonical movement CSV (docs/warehouse.md), built from real sales (the Online Retail lines of a
set of SKUs): several fulfillment centres, receipts that replenish before stock runs out,
shipments, customer returns, stock-count adjustments both ways, removals of old stock and
transfers between centres, over about two years. Seeded; pure (rows in, bytes out)."""

from __future__ import annotations

import csv
import io
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

LEDGER_HEADER = (
    "Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity", "Fulfillment Center",
    "Disposition", "Reason", "Country", "Reconciled Quantity", "Unreconciled Quantity",
)  # fmt: skip
CANONICAL_HEADER = ("warehouse", "sku", "movement", "quantity", "date", "reference", "list_no", "to_warehouse")
CENTRES = ("PHL4", "ONT8", "LAX9", "BHX4")
CANONICAL_KIND = {
    "Receipts": "inbound", "Shipments": "sale", "CustomerReturns": "customer_return", "Adjustments": "adjustment",
    "VendorReturns": "removal", "WhseTransfers": "transfer",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sale:
    sku: str
    quantity: int
    day: date
    reference: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    day: date
    sku: str
    event: str
    quantity: int  # signed, as the ledger writes it
    centre: str
    reference: str
    title: str
    to_centre: str = ""  # a transfer out of ``centre`` into this one (the canonical file pairs them)


class _Sim:
    def __init__(self, rng: random.Random) -> None:
        self.rng, self.stock, self.events, self.n = rng, dict[tuple[str, str], int](), list[Event](), 0

    def add(self, day: date, sku: str, event: str, qty: int, centre: str, ref: str, title: str, to: str = "") -> None:
        self.events.append(Event(day, sku, event, qty, centre, ref, title, to))
        self.stock[(centre, sku)] = self.stock.get((centre, sku), 0) + qty

    def receipt(self, day: date, sku: str, centre: str, qty: int, title: str) -> None:
        self.n += 1
        self.add(day, sku, "Receipts", qty, centre, f"FBA{self.n:08d}", title)


def ledger_events(sales: Sequence[Sale], *, seed: int = 18, start: date = date(2024, 1, 1)) -> list[Event]:
    """The ledger's events, in the order a day's report lists them; sale days are stretched to
    twice their span from ``start`` so that the history runs over about two years."""
    rng = random.Random(f"cbec-generate:{seed}:ledger")  # noqa: S311 - test data, not secrets
    first = min(s.day for s in sales)
    sim = _Sim(rng)
    home = {sku: rng.sample(CENTRES, 2) for sku in sorted({s.sku for s in sales})}
    titles = {s.sku: s.title for s in sales}
    for sku, centres in home.items():  # the opening stock, received before the first sale
        sim.receipt(start - timedelta(days=rng.randint(20, 120)), sku, centres[0], rng.randint(20, 200), titles[sku])
    for s in sorted(sales, key=lambda s: s.day):
        day = start + timedelta(days=(s.day - first).days * 2)
        centre = rng.choice(home[s.sku])
        if sim.stock.get((centre, s.sku), 0) < s.quantity and rng.random() < 0.97:  # 3% oversell: a shortfall
            sim.receipt(day, s.sku, centre, s.quantity + rng.randint(10, 150), s.title)
        sim.add(day, s.sku, "Shipments", -s.quantity, centre, s.reference, s.title)
        _extras(sim, rng, day, s, centre, home[s.sku])
    return sorted(sim.events, key=lambda e: e.day)  # stable: a day's events keep their order


def _extras(sim: _Sim, rng: random.Random, day: date, s: Sale, centre: str, centres: list[str]) -> None:
    roll = rng.random()
    if roll < 0.06:
        back = rng.randint(1, s.quantity)
        sim.add(day + timedelta(days=rng.randint(3, 30)), s.sku, "CustomerReturns", back, centre, s.reference, s.title)
    elif roll < 0.09:
        sim.add(day, s.sku, "Adjustments", rng.choice((-2, -1, 1, 3)), centre, f"ADJ-{s.reference}", s.title)
    elif roll < 0.11 and sim.stock.get((centre, s.sku), 0) > 4:
        moved, other = rng.randint(1, sim.stock[(centre, s.sku)] // 2), next(c for c in centres if c != centre)
        ref = f"T-{s.reference}"
        sim.add(day, s.sku, "WhseTransfers", -moved, centre, ref, s.title, other)
        sim.add(day + timedelta(days=rng.randint(1, 6)), s.sku, "WhseTransfers", moved, other, ref, s.title)
    elif roll < 0.12 and sim.stock.get((centre, s.sku), 0) > 10:
        sim.add(day, s.sku, "VendorReturns", -rng.randint(1, 5), centre, f"RMV-{s.reference}", s.title)


def fba_ledger(events: Sequence[Event]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter="\t", lineterminator="\n")
    w.writerow(LEDGER_HEADER)
    for e in events:
        fnsku = f"X00{zlib.crc32(e.sku.encode()) % 10**7:07d}"
        w.writerow(
            (e.day.strftime("%m/%d/%Y"), fnsku, f"B0{e.sku[:8]:0>8}", e.sku, e.title[:80], e.event, e.reference,
             e.quantity, e.centre, "SELLABLE", "", "US", e.quantity if e.event == "Receipts" else 0, 0)
        )  # fmt: skip
    return out.getvalue().encode()


def canonical_csv(events: Sequence[Event]) -> bytes:
    """The same events as movements: counts unsigned (an adjustment signed); a transfer as one row
    from its centre into the other, on the day it left (its arriving half is then dropped)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CANONICAL_HEADER)
    for e in events:
        kind = CANONICAL_KIND[e.event]
        if kind == "transfer" and not e.to_centre:
            continue
        qty = e.quantity if kind == "adjustment" else abs(e.quantity)
        w.writerow((e.centre, e.sku, kind, qty, e.day.isoformat(), e.reference, "", e.to_centre))
    return out.getvalue().encode()
