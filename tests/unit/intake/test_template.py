"""The cbec seller template (docs/seller-template.md) as CSV and XLSX, read from the shipped
example examples/seller-template.csv and variants of it a seller might send."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cbec.errors import InvalidInput
from cbec.intake.documents import ParseContext, ParsedDocument
from cbec.intake.formats import Format, detect
from cbec.intake.parsers.base import ParseResult
from cbec.intake.parsers.template import COLUMNS, parse
from cbec.intake.rules import validate
from cbec.kit.codes import code_lists

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "seller-template.csv"
CTX = ParseContext(
    "91330782MA2DEMN016", "义乌示范礼品家居有限公司", "91330782MA2DEMP02Y", "义乌示范跨境电商平台有限公司"
)


def _table() -> list[list[str]]:
    return list(csv.reader(io.StringIO(EXAMPLE.read_text(encoding="utf-8"), newline="")))


def _csv(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _orders(result: ParseResult) -> dict[str, ParsedDocument]:
    return {d.head["orderNo"]: d for d in result.documents}


def _xlsx(rows: list[list[Any]], path: Path, *, title: str | None = None, instructions: bool = False) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    if instructions:
        sheet.title = "填写说明"
        sheet.append(["每行一个商品；同一订单填同一订单编号。"])
        sheet = book.create_sheet()
    sheet.title = "订单"
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path.read_bytes()


def _typed(rows: list[list[str]]) -> list[list[Any]]:
    """The example as a spreadsheet holds it: numbers as numbers, times as datetimes."""
    header = rows[0]
    typed: list[list[Any]] = [list(header)]
    for row in rows[1:]:
        cells: list[Any] = []
        for name, text in zip(header, row, strict=True):
            value: Any = text or None
            if text and name in ("qty",):
                value = int(text)
            elif text and name in ("price", "freight"):
                value = float(text)
            elif text and name == "hsCode":
                value = int(text)
            elif text and name == "orderTime" and "-" in text:
                value = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
            cells.append(value)
        typed.append(cells)
    return typed


@pytest.fixture(scope="module")
def parsed() -> ParseResult:
    return parse(EXAMPLE.read_bytes(), CTX)


def test_the_example_gives_three_orders_with_their_lines(parsed: ParseResult) -> None:
    orders = _orders(parsed)
    assert {no: len(d.lines) for no, d in orders.items()} == {
        "YW20260501001": 3,
        "YW20260501002": 2,
        "YW20260502001": 1,
    }
    assert not parsed.errors
    assert (parsed.stats["rows"], parsed.stats["orders"], parsed.stats["order_lines"]) == (6, 3, 6)


def test_values_codes_and_times(parsed: ParseResult) -> None:
    us, de, gb = (_orders(parsed)[no] for no in ("YW20260501001", "YW20260501002", "YW20260502001"))
    assert (us.head["goodsValue"], us.head["freight"]) == (Decimal("32.25"), Decimal("8.50"))
    assert (de.head["goodsValue"], de.head["freight"]) == (Decimal("21.80"), Decimal("6.00"))
    assert (gb.head["goodsValue"], gb.head["freight"]) == (Decimal("12.50"), Decimal("4.20"))
    assert [(d.head["currency"], d.head["destinationCountry"]) for d in (us, de, gb)] == [
        ("502", "502"),
        ("300", "304"),
        ("303", "303"),
    ]
    # Beijing time as written, in either format
    assert (us.head["orderTime"], gb.head["orderTime"]) == ("20260501101500", "20260502093000")
    assert (us.head["logisticsNo"], us.head["logisticsCode"], us.head["buyerRef"]) == (
        "YT2612100000101",
        "3301961234",
        "US-5521",
    )
    assert "logisticsNo" not in gb.head  # left blank: not sent
    spatula = us.lines[2]
    assert (spatula["gnum"], spatula["itemNo"], spatula["unit"], spatula["hsCode"]) == (
        3,
        "YW-SPAT-SIL",
        "007",  # written 个
        "3924100000",
    )
    assert spatula["totalPrice"] == Decimal("5.85")


def test_xlsx_gives_the_same_documents_as_csv(parsed: ParseResult, tmp_path: Path) -> None:
    data = _xlsx(_typed(_table()), tmp_path / "orders.xlsx")
    assert detect(data, "orders.xlsx") is Format.XLSX
    result = parse(data, CTX)
    assert not result.errors
    assert list(result.documents) == list(parsed.documents)


def test_xlsx_with_an_instructions_sheet_and_a_title_row(parsed: ParseResult, tmp_path: Path) -> None:
    title = "出口订单导入模板（义乌示范礼品家居）"
    data = _xlsx(_typed(_table()), tmp_path / "orders.xlsx", title=title, instructions=True)
    result = parse(data, CTX)
    got = {d.head["orderNo"]: (d.head, d.lines) for d in result.documents}
    assert got == {d.head["orderNo"]: (d.head, d.lines) for d in parsed.documents}
    assert _orders(result)["YW20260502001"].source_ref == "row 8"  # as the spreadsheet numbers it


def test_chinese_headers_in_gb18030_as_excel_saves_them(parsed: ParseResult) -> None:
    rows = _table()
    rows[0] = [COLUMNS[name][0] for name in rows[0]]
    assert rows[0][:3] == ["订单编号", "下单时间", "目的国"]
    result = parse(_csv(rows, encoding="gb18030"), CTX)
    assert list(result.documents) == list(parsed.documents)


def test_columns_are_found_by_name_not_position(parsed: ParseResult) -> None:
    rows = _table()
    order = list(reversed(range(len(rows[0]))))
    shuffled = [[row[i] for i in order] for row in rows]
    shuffled[0] = [f" {name.upper()} " if i % 2 else name for i, name in enumerate(shuffled[0])]  # any case
    assert list(parse(_csv(shuffled), CTX).documents) == list(parsed.documents)


def test_semicolons_and_decimal_commas(parsed: ParseResult) -> None:
    rows = _table()
    money = {rows[0].index("price"), rows[0].index("freight")}
    eu = [[c.replace(".", ",") if i in money else c for i, c in enumerate(row)] for row in rows]
    assert list(parse(_csv(eu, delimiter=";"), CTX).documents) == list(parsed.documents)


def test_a_file_without_required_columns_names_them() -> None:
    rows = _table()
    drop = {rows[0].index("qty"), rows[0].index("price")}
    with pytest.raises(InvalidInput) as caught:
        parse(_csv([[c for i, c in enumerate(row) if i not in drop] for row in rows]), CTX)
    assert "qty (数量)" in caught.value.message_en and "price (单价)" in caught.value.message_en
    assert "数量" in caught.value.message_zh and "单价" in caught.value.message_zh


def test_an_unreadable_number_names_row_and_column_and_the_rest_is_read() -> None:
    rows = _table()
    rows[2][rows[0].index("price")] = "6,8O"  # row 3: second line of YW20260501001
    result = parse(_csv(rows), CTX)
    (error,) = result.errors
    assert (error.field, error.line, error.document) == ("price", 3, "row 3")
    assert "row 3" in error.message_en and "YW20260501001" in error.message_en
    assert set(_orders(result)) == {"YW20260501002", "YW20260502001"}


def test_rows_of_one_order_must_agree_on_freight() -> None:
    rows = _table()
    freight = rows[0].index("freight")
    rows[5][freight] = "6.0"  # the same amount written otherwise: fine
    assert not parse(_csv(rows), CTX).errors
    rows[5][freight] = "7.50"  # row 6 of YW20260501002 says 7.50, row 5 says 6.00
    result = parse(_csv(rows), CTX)
    (error,) = result.errors
    assert (error.field, error.line, error.code) == ("freight", 6, "inconsistent")
    assert "YW20260501002" not in _orders(result)


def test_unknown_codes_and_missing_order_values_are_row_errors() -> None:
    rows = _table()
    header = rows[0]
    rows[1][header.index("destinationCountry")] = "Atlantis"
    rows[6][header.index("orderTime")] = "2026-05-02"  # a date without the time
    rows[4][header.index("unit")] = "箱子"
    result = parse(_csv(rows), CTX)
    assert [(e.line, e.field) for e in result.errors] == [(2, "destinationCountry"), (5, "unit"), (7, "orderTime")]
    assert not list(result.documents)


def test_documents_pass_the_intake_field_rules(parsed: ParseResult) -> None:
    assert detect(EXAMPLE.read_bytes(), EXAMPLE.name) is Format.CSV
    codes = code_lists()
    for doc in parsed.documents:
        assert validate(doc, codes)[1] == [], doc.label
