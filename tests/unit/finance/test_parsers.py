"""Money files read as marketplaces write them: the settlement's rows add up to its header or the
settlement is refused with both figures; decimal commas and day-first dates; per-row errors name
the file, the row and the field; Shopify payouts from the transactions export; receipts checked
row by row."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from cbec.errors import InvalidInput
from cbec.finance.parsers import (
    MoneyFormat,
    amount,
    day,
    detect,
    parse_amazon_settlement,
    parse_receipts,
    parse_shopify_transactions,
)
from cbec.generate.settlements import AMAZON_HEADER, SoldLine, SoldOrder, amazon_settlements, shopify_transactions

ORDERS = [
    SoldOrder(f"111-{i:07d}", date(2026, 5, 1 + i % 28), "USD", (SoldLine("MUG", 1 + i % 3, Decimal("12.99")),))
    for i in range(60)
]


def test_amounts_and_dates_as_marketplaces_write_them() -> None:
    assert [amount(t) for t in ("1,234.56", "1.234,56", "12,50", "-3.10", "(3.10)", "7")] == [
        Decimal("1234.56"), Decimal("1234.56"), Decimal("12.50"), Decimal("-3.10"), Decimal("-3.10"), Decimal(7),
    ]  # fmt: skip
    for bad in ("", "abc", "NaN", "1.2.3,4,5"):
        with pytest.raises(ValueError, match=r".*"):
            amount(bad)
    assert day("2026-05-03T08:00:00+00:00") == day("03.05.2026") == day("2026-05-03 07:00:00 UTC") == date(2026, 5, 3)


def test_generated_settlements_add_up_and_every_category_total_matches_an_independent_sum() -> None:
    money = amazon_settlements(ORDERS)
    assert len(money.amazon) >= 2 and money.refunded
    for data in money.amazon:
        rows = list(csv.DictReader(io.StringIO(data.decode()), delimiter="\t"))
        assert list(rows[0].keys()) == list(AMAZON_HEADER)
        expected_total = sum(Decimal(r["amount"]) for r in rows[1:])
        by_description: dict[str, Decimal] = defaultdict(Decimal)
        for r in rows[1:]:
            key = f"{r['transaction-type']}/{r['amount-type']}/{r['amount-description']}"
            by_description[key] += Decimal(r["amount"])
        (s,) = parse_amazon_settlement(data, "s.txt").settlements
        assert s.total == Decimal(rows[0]["total-amount"]) == expected_total
        got: dict[str, Decimal] = defaultdict(Decimal)
        for ln in s.lines:
            got[ln.category] += ln.amount
        assert got["principal"] == by_description["Order/ItemPrice/Principal"]
        assert got["shipping"] == by_description["Order/ItemPrice/Shipping"]
        assert got["promotion"] == by_description["Order/Promotion/Principal"]
        assert got["refund"] == by_description["Refund/ItemPrice/Principal"]
        assert (
            got["commission"]
            == by_description["Order/ItemFees/Commission"] + by_description["Refund/ItemFees/Commission"]
        )
        assert got["fulfilment"] == by_description["Order/ItemFees/FBAPerUnitFulfillmentFee"]
        assert got["storage"] == by_description["other-transaction/other-transaction/Storage Fee"]
        assert got["advertising"] == by_description["ServiceFee/Cost of Advertising/TransactionTotalAmount"]
        assert got["account"] == by_description["other-transaction/other-transaction/Subscription Fee"]
        assert sum(got.values()) == expected_total


def test_a_settlement_whose_rows_do_not_add_up_is_refused_with_both_figures() -> None:
    data = amazon_settlements(ORDERS).amazon[0].decode().splitlines()
    cells = data[2].split("\t")
    cells[AMAZON_HEADER.index("amount")] = str(Decimal(cells[AMAZON_HEADER.index("amount")]) + Decimal("0.01"))
    data[2] = "\t".join(cells)
    parsed = parse_amazon_settlement(("\n".join(data) + "\n").encode(), "bad.txt")
    assert parsed.settlements == []
    (error,) = parsed.errors
    header_total = data[1].split("\t")[AMAZON_HEADER.index("total-amount")]
    assert error.field == "total-amount" and header_total in error.message_en and "not imported" in error.message_en
    assert "bad.txt" in error.document and "不等于" in error.message_zh


def test_eu_decimal_commas_day_first_dates_and_a_bad_row_named() -> None:
    header = "\t".join(AMAZON_HEADER)

    def row(**v: str) -> str:
        return "\t".join(v.get(h.replace("-", "_"), "") for h in AMAZON_HEADER)

    text = "\n".join(
        [
            header,
            row(settlement_id="9", deposit_date="03.06.2026", total_amount="1.000,50", currency="EUR"),
            row(settlement_id="9", transaction_type="Order", order_id="302-1", amount_type="ItemPrice",
                amount_description="Principal", amount="1.100,50", sku="A", quantity_purchased="2"),
            row(settlement_id="9", transaction_type="Order", order_id="302-1", amount_type="ItemFees",
                amount_description="Commission", amount="-100,00"),
            row(settlement_id="9", transaction_type="Order", order_id="302-2", amount_type="ItemFees",
                amount_description="Commission", amount="zehn"),
        ]
    )  # fmt: skip
    parsed = parse_amazon_settlement(text.encode(), "de.txt")
    (s,) = parsed.settlements
    assert s.total == Decimal("1000.50") and s.deposit_date == date(2026, 6, 3) and s.currency == "EUR"
    assert [ln.quantity for ln in s.lines] == [2, None]
    (bad,) = parsed.errors
    assert (bad.line, bad.field) == (5, "amount") and "zehn" in bad.message_en


def test_a_file_that_is_not_a_settlement_is_refused_naming_the_missing_columns() -> None:
    with pytest.raises(InvalidInput, match="settlement-id") as exc:
        parse_amazon_settlement(b"order-id\tamount\n1\t2\n")
    assert "缺少列" in exc.value.message_zh
    with pytest.raises(InvalidInput, match="format"):
        detect(b"hello,world\n1,2\n", "x.csv")


def test_shopify_payouts_from_the_transactions_export() -> None:
    transactions, summary = shopify_transactions(ORDERS)
    assert detect(transactions) is MoneyFormat.SHOPIFY_TRANSACTIONS and detect(summary) is MoneyFormat.SHOPIFY_PAYOUTS
    parsed = parse_shopify_transactions(transactions, "t.csv")
    rows = list(csv.DictReader(io.StringIO(transactions.decode())))
    net: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        net[r["Payout ID"]] += Decimal(r["Net"])
    assert {s.settlement_id: s.total for s in parsed.settlements} == dict(net)
    for s in parsed.settlements:
        assert sum(ln.amount for ln in s.lines) == s.total  # charges and refunds less the fees
    stated = {r["Payout Date"]: Decimal(r["Total"]) for r in csv.DictReader(io.StringIO(summary.decode()))}
    assert {s.deposit_date.isoformat(): s.total for s in parsed.settlements if s.deposit_date} == stated


def test_receipts_are_checked_row_by_row() -> None:
    money = amazon_settlements(ORDERS)
    parsed = parse_receipts(money.receipts, "r.csv")
    assert len(parsed.receipts) == sum(1 for _ in csv.DictReader(io.StringIO(money.receipts.decode())))
    assert not parsed.errors
    bad = money.receipts.decode().splitlines()
    cells = bad[1].split(",")
    cells[7] = "1.00"  # net no longer gross − fee
    bad[1] = ",".join(cells)
    again = parse_receipts(("\n".join(bad) + "\n").encode(), "r.csv")
    assert len(again.receipts) == len(parsed.receipts) - 1
    (error,) = again.errors
    assert error.field == "net" and error.line == 2
    as_json = parse_receipts(
        b'[{"provider": "LianLian", "txn_id": "LL1", "value_date": "2026-06-01", "currency": "USD",'
        b' "gross": "100.00", "fee": "0.50", "net": "99.50", "cny_amount": "706.45", "rate": "7.1"}]'
    )
    assert as_json.receipts[0].cny_amount == Decimal("706.45") and not as_json.errors
