"""Shopify orders exports read as export orders. tests/data/shopify-orders.csv carries the full
header of shared/reference/FORMATS.md, with the order's own columns on its first row only."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cbec.errors import InvalidInput
from cbec.intake.documents import DocType, ParseContext, ParsedDocument
from cbec.intake.formats import Format, detect
from cbec.intake.parsers.base import ParseResult
from cbec.intake.parsers.shopify_orders import parse
from cbec.intake.rules import validate
from cbec.kit.codes import code_lists

FILE = Path(__file__).resolve().parents[2] / "data" / "shopify-orders.csv"
CTX = ParseContext("91330782MA2DEMN016", "义乌示范礼品家居有限公司", "无", "Shopify")


def _table() -> list[list[str]]:
    return list(csv.reader(io.StringIO(FILE.read_text(encoding="utf-8"), newline="")))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _orders(result: ParseResult) -> dict[str, ParsedDocument]:
    return {d.head["orderNo"]: d for d in result.documents if d.doc_type is DocType.EXPORT_ORDER}


def _goods(doc: ParsedDocument) -> list[dict[str, Any]]:
    return [dict(line) for line in doc.lines if "kind" not in line]


@pytest.fixture(scope="module")
def parsed() -> ParseResult:
    return parse(FILE.read_bytes(), CTX)


def test_one_order_per_name_with_its_line_items(parsed: ParseResult) -> None:
    orders = _orders(parsed)
    assert {no: len(_goods(d)) for no, d in orders.items()} == {"#1001": 2, "#1002": 2, "#1003": 1, "#1005": 3}
    assert (parsed.stats["rows"], parsed.stats["orders"], parsed.stats["cancellations"]) == (9, 4, 1)
    assert not parsed.errors


def test_order_fields_on_the_first_row_apply_to_every_line(parsed: ParseResult) -> None:
    order = _orders(parsed)["#1005"]  # three rows; Currency, Subtotal, Shipping … on the first only
    assert order.head["goodsValue"] == Decimal("48.70")  # 3 × 5.90 + 2 × 9.99 + 11.02
    assert order.head["freight"] == Decimal("9.00")
    assert order.head["currency"] == "501"  # CAD
    assert order.head["destinationCountry"] == "501"  # CA
    assert {line["currency"] for line in order.lines} == {"501"}
    assert [(line["itemNo"], line["qty"], line["price"]) for line in order.lines] == [
        ("YW-SPAT-SIL", Decimal(3), Decimal("5.90")),
        ("YW-TRAY-BAMB", Decimal(2), Decimal("9.99")),
        ("YW-LED-10M", Decimal(1), Decimal("11.02")),
    ]
    assert order.source_ref == "rows 8-10"


def test_values_to_the_fen_and_time_in_beijing(parsed: ParseResult) -> None:
    order = _orders(parsed)["#1001"]
    assert (order.head["goodsValue"], order.head["freight"]) == (Decimal("35.97"), Decimal("6.50"))
    assert (order.head["currency"], order.head["destinationCountry"]) == ("502", "502")
    assert order.head["orderTime"] == "20260501160000"  # 10:00 +0200
    assert _orders(parsed)["#1002"].head["orderTime"] == "20260503013000"  # 18:30 +0100, next day in Beijing


def test_quoted_cells_with_commas_quotes_and_line_breaks(parsed: ParseResult) -> None:
    order = _orders(parsed)["#1001"]
    assert order.lines[1]["itemName"] == 'Bamboo Tray, Large "30cm"'
    assert order.source_ref == "rows 2-3"  # the Notes cell spans two lines of the file, one row


def test_a_discount_code_lowers_the_lines_to_the_subtotal(parsed: ParseResult) -> None:
    order = _orders(parsed)["#1002"]  # 2 × 12.00 + 6.00, SPRING10 takes 3.00: Subtotal 27.00
    assert order.head["goodsValue"] == Decimal("27.00")
    assert order.head["freight"] == Decimal("5.00")
    assert [(line["totalPrice"], line["price"]) for line in _goods(order)] == [
        (Decimal("21.60"), Decimal("10.80")),
        (Decimal("5.40"), Decimal("5.40")),
    ]
    (discount,) = [line for line in order.lines if line.get("kind") == "discount"]
    assert (discount["itemNo"], discount["totalPrice"]) == ("SPRING10", Decimal("3.00"))


def test_a_free_shipping_code_lowers_freight_not_goods(parsed: ParseResult) -> None:
    order = _orders(parsed)["#1003"]
    assert (order.head["goodsValue"], order.head["freight"]) == (Decimal("20.00"), Decimal("0.00"))
    assert (order.head["currency"], order.head["destinationCountry"]) == ("300", "304")


def test_cancelled_orders_are_not_declared(parsed: ParseResult) -> None:
    assert "#1004" not in _orders(parsed)
    (cancel,) = [d for d in parsed.documents if d.doc_type is DocType.ORDER_CANCEL]
    assert (cancel.head["cancelNo"], cancel.head["cancelTime"]) == ("#1004", "20260504003000")


def test_columns_are_found_by_name_not_position(parsed: ParseResult) -> None:
    rows = _table()
    order = list(reversed(range(len(rows[0]))))
    moved = parse(_csv([[row[i] for i in order] for row in rows]), CTX)
    assert list(moved.documents) == list(parsed.documents)
    assert moved.stats == parsed.stats


def test_an_older_export_without_the_newer_columns(parsed: ParseResult) -> None:
    rows = _table()
    header = rows[0]
    older = set(range(header.index("Outstanding Balance"), header.index("Device ID") + 1))
    older |= set(range(header.index("Tax 5 Value") + 1, len(header)))
    trimmed = [[cell for i, cell in enumerate(row) if i not in older] for row in rows]
    assert "Duties" not in trimmed[0] and "Lineitem discount" in trimmed[0]
    assert list(parse(_csv(trimmed), CTX).documents) == list(parsed.documents)


def test_a_file_without_required_columns_names_them() -> None:
    rows = _table()
    drop = {rows[0].index("Lineitem price"), rows[0].index("Shipping Country")}
    with pytest.raises(InvalidInput) as caught:
        parse(_csv([[c for i, c in enumerate(row) if i not in drop] for row in rows]), CTX)
    for text in (caught.value.message_en, caught.value.message_zh):
        assert "Lineitem price" in text and "Shipping Country" in text


def test_an_unreadable_number_names_row_and_column_and_the_rest_is_read() -> None:
    rows = _table()
    rows[4][rows[0].index("Lineitem price")] = "6.OO"  # row 5: second line of #1002
    result = parse(_csv(rows), CTX)
    (error,) = result.errors
    assert (error.field, error.line, error.document) == ("Lineitem price", 5, "row 5")
    assert "row 5" in error.message_en and "#1002" in error.message_en
    assert set(_orders(result)) == {"#1001", "#1003", "#1005"}


def test_rows_of_one_order_that_disagree_are_an_error() -> None:
    rows = _table()
    rows[2][rows[0].index("Currency")] = "EUR"  # #1001's second row names another currency
    result = parse(_csv(rows), CTX)
    (error,) = result.errors
    assert (error.field, error.line, error.code) == ("Currency", 3, "inconsistent")
    assert "#1001" not in _orders(result)


def test_a_european_spreadsheet_resave_with_semicolons_and_decimal_commas(parsed: ParseResult) -> None:
    rows = _table()
    money = {rows[0].index(c) for c in ("Subtotal", "Shipping", "Taxes", "Total", "Discount Amount", "Lineitem price")}
    money.add(rows[0].index("Lineitem discount"))
    eu = [[c.replace(".", ",") if i in money else c for i, c in enumerate(row)] for row in rows]
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(eu)
    assert list(parse(out.getvalue().encode("cp1252"), CTX).documents) == list(parsed.documents)


def test_orders_read_pass_the_intake_field_rules(parsed: ParseResult) -> None:
    assert detect(FILE.read_bytes(), FILE.name) is Format.SHOPIFY_ORDERS
    codes = code_lists()
    for doc in parsed.documents:
        assert validate(doc, codes)[1] == [], doc.label
    # nothing is lost: goodsValue is Σ goods lines, and with the recorded discounts added back
    # it is Σ quantity × Lineitem price of the file
    list_prices = {"#1001": "35.97", "#1002": "30.00", "#1003": "20.00", "#1005": "48.70"}
    for no, doc in _orders(parsed).items():
        goods = sum((line["totalPrice"] for line in _goods(doc)), Decimal(0))
        discounts = sum((line["totalPrice"] for line in doc.lines if line.get("kind") == "discount"), Decimal(0))
        assert doc.head["goodsValue"] == goods
        assert goods + discounts == Decimal(list_prices[no])
