"""Inputs the fuzzing (tests/fuzz) found that escaped as an exception other than a CbecError, or
hung; each is now read with a per-document error or refused with both messages."""

from __future__ import annotations

import base64
import io
import time

import polars as pl
import pytest
from tests.unit.intake.test_json_and_ceb_xml import CTX, _ceb303

from cbec.errors import HostileInput, InvalidInput
from cbec.intake.parsers import ceb_xml, json_docs, online_retail, shopify_orders, template
from cbec.intake.rules import validate
from cbec.kit.codes import code_lists


def test_an_amount_of_a_billion_digits_is_not_a_number_of_its_order() -> None:
    started = time.perf_counter()
    data = b'[{"type":"export_order","head":{"orderNo":"1","goodsValue":1e999999999,"freight":"1E-999999999"}}]'
    [doc] = json_docs.parse(data, CTX).documents
    _, errors = validate(doc, code_lists())  # was decimal.Overflow, then a billion-digit text to store
    assert {"goodsValue", "freight"} <= {e.field for e in errors if e.code == "number"}
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("body", [b'{"type":"export_order","head":{"goodsValue":NaN}}', b"[" + b"9" * 5000 + b"]"])
def test_json_numbers_python_reads_but_json_does_not_have_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidInput) as exc:  # NaN became a float amount; 5000 digits a bare ValueError
        json_docs.parse(body, CTX)
    assert exc.value.field == "json" and exc.value.message_zh


def test_a_dxpmsg_whose_data_is_not_ascii_is_not_base64() -> None:
    data = _ceb303(1)
    wrapped = (
        b'<dxp:DxpMsg xmlns:dxp="http://www.chinaport.gov.cn/dxp" ver="1.0"><dxp:TransInfo/>'
        b"<dxp:Data>\xef\xbb\xbf" + base64.b64encode(data) + b"</dxp:Data></dxp:DxpMsg>"
    )
    with pytest.raises(InvalidInput, match="not Base64"):  # was ValueError out of base64
        ceb_xml.parse(wrapped, CTX)


def test_an_order_time_past_the_calendar_in_beijing_is_an_error_of_its_cell() -> None:
    data = (
        b"orderNo,orderTime,destinationCountry,currency,sku,itemName,qty,price\n"
        b"SO-1,9999-12-31 23:59:59 +00:00,US,USD,A1,mug,1,2.50\n"
    )
    result = template.parse(data, CTX)  # was OverflowError converting to Beijing time
    assert [(e.field, e.line) for e in result.errors] == [("orderTime", 2)] and not result.documents


def test_online_retail_csv_with_a_nan_customer_and_an_unreadable_date() -> None:
    frame = pl.DataFrame(
        {
            "InvoiceNo": ["536365", "536366", "536367"],
            "StockCode": ["85123A", "71053", "71053"],
            "Description": ["HEART", "LANTERN", "LANTERN"],
            "Quantity": ["6", "6", "6"],
            "InvoiceDate": ["2010-12-01 08:26:00", "not a date", None],
            "UnitPrice": ["2.55", "3.39", "3.39"],
            "CustomerID": ["NaN", "17850", "17850"],
            "Country": ["United Kingdom", "United Kingdom", "United Kingdom"],
        }
    )
    result = online_retail.parse(frame.write_csv().encode(), CTX).materialize()
    [doc] = result.documents  # was "cannot convert float NaN to integer", ValueError, AttributeError
    assert doc.head["orderNo"] == "536365"
    assert [(e.field, e.document) for e in result.errors] == [
        ("InvoiceDate", "invoice 536366"),
        ("InvoiceDate", "invoice 536367"),
    ]


def test_billion_laughs_behind_a_long_comment_is_hostile_not_merely_malformed() -> None:
    entities = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10) for i in range(1, 10)
    )
    data = b"<!--" + b"x" * 200_000 + b"--><!DOCTYPE r [" + entities + b"]><r>&a9;</r>"
    with pytest.raises(HostileInput):  # past the 128 KiB look-ahead libxml2 stopped it: "not well-formed"
        ceb_xml.parse(data, CTX)


def test_a_json_key_that_is_empty_is_named_as_such() -> None:
    data = b'[{"type":"export_order","head":{"orderNo":"1","":"x"},"lines":[{" ":1}]}]'
    [doc] = json_docs.parse(data, CTX).documents
    _, errors = validate(doc, code_lists())
    unknown = [e for e in errors if e.code == "unknown_field"]
    assert {e.field for e in unknown} == {"''", "' '"}  # was field "" and "has no field  " in the message


def test_a_shopify_order_whose_lines_are_worth_less_than_its_discount_is_an_error_of_subtotal() -> None:
    head = b"Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,Taxes,Total,"
    head += b"Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,"
    head += b"Lineitem discount,Shipping Country,Cancelled at\n"
    row = b"#1001,a@b.c,paid,2026-05-01 10:00:00 +0200,fulfilled,USD,-10.00,0,0,-10.00,0,"
    row += b"2026-05-01 10:00:00 +0200,1,Mug,10.00,MUG,-5.00,US,\n"
    result = shopify_orders.parse(head + row, CTX)  # was ValueError out of net_of_discount
    assert not result.documents and {e.field for e in result.errors} <= {"Subtotal", "subtotal", "Lineitem discount"}


#: a byte of a 200-row slice of Online Retail written by Polars that, flipped, makes Polars abort
PANIC_AT = 133


def test_a_parquet_that_makes_polars_abort_is_unreadable_and_the_process_lives(online_retail_bytes: bytes) -> None:
    frame = pl.read_parquet(io.BytesIO(online_retail_bytes)).head(200)
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    data = bytearray(buffer.getvalue())
    data[PANIC_AT] ^= 1  # found by fuzzing: Polars asks for 2**61 bytes and aborts the process
    with pytest.raises(InvalidInput) as exc:
        online_retail.parse(bytes(data), CTX)
    assert exc.value.field == "file" and "parquet" in exc.value.message_en
