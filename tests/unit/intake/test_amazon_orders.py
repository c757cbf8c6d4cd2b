"""Amazon "All Orders" reports (amazon.com and an EU marketplace with decimal commas) read as
export orders. The files in tests/data follow the headers in shared/reference/FORMATS.md: the
32-column by-last-update report and the older 29-column by-order-date report."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cbec.errors import InvalidInput
from cbec.intake.documents import DocType, ParseContext, ParsedDocument
from cbec.intake.formats import Format, detect
from cbec.intake.parsers.amazon_orders import parse
from cbec.intake.parsers.base import ParseResult
from cbec.intake.rules import validate
from cbec.kit.codes import code_lists

DATA = Path(__file__).resolve().parents[2] / "data"
US_FILE = DATA / "amazon-all-orders.txt"
DE_FILE = DATA / "amazon-de-all-orders.txt"
CTX = ParseContext("91330782MA2DEMN016", "义乌示范礼品家居有限公司", "无", "Amazon")


def _table(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]


def _tsv(rows: list[list[str]]) -> bytes:
    return ("\n".join("\t".join(r) for r in rows) + "\n").encode("utf-8")


def _orders(result: ParseResult) -> dict[str, ParsedDocument]:
    return {d.head["orderNo"]: d for d in result.documents if d.doc_type is DocType.EXPORT_ORDER}


def _goods(doc: ParsedDocument) -> list[dict[str, Any]]:
    return [dict(line) for line in doc.lines if "kind" not in line]


@pytest.fixture(scope="module")
def us() -> ParseResult:
    return parse(US_FILE.read_bytes(), CTX)


def test_one_order_per_amazon_order_id_and_every_row_accounted_for(us: ParseResult) -> None:
    orders = _orders(us)
    assert set(orders) == {"111-4820193-7730601", "111-9035521-1184202", "111-6641093-2205547"}
    assert {no: len(_goods(d)) for no, d in orders.items()} == {
        "111-4820193-7730601": 2,
        "111-9035521-1184202": 1,
        "111-6641093-2205547": 2,  # its third item was cancelled
    }
    s = us.stats
    assert (s["rows"], s["orders_in_file"], s["orders"]) == (9, 6, 3)
    assert (s["cancellations"], s["pending_orders"], s["fba_orders"], s["cancelled_items"]) == (1, 1, 1, 1)
    assert not us.errors


def test_values_are_exact_to_the_fen_and_item_price_is_the_line_total(us: ParseResult) -> None:
    order = _orders(us)["111-4820193-7730601"]
    assert order.head["goodsValue"] == Decimal("34.48")  # 25.98 + 8.50
    assert order.head["freight"] == Decimal("4.99")
    assert order.head["currency"] == "502"  # USD
    assert order.head["destinationCountry"] == "502"  # US
    assert order.head["orderTime"] == "20260501223000"  # 14:30 UTC = 22:30 Beijing
    assert (order.head["ebpCode"], order.head["ebcCode"], order.head["orderType"]) == ("无", CTX.seller_code, "E")
    mug = order.lines[0]
    # item-price 25.98 is for both mugs: 2 × 12.99
    assert (mug["gnum"], mug["itemNo"], mug["qty"], mug["price"], mug["totalPrice"]) == (
        1,
        "YW-MUG-350",
        Decimal(2),
        Decimal("12.99"),
        Decimal("25.98"),
    )
    assert mug["itemName"] == 'Ceramic Coffee Mug 12oz, Set of 2 "Speckled"'  # a quote is text in a TSV
    assert mug["unit"] == "011"


def test_promotions_come_off_the_value_whatever_their_sign(us: ParseResult) -> None:
    orders = _orders(us)
    negative = orders["111-9035521-1184202"]  # item promotion -3.00, free-shipping promotion -5.99
    assert negative.head["goodsValue"] == Decimal("26.97")
    assert negative.head["freight"] == Decimal("0.00")
    assert negative.lines[0]["price"] == Decimal("8.99")
    discount = [line for line in negative.lines if line.get("kind") == "discount"]
    assert len(discount) == 1 and "gnum" not in discount[0]
    assert discount[0]["totalPrice"] == Decimal("3.00")
    assert any("5.99" in note for note in negative.notes)

    positive = orders["111-6641093-2205547"]  # promotion written as +1.50; ships to Canada
    assert positive.head["goodsValue"] == Decimal("20.15")  # 5.85 + (15.80 − 1.50)
    assert positive.head["freight"] == Decimal("5.49")
    assert positive.head["destinationCountry"] == "501"
    assert [line["gnum"] for line in _goods(positive)] == [1, 2]


def test_cancelled_pending_and_fba_orders_are_not_declared(us: ParseResult) -> None:
    orders = _orders(us)
    assert "111-2288410-5512634" not in orders  # Cancelled
    assert "111-7302219-0092210" not in orders  # Pending: no prices yet
    assert "111-5560114-3378025" not in orders  # fulfilled by Amazon from its warehouse abroad
    cancels = [d for d in us.documents if d.doc_type is DocType.ORDER_CANCEL]
    assert [d.head["cancelNo"] for d in cancels] == ["111-2288410-5512634"]
    assert cancels[0].head["cancelTime"] == "20260502173000"


def test_eu_marketplace_decimal_commas_and_the_older_29_column_report() -> None:
    assert len(_table(DE_FILE)[0]) == 29
    result = parse(DE_FILE.read_bytes(), CTX)
    assert not result.errors
    orders = _orders(result)
    munich = orders["302-1873345-2203617"]
    assert munich.head["goodsValue"] == Decimal("66.18")  # 51,96 + (15,80 − 1,58)
    assert munich.head["freight"] == Decimal("4.99")
    assert munich.head["currency"] == "300"  # EUR
    assert munich.head["destinationCountry"] == "304"  # DE
    assert munich.head["orderTime"] == "20260504151233"  # 09:12:33 +02:00
    assert munich.lines[0]["price"] == Decimal("12.99")
    assert munich.lines[1]["itemName"] == "LED-Lichterkette 10 m, warmweiß"
    vienna = orders["302-5519230-7781045"]
    assert vienna.head["goodsValue"] == Decimal("1249.00")  # "1.249,00"
    assert vienna.head["freight"] == Decimal("49.90")
    assert vienna.head["destinationCountry"] == "315"  # AT
    assert vienna.head["orderTime"] == "20260506034710"  # next day in Beijing


def test_columns_are_found_by_name_not_position() -> None:
    rows = _table(US_FILE)
    order = list(reversed(range(len(rows[0]))))
    shuffled = [[row[i] for i in order] for row in rows]
    original, moved = parse(US_FILE.read_bytes(), CTX), parse(_tsv(shuffled), CTX)
    assert list(moved.documents) == list(original.documents)
    assert moved.stats == original.stats


def test_a_file_without_required_columns_names_them() -> None:
    rows = _table(US_FILE)
    drop = {rows[0].index("item-price"), rows[0].index("ship-country")}
    trimmed = [[cell for i, cell in enumerate(row) if i not in drop] for row in rows]
    with pytest.raises(InvalidInput) as caught:
        parse(_tsv(trimmed), CTX)
    for text in (caught.value.message_en, caught.value.message_zh):
        assert "item-price" in text and "ship-country" in text


def test_an_unreadable_number_names_row_and_column_and_the_rest_is_read() -> None:
    rows = _table(US_FILE)
    rows[3][rows[0].index("item-price")] = "29.9x"  # row 4 of the file: order 111-9035521-1184202
    result = parse(_tsv(rows), CTX)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.field, error.line, error.document) == ("item-price", 4, "row 4")
    assert "row 4" in error.message_en and "item-price" in error.message_en and "29.9x" in error.message_en
    assert "第 4 行" in error.message_zh
    assert set(_orders(result)) == {"111-4820193-7730601", "111-6641093-2205547"}
    assert result.stats["orders_with_errors"] == 1


def test_every_bad_cell_of_an_order_is_reported_at_once() -> None:
    rows = _table(US_FILE)
    header = rows[0]
    rows[1][header.index("quantity")] = "two"
    rows[2][header.index("shipping-price")] = "4,99,0"
    result = parse(_tsv(rows), CTX)
    assert [(e.line, e.field) for e in result.errors] == [(2, "quantity"), (3, "shipping-price")]
    assert "111-4820193-7730601" not in _orders(result)


def test_windows_1252_files_and_a_utf8_bom_are_read() -> None:
    rows = _table(US_FILE)[:3]
    rows[1][rows[0].index("product-name")] = "Café Mug – Speckled"
    data = ("\r\n".join("\t".join(r) for r in rows) + "\r\n").encode("cp1252")
    result = parse(data, CTX)
    assert _orders(result)["111-4820193-7730601"].lines[0]["itemName"] == "Café Mug – Speckled"
    assert parse(b"\xef\xbb\xbf" + US_FILE.read_bytes(), CTX).stats == parse(US_FILE.read_bytes(), CTX).stats


def test_orders_read_pass_the_intake_field_rules(us: ParseResult) -> None:
    for path in (US_FILE, DE_FILE):
        assert detect(path.read_bytes(), path.name) is Format.AMAZON_ORDERS
    codes = code_lists()
    for doc in [*us.documents, *parse(DE_FILE.read_bytes(), CTX).documents]:
        assert validate(doc, codes)[1] == [], doc.label


def test_orders_to_jersey_and_guernsey_are_read_with_the_suggested_code_shown() -> None:
    """The customs numeric table has no code for the Crown Dependencies: the order is kept, valid,
    declared under the suggested 399 (other Europe), and the document says so."""
    rows = _table(US_FILE)
    country, order_id = rows[0].index("ship-country"), rows[0].index("amazon-order-id")
    first, second = list(_orders(parse(_tsv(rows), CTX).materialize()))[:2]
    for row in rows[1:]:
        row[country] = {first: "JE", second: "Guernsey"}.get(row[order_id], row[country])
    result = parse(_tsv(rows), CTX).materialize()
    assert result.errors == []
    orders = _orders(result)
    for order, name, iso2 in ((first, "Jersey", "JE"), (second, "Guernsey", "GG")):
        doc = orders[order]
        assert doc.head["destinationCountry"] == "399"
        assert any(f"{name} ({iso2})" in n and "399" in n and "suggested" in n for n in doc.notes)
        assert validate(doc, code_lists())[1] == []
    others = [d for no, d in orders.items() if no not in {first, second}]
    assert others and all(not any("suggested" in n for n in d.notes) for d in others)
