"""The lot rules, the 9810 reconciliation and the 1210 book check, case by case, and the lot
rules' conservation as a property."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cbec.warehouse.rules import (
    BookLine,
    DeclaredLine,
    Kind,
    Movement,
    Receipt,
    bucket_of,
    overdraws,
    reconcile_9810,
    signed,
    stock_as_of,
)

D0 = date(2025, 1, 1)


def mv(kind: Kind, qty: int, days: int, wh: str = "LAX1", sku: str = "A", to: str = "") -> Movement:
    return Movement(wh, sku, kind, signed(kind, qty), D0 + timedelta(days=days), f"R{days}", to_warehouse=to)


def test_buckets_edges() -> None:
    assert [bucket_of(d) for d in (0, 90, 91, 180, 181, 270, 271, 365, 366, 5000)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_sales_consume_the_oldest_lots_first() -> None:
    moves = [mv(Kind.INBOUND, 10, 0), mv(Kind.INBOUND, 5, 200), mv(Kind.SALE, 12, 250)]
    (p,) = stock_as_of(moves, D0 + timedelta(days=300)).positions
    assert p.on_hand == 3
    assert p.buckets == (0, 3, 0, 0, 0)  # the 10 of day 0 are gone, 3 of day 200 remain (100 days old)
    assert p.oldest == D0 + timedelta(days=200)


def test_returns_and_positive_adjustments_are_new_lots_of_their_day() -> None:
    moves = [
        mv(Kind.INBOUND, 4, 0),
        mv(Kind.SALE, 4, 10),
        mv(Kind.CUSTOMER_RETURN, 1, 400),
        mv(Kind.ADJUSTMENT, 2, 401),
    ]
    (p,) = stock_as_of(moves, D0 + timedelta(days=402)).positions
    assert (p.on_hand, p.buckets) == (3, (3, 0, 0, 0, 0))


def test_a_sale_beyond_stock_is_a_shortfall_never_negative() -> None:
    report = stock_as_of([mv(Kind.INBOUND, 2, 0), mv(Kind.SALE, 5, 1)], D0 + timedelta(days=2))
    assert report.positions == ()
    (short,) = report.shortfalls
    assert (short.units, short.kind, short.reference) == (3, Kind.SALE, "R1")
    assert report.units_in - report.units_out == 0


def test_a_transfer_keeps_the_lots_dates() -> None:
    moves = [mv(Kind.INBOUND, 10, 0), mv(Kind.TRANSFER, 6, 100, to="ONT8")]
    report = stock_as_of(moves, D0 + timedelta(days=200))
    by_wh = {p.warehouse: p for p in report.positions}
    assert by_wh["LAX1"].on_hand == 4 and by_wh["ONT8"].on_hand == 6
    assert by_wh["ONT8"].buckets == (0, 0, 6, 0, 0)  # 200 days old, as the goods are


def test_fba_transfer_halves_meet_in_flight() -> None:
    moves = [
        mv(Kind.INBOUND, 10, 0),
        Movement("LAX1", "A", Kind.TRANSFER, -6, D0 + timedelta(days=100)),
        Movement("ONT8", "A", Kind.TRANSFER, 4, D0 + timedelta(days=103)),
    ]
    mid = stock_as_of(moves, D0 + timedelta(days=101))
    assert dict(mid.transfers_open) == {"A": 6}
    done = stock_as_of(moves, D0 + timedelta(days=200))
    assert {p.warehouse: p.on_hand for p in done.positions} == {"LAX1": 4, "ONT8": 4}
    assert dict(done.transfers_open) == {"A": 2}
    assert next(p for p in done.positions if p.warehouse == "ONT8").oldest == D0


def test_movements_after_the_day_do_not_count() -> None:
    report = stock_as_of([mv(Kind.INBOUND, 3, 0), mv(Kind.INBOUND, 3, 10)], D0 + timedelta(days=5))
    assert report.positions[0].on_hand == 3


def test_reconcile_9810_in_transit_received_short_over_and_unexplained() -> None:
    declared = [
        DeclaredLine("L1", "", "A", 10, D0),
        DeclaredLine("L1", "", "B", 5, D0),
        DeclaredLine("L2", "INV2", "A", 8, D0 + timedelta(days=50)),
        DeclaredLine("L3", "", "C", 4, D0),
    ]
    receipts = [
        Receipt("LAX1", "A", 10, D0 + timedelta(days=30)),  # fills L1/A
        Receipt("LAX1", "B", 2, D0 + timedelta(days=30)),  # L1/B partly
        Receipt("LAX1", "A", 9, D0 + timedelta(days=80), list_no="INV2"),  # names L2 by invtNo: 1 over
        Receipt("LAX1", "C", 6, D0 + timedelta(days=20)),  # 4 to L3, 2 unexplained
        Receipt("LAX1", "Z", 3, D0 + timedelta(days=20), list_no="NOPE"),
    ]
    lines, unexplained = reconcile_9810(declared, receipts, D0 + timedelta(days=90), transit_days=60)
    status = {(ln.list_no, ln.sku): (ln.status, ln.received, ln.in_transit, ln.variance) for ln in lines}
    assert status[("L1", "A")] == ("received", 10, 0, 0)
    assert status[("L1", "B")] == ("short", 2, 0, -3)  # 90 days after declaring: due
    assert status[("L2", "A")] == ("over", 9, 0, 1)
    assert status[("L3", "C")] == ("received", 4, 0, 0)
    assert [(u.sku, u.units, u.reason) for u in unexplained] == [("C", 2, "no_declaration"), ("Z", 3, "unknown_list")]
    early, _ = reconcile_9810(declared[:2], receipts[:2], D0 + timedelta(days=40), transit_days=60)
    assert [(ln.status, ln.in_transit) for ln in early] == [("received", 0), ("partly_received", 3)]


def test_a_receipt_before_the_declaration_explains_nothing() -> None:
    lines, unexplained = reconcile_9810(
        [DeclaredLine("L1", "", "A", 5, D0 + timedelta(days=10))], [Receipt("W", "A", 5, D0)], D0 + timedelta(days=20)
    )
    assert lines[0].status == "in_transit" and unexplained[0].units == 5


def test_overdraw_names_each_sku_short() -> None:
    book = {"A": BookLine("A", 10, 3, 2), "B": BookLine("B", 1, 0, 0)}
    assert overdraws(book, {"A": 5}) == []
    assert [(o.sku, o.wanted, o.available) for o in overdraws(book, {"A": 6, "B": 1, "C": 1})] == [
        ("A", 6, 5),
        ("C", 1, 0),
    ]


# --- the property --------------------------------------------------------------------------------

WAREHOUSES = ("LAX1", "ONT8", "PHL4")
SKUS = ("A", "B")


@st.composite
def movement_lists(draw: st.DrawFn) -> list[Movement]:
    n = draw(st.integers(0, 60))
    out, day = [], D0
    for _ in range(n):
        day += timedelta(days=draw(st.integers(0, 40)))
        kind = draw(st.sampled_from(list(Kind)))
        wh, sku = draw(st.sampled_from(WAREHOUSES)), draw(st.sampled_from(SKUS))
        qty = draw(st.integers(1, 30))
        if kind is Kind.TRANSFER:
            to = draw(st.sampled_from(("", *WAREHOUSES)))
            quantity = -qty if to or draw(st.booleans()) else qty
            out.append(Movement(wh, sku, kind, quantity, day, to_warehouse=to if to != wh else ""))
        elif kind is Kind.ADJUSTMENT:
            out.append(Movement(wh, sku, kind, draw(st.sampled_from((qty, -qty))), day))
        else:
            out.append(Movement(wh, sku, kind, signed(kind, qty), day))
    return out


def _balances(moves: list[Movement], as_of: date) -> tuple[dict[tuple[str, str], int], int]:
    """On hand per (warehouse, SKU) as running balances that stop at zero, and the units short:
    written without lots, apart from the rules."""
    bal: dict[tuple[str, str], int] = {}
    short = 0
    for m in moves:
        if m.day > as_of:
            continue
        key = (m.warehouse, m.sku)
        have = bal.get(key, 0)
        if m.quantity >= 0:
            bal[key] = have + m.quantity
            continue
        taken = min(have, -m.quantity)
        short += -m.quantity - taken
        bal[key] = have - taken
        if m.kind is Kind.TRANSFER and m.to_warehouse:
            bal[(m.to_warehouse, m.sku)] = bal.get((m.to_warehouse, m.sku), 0) + taken
    return {k: v for k, v in bal.items() if v}, short


@settings(max_examples=300, deadline=None)
@given(movement_lists(), st.integers(0, 2000))
def test_stock_is_conserved_and_buckets_sum_to_on_hand(moves: list[Movement], days: int) -> None:
    as_of = D0 + timedelta(days=days)
    report = stock_as_of(moves, as_of)
    expected, short = _balances(moves, as_of)
    assert {(p.warehouse, p.sku): p.on_hand for p in report.positions} == expected
    assert sum(s.units for s in report.shortfalls) == short
    # on hand = in − out, counting what enters from outside the warehouses and what leaves them
    counted = [m for m in moves if m.day <= as_of and not (m.kind is Kind.TRANSFER and m.to_warehouse)]
    in_ = sum(m.quantity for m in counted if m.quantity > 0)
    out = sum(-m.quantity for m in counted if m.quantity < 0) - sum(
        s.units for s in report.shortfalls if not s.to_warehouse
    )
    assert (report.units_in, report.units_out) == (in_, out)
    assert sum(expected.values()) == in_ - out
    for p in report.positions:
        assert sum(p.buckets) == p.on_hand > 0
        assert p.oldest is not None and p.oldest <= as_of
