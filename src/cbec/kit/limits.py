"""The limits on what a submission may be, in one place (docs/limits.md), and the readers that
enforce them. Pure: bytes or text in, rows or values out.

Each limit is a size a real file stays far below (the whole Online Retail data set is 541,909
rows of 8 columns; a CEB message nests 4 elements deep, 5 in a ``DxpMsg``); past it, the input
is refused with ``LimitExceeded`` naming the limit and its value, in Chinese and English, before
memory or time grow with it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, Literal

from lxml import etree

from cbec.errors import InvalidInput, LimitExceeded

#: one submission (an API body, an uploaded file, a file given to the CLI)
MAX_BYTES = 200 * 1024 * 1024
#: an XLSX is a zip: what its members may unpack to (a 1,000:1 "zip bomb" is refused unread)
MAX_UNZIPPED_BYTES = 4 * MAX_BYTES
#: rows of one CSV, TSV or worksheet (the header and blank rows count)
MAX_ROWS = 2_000_000
#: cells of one row (the widest real export, Shopify's orders, has 79 columns)
MAX_CELLS_PER_ROW = 1_000
#: characters of one cell; Python's csv module refuses a longer field by default as well
MAX_CELL_CHARS = 131_072
#: characters of one row of a CSV or TSV, all its cells together
MAX_LINE_CHARS = 1_048_576
#: digits a number may have before or after its decimal point once written out: 1E+999999999
#: is one character of exponent but a billion digits as text (N19,5 amounts need 14 and 5)
MAX_NUMBER_DIGITS = 64
#: objects and arrays inside one another in a JSON submission
MAX_JSON_DEPTH = 32
#: elements inside one another in an XML submission
MAX_XML_DEPTH = 32


def _refuse(name: str, value: int, unit_en: str, unit_zh: str, where_en: str, where_zh: str) -> LimitExceeded:
    return LimitExceeded(
        f"{where_en}: over the limit {name} of {value:,} {unit_en}; split or correct the file",
        f"{where_zh}：超过限制 {name}（{value:,} {unit_zh}），请拆分或更正文件",
        field=name,
    )


def check_size(data: bytes, what_en: str = "the submission", what_zh: str = "提交内容") -> None:
    if len(data) > MAX_BYTES:
        raise _refuse("MAX_BYTES", MAX_BYTES, "bytes", "字节", what_en, what_zh)


def csv_rows(
    text: str, delimiter: str = ",", *, quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL
) -> Iterator[list[str]]:
    """The rows of a delimited text, refused at MAX_ROWS, MAX_CELLS_PER_ROW, MAX_CELL_CHARS or
    MAX_LINE_CHARS (the row named)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    n = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise _refuse("MAX_CELL_CHARS", MAX_CELL_CHARS, "characters", "个字符", *_row_at(n + 1)) from None
            raise InvalidInput(f"row {n + 1}: cannot be read: {exc}", f"第 {n + 1} 行无法读取：{exc}") from None
        n += 1
        check_row(n, row)
        if sum(map(len, row)) > MAX_LINE_CHARS:
            raise _refuse("MAX_LINE_CHARS", MAX_LINE_CHARS, "characters", "个字符", *_row_at(n))
        yield row


def _row_at(n: int) -> tuple[str, str]:
    return f"row {n}", f"第 {n} 行"


def check_row(n: int, cells: tuple[Any, ...] | list[Any]) -> None:
    """Row ``n`` (as a spreadsheet numbers it) within MAX_ROWS, MAX_CELLS_PER_ROW, MAX_CELL_CHARS."""
    if n > MAX_ROWS:
        raise _refuse("MAX_ROWS", MAX_ROWS, "rows", "行", *_row_at(n))
    if len(cells) > MAX_CELLS_PER_ROW:
        raise _refuse("MAX_CELLS_PER_ROW", MAX_CELLS_PER_ROW, "cells", "个单元格", *_row_at(n))
    if any(isinstance(c, str) and len(c) > MAX_CELL_CHARS for c in cells):
        raise _refuse("MAX_CELL_CHARS", MAX_CELL_CHARS, "characters", "个字符", *_row_at(n))


def check_zip(data: bytes, what_en: str, what_zh: str) -> None:
    """An XLSX whose members declare more than MAX_UNZIPPED_BYTES is refused before it is opened
    (the zip reader never returns more than a member declares)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception as exc:  # zipfile raises BadZipFile, NotImplementedError (a "version 8.4"), OSError …
        raise InvalidInput(f"the {what_en} workbook cannot be read: {exc}", f"无法读取{what_zh}工作簿：{exc}") from None
    if unpacked > MAX_UNZIPPED_BYTES:
        raise _refuse("MAX_UNZIPPED_BYTES", MAX_UNZIPPED_BYTES, "bytes unpacked", "字节（解压后）", what_en, what_zh)


def json_depth(value: Any) -> int:
    """How deep objects and arrays nest in a loaded JSON value (a scalar is 0). Iterative."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:  # deeper is refused anyway: no need to walk it
                stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_json(
    text: str | bytes,
    what_en: str,
    what_zh: str,
    *,
    parse_float: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """``json.loads`` refused past MAX_JSON_DEPTH; a JSON error (ValueError) is the caller's to
    word. The parser itself gives up far deeper (RecursionError), which is the same refusal."""
    try:
        value = json.loads(text, parse_float=parse_float, parse_constant=parse_constant)
    except RecursionError:
        raise _refuse("MAX_JSON_DEPTH", MAX_JSON_DEPTH, "levels", "层", what_en, what_zh) from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise _refuse("MAX_JSON_DEPTH", MAX_JSON_DEPTH, "levels", "层", what_en, what_zh)
    return value


def xml_depth_over(root: Any, limit: int = MAX_XML_DEPTH) -> bool:
    """Whether elements nest deeper than ``limit`` under ``root`` (an lxml element): one XPath
    asking for any element ``limit`` levels below it, evaluated by libxml2 (a Python walk over
    every element cost 2 ms a message)."""
    return bool(_deeper_than(limit)(root))


@lru_cache(maxsize=8)
def _deeper_than(limit: int) -> Any:
    return etree.XPath("boolean(" + "/".join(["*"] * limit) + ")")


def refuse_xml_depth(what_en: str, what_zh: str) -> LimitExceeded:
    return _refuse("MAX_XML_DEPTH", MAX_XML_DEPTH, "levels", "层", what_en, what_zh)
