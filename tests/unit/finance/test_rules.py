"""Reconciliation rules: lines onto their orders, account-level charges spread to the cent, payouts
paid by the receipts that name them or fit them, each order's 收汇 status, the restored gross."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cbec.finance.rules import (
    OrderIn,
    PayoutIn,
    Policy,
    ReceiptRow,
    SettlementRow,
    Status,
    match_receipts,
    reconcile,
    settle_orders,
)

D = Decimal


def _order(no: str, value: str, released: date | None = date(2026, 5, 2)) -> OrderIn:
    return OrderIn("AMZ", no, 1, f"INV{no}", "released", D(value), "USD", released)


def test_account_level_charges_are_spread_by_principal_and_add_up_to_the_cent() -> None:
    orders = [_order("A", "10.00"), _order("B", "20.00"), _order("C", "70.00")]
    rows = [
        SettlementRow(1, 2, "A", "principal", D("10.00"), "Principal"),
        SettlementRow(1, 3, "B", "principal", D("20.00"), "Principal"),
        SettlementRow(1, 4, "C", "principal", D("70.00"), "Principal"),
        SettlementRow(1, 5, "", "storage", D("-1.00"), "Storage Fee"),
        SettlementRow(1, 6, "", "advertising", D("-3.33"), "Cost of Advertising"),
        SettlementRow(1, 7, "X-9", "principal", D("5.00"), "Principal"),
    ]
    money, unmatched = settle_orders(orders, rows, {1: "AMZ"})
    storage = [money[("AMZ", n)].bridge["storage"] for n in "ABC"]
    assert storage == [D("-0.10"), D("-0.20"), D("-0.70")] and sum(storage) == D("-1.00")
    ads = [money[("AMZ", n)].bridge["advertising"] for n in "ABC"]
    assert sum(ads) == D("-3.33") and ads[:2] == [D("-0.33"), D("-0.67")]  # the remainder on the largest
    (line,) = unmatched
    assert line.kind == "line" and "X-9" in line.reference and "没有已申报的订单" in line.reason_zh


def test_a_charge_in_a_settlement_without_orders_stays_unallocated_and_listed() -> None:
    _, unmatched = settle_orders(
        [_order("A", "10")], [SettlementRow(2, 2, "", "account", D("-39.99"), "Subscription Fee")], {2: "AMZ"}
    )
    (u,) = unmatched
    assert u.kind == "charge" and u.amount == D("-39.99") and "Subscription Fee" in u.reference


def test_receipts_pay_the_payout_they_name_else_the_one_they_fit() -> None:
    payouts = [
        PayoutIn(1, "S1", "AMZ", "USD", D("1000.00"), date(2026, 5, 16)),
        PayoutIn(2, "S2", "AMZ", "USD", D("500.00"), date(2026, 5, 30)),
        PayoutIn(3, "S3", "AMZ", "USD", D("800.00"), date(2026, 6, 13)),
    ]
    receipts = [
        ReceiptRow(10, "T-named", "USD", D("480.00"), D("478.56"), None, date(2026, 6, 20), ("", "S2")),  # named
        ReceiptRow(11, "T-fits", "USD", D("997.00"), D("994.00"), D("7057.40"), date(2026, 5, 18), ("", "")),
        ReceiptRow(12, "T-late", "USD", D("800.00"), D("797.60"), None, date(2026, 7, 30), ("", "")),  # past the window
    ]
    paid, left = match_receipts(payouts, receipts, Policy())
    assert {k: v.txn_id for k, v in paid.items()} == {1: "T-fits", 2: "T-named"}
    assert sorted((u.kind, u.reference) for u in left) == [("payout", "S3"), ("receipt", "T-late")]


def test_status_and_restored_gross() -> None:
    orders = [
        _order("A", "100.00"),
        _order("B", "100.00"),
        _order("C", "50.00", date(2025, 1, 1)),
        _order("D", "80.00"),
    ]
    rows = [
        SettlementRow(1, 2, "A", "principal", D("100.00"), ""),
        SettlementRow(1, 3, "A", "fulfilment", D("-6.44"), ""),
        SettlementRow(1, 4, "A", "commission", D("-15.00"), ""),
        SettlementRow(1, 5, "B", "principal", D("60.00"), ""),
        SettlementRow(2, 2, "D", "principal", D("80.00"), ""),
    ]
    payouts = [
        PayoutIn(1, "S1", "AMZ", "USD", D("138.56"), date(2026, 5, 16)),
        PayoutIn(2, "S2", "AMZ", "USD", D("80"), date(2026, 5, 30)),
    ]
    receipts = [ReceiptRow(1, "T1", "USD", D("138.56"), D("138.15"), None, date(2026, 5, 17), ("S1",))]
    result = reconcile(orders, rows, payouts, receipts, as_of=date(2026, 6, 1))
    status = {m.order.order_no: m.status for m in result.orders}
    assert status == {"A": Status.RECEIVED, "B": Status.PARTIAL, "C": Status.OVERDUE, "D": Status.NOT_RECEIVED}
    a = next(m for m in result.orders if m.order.order_no == "A")
    assert a.net_settled == D("78.56") and a.received_net == D("78.56") and a.restored_gross == D("85.00")
    t = result.totals["USD"]
    assert t["declared"] == D("330.00") and t["deposits"] == D("218.56") and t["received_gross"] == D("138.56")
    assert t["not_settled"] == D("90.00") and t["netted_costs"] == D("6.44")


@given(st.lists(st.decimals(min_value=D("0.01"), max_value=D("9999"), places=2), min_size=1, max_size=30),
       st.decimals(min_value=D("-9999"), max_value=D("-0.01"), places=2))  # fmt: skip
def test_any_charge_spread_over_any_orders_adds_up_exactly(principals: list[Decimal], charge: Decimal) -> None:
    orders = [_order(f"O{i}", str(p)) for i, p in enumerate(principals)]
    rows = [SettlementRow(1, i + 2, f"O{i}", "principal", p, "") for i, p in enumerate(principals)]
    rows.append(SettlementRow(1, 999, "", "storage", charge, "Storage Fee"))
    money, unmatched = settle_orders(orders, rows, {1: "AMZ"})
    assert not unmatched
    assert sum(m.bridge["storage"] for m in money.values()) == charge
