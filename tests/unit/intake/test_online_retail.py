"""The Online Retail data set read as export orders, checked against an independent computation
with Polars expressions over the raw file (the parser itself walks rows in Python)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cbec.intake.documents import DocType, ParseContext
from cbec.intake.parsers.online_retail import parse

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
DATA = SHARED / "data" / "online-retail.parquet"
CTX = ParseContext(
    "91330782MA2DEMN016", "义乌示范礼品家居有限公司", "91330782MA2DEMP02Y", "义乌示范跨境电商平台有限公司"
)

pytestmark = pytest.mark.skipif(not DATA.exists(), reason="../shared/data/online-retail.parquet is absent")


@pytest.fixture(scope="module")
def parsed():  # type: ignore[no-untyped-def]
    return parse(DATA.read_bytes(), CTX).materialize()


@pytest.fixture(scope="module")
def expected() -> dict[str, object]:
    import polars as pl

    df = pl.read_parquet(DATA)
    inv = df.group_by("InvoiceNo").agg(
        n=pl.len(),
        all_neg=(pl.col("Quantity") < 0).all(),
        all_zero=(pl.col("UnitPrice") == 0).all(),
    )
    numeric = inv.filter(pl.col("InvoiceNo").str.contains(r"^\d+$"))
    sales = numeric.filter(~pl.col("all_neg") & ~pl.col("all_zero"))
    return {
        "invoices": inv.height,
        "cancel": inv.filter(pl.col("InvoiceNo").str.starts_with("C")).height,
        "cancel_lines": int(inv.filter(pl.col("InvoiceNo").str.starts_with("C"))["n"].sum()),
        "adjust": inv.filter(pl.col("InvoiceNo").str.starts_with("A")).height,
        "stock": numeric.filter(pl.col("all_neg")).height,
        "zero": numeric.filter(~pl.col("all_neg") & pl.col("all_zero")).height,
        "orders": sales.height,
        "order_lines": int(sales["n"].sum()),
        "sale_ids": set(sales["InvoiceNo"].to_list()),
    }


def test_every_invoice_is_accounted_for(parsed, expected) -> None:  # type: ignore[no-untyped-def]
    s = parsed.stats
    assert s["invoices"] == expected["invoices"] == 25900
    assert s["rows"] == 541909
    assert s["cancellations"] == expected["cancel"] == 3836
    assert s["cancellation_lines"] == expected["cancel_lines"] == 9288
    assert s["adjustment_invoices"] == expected["adjust"] == 3
    assert s["stock_correction_invoices"] == expected["stock"]
    assert s["zero_value_invoices"] == expected["zero"]
    assert s["orders"] == expected["orders"]
    assert s["order_lines"] == expected["order_lines"]
    total = (
        s["orders"]
        + s["cancellations"]
        + s["adjustment_invoices"]
        + s["stock_correction_invoices"]
        + s["zero_value_invoices"]
    )
    assert total == 25900
    assert not parsed.errors


def test_orders_and_cancellations_become_the_right_documents(parsed, expected) -> None:  # type: ignore[no-untyped-def]
    orders = [d for d in parsed.documents if d.doc_type is DocType.EXPORT_ORDER]
    cancels = [d for d in parsed.documents if d.doc_type is DocType.ORDER_CANCEL]
    assert {d.head["orderNo"] for d in orders} == expected["sale_ids"]
    assert len(cancels) == expected["cancel"]
    assert all(d.head["cancelNo"].startswith("C") for d in cancels)


def test_goods_value_is_exact_and_postage_is_freight(parsed) -> None:  # type: ignore[no-untyped-def]
    first = next(d for d in parsed.documents if d.head.get("orderNo") == "536365")
    # 536365: 7 lines of the first invoice of the data set, 139.12 GBP in all
    assert first.head["goodsValue"] == Decimal("139.12")
    assert first.head["currency"] == "303"
    assert first.head["destinationCountry"] == "303"
    assert first.head["orderTime"] == "20101201162600"  # 08:26 London = 16:26 Beijing
    assert [line["gnum"] for line in first.lines] == list(range(1, 8))
    for d in parsed.documents:
        if d.doc_type is not DocType.EXPORT_ORDER:
            continue
        goods = [line for line in d.lines if "kind" not in line]
        assert d.head["goodsValue"] == sum((line["qty"] * line["price"] for line in goods), Decimal(0))
        freight = sum((line["totalPrice"] for line in d.lines if line.get("kind") == "freight"), Decimal(0))
        assert d.head["freight"] == max(freight, Decimal(0))


def test_sum_over_all_lines_matches_the_published_total(parsed) -> None:  # type: ignore[no-untyped-def]
    # data/README.md: Σ quantity × price over all lines = 9,747,747.93 GBP; the lines not read as
    # documents (stock corrections at price 0, zero-value invoices, bad-debt adjustments) make up the rest
    total = sum(
        (line["totalPrice"] for d in parsed.documents for line in d.lines),
        Decimal(0),
    )
    bad_debt = Decimal("11062.06")  # A563185 (+11062.06) and A563186/A563187 (−11062.06 each)
    assert (total - bad_debt).quantize(Decimal("0.01")) == Decimal("9747747.93")


def _csv(*rows: str) -> bytes:
    head = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    return "\n".join((head, *rows)).encode()


def test_a_discount_line_reduces_the_goods_value_as_shopify_and_amazon_do() -> None:
    """One rule (intake.rules.net_of_discount): the D line's 10.00 comes off the two goods lines
    in proportion (30.00 : 10.00 → 7.50 : 2.50), to the fen, and stays as a line already deducted."""
    data = _csv(
        "600001,22423,REGENCY CAKESTAND 3 TIER,2,2011-01-05 10:00:00,15.00,12345,Jersey",
        "600001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,4,2011-01-05 10:00:00,2.50,12345,Jersey",
        "600001,D,Discount,-1,2011-01-05 10:00:00,10.00,12345,Jersey",
        "600001,POST,POSTAGE,1,2011-01-05 10:00:00,5.00,12345,Jersey",
    )
    (doc,) = [d for d in parse(data, CTX).materialize().documents if d.doc_type is DocType.EXPORT_ORDER]
    goods = [ln for ln in doc.lines if "gnum" in ln]
    assert [ln["totalPrice"] for ln in goods] == [Decimal("22.50"), Decimal("7.50")]
    assert [ln["price"] for ln in goods] == [Decimal("11.25"), Decimal("1.875")]
    assert doc.head["goodsValue"] == Decimal("30.00")
    assert doc.head["freight"] == Decimal("5.00")
    (discount,) = [ln for ln in doc.lines if ln.get("kind") == "discount"]
    assert discount["totalPrice"] == Decimal("10.00") and "gnum" not in discount


def test_a_discount_larger_than_the_goods_is_an_error_of_the_invoice() -> None:
    data = _csv(
        "600002,22423,REGENCY CAKESTAND 3 TIER,1,2011-01-05 10:00:00,15.00,12345,Guernsey",
        "600002,D,Discount,-1,2011-01-05 10:00:00,20.00,12345,Guernsey",
    )
    result = parse(data, CTX).materialize()
    assert [(e.field, e.document) for e in result.errors] == [("discount", "invoice 600002")]
