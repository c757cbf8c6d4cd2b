"""Spreadsheets and text files as sellers save them: the encoding, cells as text, and the rows of
a CSV or the first sheet of an XLSX. Pure: bytes in, rows out."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import openpyxl

from cbec.errors import InvalidInput
from cbec.kit.limits import check_row, check_zip, csv_rows

#: (row number as a spreadsheet numbers it, cells)
Row = tuple[int, tuple[Any, ...]]


def decode_text(data: bytes, fallback: str = "cp1252") -> str:
    """UTF-8 (a BOM is dropped), else the ``fallback`` code page a spreadsheet program saved in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(fallback)
    except UnicodeDecodeError:  # e.g. the five bytes cp1252 leaves undefined
        return data.decode("latin-1")


def cell_text(value: Any) -> str:
    """A cell as text; a whole number a spreadsheet stored as a float loses its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


def open_workbook(data: bytes, what_en: str, what_zh: str) -> Any:
    """An XLSX opened read-only (values, not formulas); a broken or oversized one is refused."""
    check_zip(data, what_en, what_zh)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, XML and KeyError types for broken files
        raise InvalidInput(f"the {what_en} workbook cannot be read: {exc}", f"无法读取{what_zh}工作簿：{exc}") from None


def worksheet_rows(sheet: Any, what_en: str, what_zh: str) -> list[Row]:
    """Every row of a worksheet, numbered, within the row and cell limits. A malformed sheet (its
    XML is read only now, row by row) is refused like a broken workbook."""
    sheet.reset_dimensions()  # some writers declare a wrong sheet size; read every row there is
    rows: list[Row] = []
    try:
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            check_row(n, row)
            rows.append((n, tuple(row)))
    except InvalidInput:
        raise
    except Exception as exc:  # the sheet's XML, its shared strings or a cell type openpyxl cannot read
        raise InvalidInput(f"the {what_en} workbook cannot be read: {exc}", f"无法读取{what_zh}工作簿：{exc}") from None
    return rows


def text_rows(text: str) -> list[Row]:
    """The rows of a CSV whose delimiter (comma, semicolon or tab) the first line tells."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return [(n, tuple(r)) for n, r in enumerate(csv_rows(text, delimiter), start=1)]


def sheet_rows(data: bytes, *, what_en: str, what_zh: str) -> list[Row]:
    """Every row of a CSV (comma, semicolon or tab; UTF-8 or GB18030) or of an XLSX's first sheet."""
    if data[:2] == b"PK":
        book = open_workbook(data, what_en, what_zh)
        try:
            return worksheet_rows(book.worksheets[0], what_en, what_zh) if book.worksheets else []
        finally:
            book.close()
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise InvalidInput(
            f"old .xls workbooks are not read: save the {what_en} as .xlsx or CSV",
            f"不支持旧版 .xls 工作簿：请将{what_zh}另存为 .xlsx 或 CSV",
        )
    return text_rows(decode_text(data, "gb18030"))
