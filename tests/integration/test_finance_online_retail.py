"""Settlement files built to the documented headers from the Online Retail orders (issue 17's
acceptance): several settlements with refunds, FBA-style fees, promotions and account-level
charges, and a Shopify payout file of the same orders; every category total and every deposit
total, as the parsers read them, equals an independent sum over the file's own rows, to the
cent."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from cbec.finance.parsers import parse_amazon_settlement, parse_shopify_payouts, parse_shopify_transactions
from cbec.generate.settlements import SoldLine, SoldOrder, amazon_settlements, shopify_transactions
from tests.conftest import ONLINE_RETAIL

pytestmark = pytest.mark.integration

#: how each category is defined over the file's (transaction-type, amount-type, amount-description)
#: — written here from FORMATS.md, independently of finance/data/amazon_categories.csv
EXPECTED = {
    "principal": {("Order", "ItemPrice", "Principal")},
    "shipping": {("Order", "ItemPrice", "Shipping")},
    "promotion": {("Order", "Promotion", "Principal")},
    "refund": {("Refund", "ItemPrice", "Principal")},
    "commission": {("Order", "ItemFees", "Commission"), ("Refund", "ItemFees", "Commission")},
    "fulfilment": {("Order", "ItemFees", "FBAPerUnitFulfillmentFee")},
    "storage": {("other-transaction", "other-transaction", "Storage Fee")},
    "advertising": {("ServiceFee", "Cost of Advertising", "TransactionTotalAmount")},
    "account": {("other-transaction", "other-transaction", "Subscription Fee")},
}


@pytest.fixture(scope="module")
def sold() -> list[SoldOrder]:
    """The first 600 invoices with goods lines (December 2010), as shipped orders (prices in GBP)."""
    df = (
        pl.read_parquet(ONLINE_RETAIL)
        .with_columns(pl.col("InvoiceNo").cast(pl.Utf8), pl.col("StockCode").cast(pl.Utf8))
        .filter(
            pl.col("InvoiceNo").str.contains(r"^\d+$"),
            pl.col("StockCode").str.contains(r"^\d{5}"),
            pl.col("Quantity") > 0,
            pl.col("UnitPrice") > 0,
        )
    )
    first = df.get_column("InvoiceNo").unique(maintain_order=True).head(600).to_list()
    out = []
    for (invoice,), rows in df.filter(pl.col("InvoiceNo").is_in(first)).group_by(["InvoiceNo"], maintain_order=True):
        day = rows.get_column("InvoiceDate").min()
        lines = tuple(
            SoldLine(str(sku), int(q), Decimal(str(p)))
            for sku, q, p in rows.select("StockCode", "Quantity", "UnitPrice").iter_rows()
        )
        out.append(
            SoldOrder(
                str(invoice), day.date() if hasattr(day, "date") else date.fromisoformat(str(day)[:10]), "GBP", lines
            )
        )
    return out


def test_amazon_settlements_from_online_retail_orders_add_up_by_category(sold: list[SoldOrder]) -> None:
    money = amazon_settlements(sold, period_days=3)  # the 600 invoices span a few days
    assert len(money.amazon) >= 3 and len(money.refunded) >= 20
    deposits = Decimal(0)
    got: dict[str, Decimal] = defaultdict(Decimal)
    want: dict[str, Decimal] = defaultdict(Decimal)
    for data in money.amazon:
        rows = list(csv.DictReader(io.StringIO(data.decode()), delimiter="\t"))
        header, body = rows[0], rows[1:]
        assert sum(Decimal(r["amount"]) for r in body) == Decimal(header["total-amount"])
        deposits += Decimal(header["total-amount"])
        for r in body:
            key = (r["transaction-type"], r["amount-type"], r["amount-description"])
            category = next(c for c, keys in EXPECTED.items() if key in keys)  # every row is one of them
            want[category] += Decimal(r["amount"])
        parsed = parse_amazon_settlement(data, "settlement.txt")
        assert not parsed.errors
        (s,) = parsed.settlements
        for ln in s.lines:
            got[ln.category] += ln.amount
    assert dict(got) == dict(want)
    assert want["principal"] == sum(ln.price * ln.qty for o in sold for ln in o.lines)
    assert sum(got.values()) == deposits


def test_a_shopify_payout_file_of_the_same_orders(sold: list[SoldOrder]) -> None:
    transactions, summary = shopify_transactions(sold)
    parsed = parse_shopify_transactions(transactions, "transactions.csv")
    rows = list(csv.DictReader(io.StringIO(transactions.decode())))
    charges = sum(Decimal(r["Amount"]) for r in rows if r["Type"] == "charge")
    refunds = sum(Decimal(r["Amount"]) for r in rows if r["Type"] == "refund")
    fees = sum(Decimal(r["Fee"]) for r in rows)
    lines = [ln for s in parsed.settlements for ln in s.lines]
    assert sum(ln.amount for ln in lines if ln.category == "principal") == charges
    assert sum(ln.amount for ln in lines if ln.category == "refund") == refunds
    assert sum(ln.amount for ln in lines if ln.category == "commission") == -fees
    stated = parse_shopify_payouts(summary, "payouts.csv").payout_totals
    assert {s.deposit_date.isoformat(): s.total for s in parsed.settlements if s.deposit_date} == {
        k: v[0] for k, v in stated.items()
    }
    assert sum(s.total for s in parsed.settlements) == charges + refunds - fees
