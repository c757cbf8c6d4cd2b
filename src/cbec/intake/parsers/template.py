"""The cbec seller template (CSV or XLSX) read as export orders; and the table-reading helpers the
marketplace parsers (``amazon_orders``, ``shopify_orders``) share with it.

The template is documented for sellers in ``docs/seller-template.md``, with an example in
``examples/seller-template.csv``: one row per order line, columns found by header name (English
CEB-style names or Chinese aliases, any case, any order; a trailing ``*`` or a bracketed remark such
as "（必填）" is ignored; unknown columns are ignored). A few title rows above the header are
allowed: the header is the first row that names the order number column.

* CSV: UTF-8 with or without BOM; GB18030 (what Excel on a Chinese Windows saves as "CSV") is
  read too. Comma, semicolon or tab separated, told from the header line; with semicolons the
  amounts are read with a decimal comma, as European Excel writes them. XLSX (told from the
  ``PK`` zip magic): the first worksheet that has the header (a sheet of instructions may come
  first), through openpyxl in read-only mode, values not formulas.
* Rows with the same ``orderNo`` make one ``export_order``, lines numbered ``gnum`` 1..n in file
  order; goodsValue = Σ qty × price exactly. Order-level columns (orderTime, destinationCountry,
  currency, freight, logisticsNo, logisticsCode, buyerRef) may be filled on one row of the order
  or repeated; rows of one order that give different values are an error.
* orderTime is Beijing time (``YYYY-MM-DD HH:MM:SS``, ``YYYY/MM/DD HH:MM:SS`` or
  ``YYYYMMDDhhmmss``; a time with a UTC offset is converted); country and currency may be ISO codes,
  names or customs codes; unit is a customs unit code or its Chinese name (default 011 件).
* A cell that cannot be read yields a ``FieldError`` naming the row (as the spreadsheet numbers it)
  and the column, and that row's whole order is left out — a declaration missing a line would
  understate the goods; the other orders are still read. A missing required column stops the
  file (``InvalidInput`` naming every missing column).
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from cbec.errors import FieldError, InvalidInput, UnknownCode
from cbec.intake.documents import DocType, ParseContext, ParsedDocument
from cbec.intake.parsers.base import ParseResult, country_notes, export_head
from cbec.kit.codes import CodeLists, code_lists
from cbec.kit.limits import csv_rows
from cbec.kit.money import ZERO, parse_decimal
from cbec.kit.sheets import cell_text, decode_text, open_workbook, worksheet_rows

BEIJING = ZoneInfo("Asia/Shanghai")

# -- helpers shared by the tabular parsers ---------------------------------------------------------

Row = tuple[int, Sequence[Any]]  # (row number as a spreadsheet shows it, cells)
T = TypeVar("T")

_EU_AMOUNT = re.compile(r"^-?[\d.]*\d,\d{1,2}$")  # 12,50  1.234,56
_US_AMOUNT = re.compile(r"^-?[\d,]*\d\.\d{1,2}$")  # 12.50  1,234.56
_OFFSET = re.compile(r"\s*(?:UTC|GMT)?\s*([+-])(\d{2}):?(\d{2})$")
_UTC = re.compile(r"\s*(?:Z|UTC|GMT)$")
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y %H:%M:%S",
)


class CellError(Exception):
    """A cell that cannot be read: its row, its column, and why, in Chinese and English.

    ``field`` is the column's stable name (what ``FieldError.field`` carries), ``label`` the
    header as the file writes it (what the message shows); ``zh``/``en`` say what is wrong with
    the cell, e.g. "为空" / "is empty".
    """

    def __init__(self, field: str, code: str, zh: str, en: str, row: int = 0, label: str = "") -> None:
        super().__init__(en)
        self.field, self.code, self.zh, self.en, self.row = field, code, zh, en, row
        self.label = label or field

    def at(self, row: int) -> CellError:
        self.row = row
        return self

    def field_error(self, order_no: str) -> FieldError:
        """The error as reported: ``document`` "row N", ``line`` N, ``field`` the column."""
        n = self.row
        return FieldError(
            self.code,
            self.field,
            f"第 {n} 行「{self.label}」列{self.zh}；订单 {order_no} 未读入",
            f"row {n}, column {self.label}: {self.en}; order {order_no} not read",
            document=f"row {n}",
            line=n,
        )


def decimal_comma(values: Sequence[Any]) -> bool | None:
    """True when a file's amounts use a decimal comma ("12,50"), False for a point, None when
    its amounts do not tell (then ``parse_decimal`` decides value by value)."""
    eu = us = False
    for value in values:
        if isinstance(value, str):
            text = value.strip()
            eu = eu or bool(_EU_AMOUNT.match(text))
            us = us or bool(_US_AMOUNT.match(text))
    return True if eu and not us else False if us and not eu else None


def parse_timestamp(value: Any) -> datetime:
    """A date and time as marketplaces and spreadsheets write it; naive when it has no offset.

    ISO 8601 ("2017-06-17T08:04:21+00:00", "…Z"), Shopify's "2026-05-01 10:00:00 +0200",
    "YYYY/MM/DD HH:MM:SS", "YYYYMMDDhhmmss", "dd.mm.yyyy HH:MM:SS" and spreadsheet datetimes.
    Raises ValueError when it is not one (a date alone is not: an order time needs the hour).
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(repr(value))
    text = cell_text(value)
    zone: tzinfo | None = None
    if match := _OFFSET.search(text):
        sign = -1 if match[1] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))
        text = text[: match.start()]
    elif match := _UTC.search(text):
        zone, text = UTC, text[: match.start()]
    moment: datetime | None = None
    for fmt in _TIME_FORMATS:
        try:
            moment = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is applied below
            break
        except ValueError:
            continue
    if moment is None and ("T" in text or " " in text):
        moment = datetime.fromisoformat(text)  # fractions of a second; raises ValueError
    if moment is None:
        raise ValueError(text)
    return moment.replace(tzinfo=zone) if zone is not None else moment


def beijing_time(value: Any, naive_zone: tzinfo) -> tuple[str, bool]:
    """CEB's YYYYMMDDhhmmss in Beijing time, and whether the value had no offset (then it is read
    in ``naive_zone``). Raises ValueError when the value is not a date and time."""
    moment = parse_timestamp(value)
    naive = moment.tzinfo is None
    if naive:
        moment = moment.replace(tzinfo=naive_zone)
    try:
        return moment.astimezone(BEIJING).strftime("%Y%m%d%H%M%S"), naive
    except OverflowError:  # 9999-12-31 23:59:59 UTC is already in year 10000 in Beijing
        raise ValueError(f"{moment} is outside the calendar") from None


def given_country_notes(table: Table, rows: Sequence[Row], column: str, codes: CodeLists) -> tuple[str, ...]:
    """``country_notes`` of the country the order's first row with one gives in ``column``."""
    found = table.first(rows, column)
    return country_notes(codes, table.text(found[1], column) if found else "")


def rows_ref(rows: Sequence[Row]) -> str:
    """Where an order is in the file: "row 2", "rows 2-4", "rows 2, 7"."""
    numbers = [n for n, _ in rows]
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"rows {numbers[0]}-{numbers[-1]}"
    return "rows " + ", ".join(str(n) for n in numbers)


class Table:
    """Cells of one file by column name; amounts read in the file's decimal convention.

    ``columns`` maps the names a parser uses to positions, ``labels`` them to the header text the
    file shows (errors name the column as the user sees it) and ``fields`` to the name errors
    carry in ``FieldError.field`` (default: the label).
    """

    def __init__(
        self,
        columns: dict[str, int],
        labels: dict[str, str],
        decimal_comma: bool | None,
        fields: dict[str, str] | None = None,
    ) -> None:
        self.columns = columns
        self.labels = labels
        self.decimal_comma = decimal_comma
        self.fields = fields or {}

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    def error(self, column: str, code: str, zh: str, en: str, row: int = 0) -> CellError:
        return CellError(self.fields.get(column, self.label(column)), code, zh, en, row, self.label(column))

    def raw(self, cells: Sequence[Any], column: str) -> Any:
        i = self.columns.get(column)
        return cells[i] if i is not None and i < len(cells) else None

    def text(self, cells: Sequence[Any], column: str) -> str:
        return cell_text(self.raw(cells, column))

    def required(self, cells: Sequence[Any], column: str) -> str:
        value = self.text(cells, column)
        if not value:
            raise self.error(column, "required", "为空", "is empty")
        return value

    def number(self, cells: Sequence[Any], column: str, *, required: bool) -> Decimal:
        value = self.raw(cells, column)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.error(column, "required", "为空", "is empty")
            return ZERO
        try:
            if isinstance(value, str):
                return parse_decimal(value, decimal_comma=self.decimal_comma)
            return parse_decimal(value)
        except (ValueError, TypeError):
            raise self.error(
                column, "not_a_number", f"的值 {cell_text(value)!r} 不是数字", f"{cell_text(value)!r} is not a number"
            ) from None

    def moment(self, cells: Sequence[Any], column: str, naive_zone: tzinfo) -> tuple[str, bool]:
        """CEB time (Beijing) of a date-time cell, and whether it had no offset."""
        value = self.raw(cells, column)
        if not cell_text(value):
            raise self.error(column, "required", "为空", "is empty")
        try:
            return beijing_time(value, naive_zone)
        except ValueError:
            text = cell_text(value)
            raise self.error(
                column,
                "date",
                f"的值 {text!r} 不是日期时间（如 2026-05-01 10:30:00）",
                f"{text!r} is not a date and time (e.g. 2026-05-01 10:30:00)",
            ) from None

    def code(self, cells: Sequence[Any], column: str, lookup: Callable[[str], str]) -> str:
        """Customs code of an ISO code, name or customs code, through a code-list lookup."""
        value = self.required(cells, column)
        try:
            return lookup(value)
        except UnknownCode as exc:
            raise self.error(column, "unknown_code", f"：{exc.message_zh}", exc.message_en) from None

    def first(self, rows: Sequence[Row], column: str) -> Row | None:
        """The first of an order's rows that fills ``column``."""
        return next(((n, cells) for n, cells in rows if self.text(cells, column)), None)

    def order_value(
        self,
        rows: Sequence[Row],
        column: str,
        read: Callable[[Sequence[Any]], T],
        errors: list[CellError],
        *,
        required: bool,
    ) -> T | None:
        """An order-level value, read from the first of the order's rows that fills it; what
        cannot be read (or a required value no row gives) is added to ``errors``."""
        found = self.first(rows, column)
        if found is None:
            if required:
                errors.append(
                    self.error(
                        column, "required", "在该订单的各行都为空", "is empty on every row of the order", rows[0][0]
                    )
                )
            return None
        try:
            return read(found[1])
        except CellError as err:
            errors.append(err.at(found[0]))
            return None

    def same(
        self, rows: Sequence[Row], column: str, key: Callable[[Sequence[Any]], Any] | None = None
    ) -> list[CellError]:
        """Rows of one order whose ``column`` is filled and differs from the order's first value,
        compared through ``key`` when given ("8.5" and "8.50" are one freight, "US" and "USA" one
        country) and as text otherwise."""

        def comparable(cells: Sequence[Any]) -> Any:
            if key is not None:
                with contextlib.suppress(CellError):
                    return key(cells)
            return self.text(cells, column)

        values = [(n, text, comparable(cells)) for n, cells in rows if (text := self.text(cells, column))]
        if not values:
            return []
        first_row, first, first_value = values[0]
        return [
            self.error(
                column,
                "inconsistent",
                f"的值 {text!r} 与同一订单第 {first_row} 行的 {first!r} 不同",
                f"{text!r} differs from {first!r} on row {first_row} of the same order",
                number,
            )
            for number, text, value in values[1:]
            if value != first_value
        ]


def missing_columns(
    kind_en: str, kind_zh: str, missing: Sequence[str], hint: tuple[str, str] = ("", ""), field: str = ""
) -> InvalidInput:
    """The error for a file without the columns a parser needs, naming every one of them."""
    return InvalidInput(
        f"the {kind_en} lacks the columns {', '.join(missing)}{hint[0]}",
        f"{kind_zh}缺少列：{'、'.join(missing)}{hint[1]}",
        field=field or missing[0],
    )


# -- the seller template ---------------------------------------------------------------------------

#: Template columns (the names this module uses) and the other header names accepted for each.
COLUMNS: dict[str, tuple[str, ...]] = {
    "orderNo": ("订单编号", "订单号"),
    "orderTime": ("下单时间",),
    "destinationCountry": ("目的国", "运抵国"),
    "currency": ("币制",),
    "freight": ("运费", "运杂费"),
    "sku": ("商品货号", "itemNo"),
    "itemName": ("商品名称",),
    "qty": ("数量",),
    "unit": ("计量单位",),
    "price": ("单价",),
    "hsCode": ("商品编码", "HS编码"),
    "logisticsNo": ("运单编号", "运单号"),
    "logisticsCode": ("物流企业代码",),
    "buyerRef": ("买家",),
}
REQUIRED_COLUMNS = ("orderNo", "orderTime", "destinationCountry", "currency", "sku", "itemName", "qty", "price")
#: Columns that belong to the order, not the line: the same for every row of one order.
ORDER_COLUMNS = ("orderTime", "destinationCountry", "currency", "freight", "logisticsNo", "logisticsCode", "buyerRef")
DEFAULT_UNIT = "011"  # 件
_REMARK = re.compile(r"[(（\[【].*?[)）\]】]")


def _key(header: Any) -> str:
    """A header as compared: no case, spaces, underscores, hyphens, "*" or bracketed remark."""
    text = _REMARK.sub("", cell_text(header))
    return re.sub(r"[\s_\-*]", "", text).lower()


_BY_KEY = {_key(name): column for column, aliases in COLUMNS.items() for name in (column, *aliases)}


def _read_rows(data: bytes) -> tuple[list[Row], bool | None]:
    """Every row of the first sheet or of the CSV, numbered as a spreadsheet numbers them, and
    the decimal-comma convention the file's format implies (None: decide from the values)."""
    if data[:2] == b"PK":
        return _xlsx_rows(data), None
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise InvalidInput(
            "old .xls workbooks are not read: save the template as .xlsx or CSV",
            "不支持旧版 .xls 工作簿：请另存为 .xlsx 或 CSV",
        )
    text = decode_text(data, "gb18030")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return list(enumerate(csv_rows(text, delimiter), start=1)), (True if delimiter == ";" else None)


def _xlsx_rows(data: bytes) -> list[Row]:
    book = open_workbook(data, "template", "模板")
    try:
        sheets: list[list[Row]] = []
        for sheet in book.worksheets:
            rows: list[Row] = list(worksheet_rows(sheet, "template", "模板"))
            if _header_at(rows) is not None:  # e.g. after a sheet of instructions (填写说明)
                return rows
            sheets.append(rows)
        return sheets[0] if sheets else []
    finally:
        book.close()


def _filled(rows: list[Row]) -> list[Row]:
    return [(n, cells) for n, cells in rows if any(cell_text(c) for c in cells)]


def _header_at(rows: list[Row]) -> int | None:
    """Index among the non-blank rows of the header: the first of them (of ten at most) that
    names the order number column."""
    return next(
        (i for i, (_, cells) in enumerate(_filled(rows)[:10]) if any(_BY_KEY.get(_key(c)) == "orderNo" for c in cells)),
        None,
    )


def _table(rows: list[Row], comma: bool | None) -> tuple[Table, list[Row]]:
    """The header (the first row naming the order number column, else the first non-blank row)
    and the data rows below it."""
    filled = _filled(rows)
    if not filled:
        raise InvalidInput("the template is empty", "模板为空")
    header_at = _header_at(rows) or 0
    header = filled[header_at][1]
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, name in enumerate(header):
        column = _BY_KEY.get(_key(name))
        if column is None:
            continue
        if column in columns:
            raise InvalidInput(
                f"the columns {labels[column]!r} and {cell_text(name)!r} both give {column}",
                f"列 {labels[column]!r} 与 {cell_text(name)!r} 都表示 {column}",
                field=column,
            )
        columns[column] = index
        labels[column] = cell_text(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        named = [f"{c} ({COLUMNS[c][0]})" for c in missing]
        hint = ("; see docs/seller-template.md", "；见 docs/seller-template.md")
        raise missing_columns("seller template", "卖家模板", named, hint, field=missing[0])
    data_rows = filled[header_at + 1 :]
    if comma is None:
        amounts = [columns[c] for c in ("freight", "price") if c in columns]
        comma = decimal_comma([cells[i] for _, cells in data_rows for i in amounts if i < len(cells)])
    return Table(columns, labels, comma, fields={c: c for c in columns}), data_rows


def _unit(table: Table, cells: Sequence[Any], codes: CodeLists) -> str:
    raw = table.raw(cells, "unit")
    text = cell_text(raw)
    if not text:
        return DEFAULT_UNIT
    if text.isdigit():
        text = text.zfill(3)
    if codes.is_unit(text):
        return text
    by_name = next((c.code for c in codes.units.values() if c.name_zh == text), None)
    if by_name is None:
        raise table.error(
            "unit",
            "unknown_code",
            f"的值 {text!r} 不是海关计量单位代码或名称（如 011 件、007 个）",
            f"{text!r} is not a customs unit code or name (e.g. 011 piece, 007 item)",
        )
    return by_name


def _hs_code(table: Table, cells: Sequence[Any]) -> str:
    raw = table.raw(cells, "hsCode")
    text = re.sub(r"[\s.]", "", cell_text(raw))
    if isinstance(raw, int | float) and text.isdigit() and len(text) < 10:
        text = text.zfill(10)  # a spreadsheet dropped the leading zero of chapters 01-09
    return text


def _order(
    order_no: str, rows: list[Row], table: Table, ctx: ParseContext, codes: CodeLists
) -> tuple[ParsedDocument | None, list[CellError]]:
    errors: list[CellError] = []
    compare_as: dict[str, Callable[[Sequence[Any]], Any]] = {
        "orderTime": lambda c: table.moment(c, "orderTime", BEIJING)[0],
        "currency": lambda c: table.code(c, "currency", codes.currency_or_iso),
        "destinationCountry": lambda c: table.code(c, "destinationCountry", codes.country),
        "freight": lambda c: table.number(c, "freight", required=True),
    }
    for column in ORDER_COLUMNS:
        errors += table.same(rows, column, compare_as.get(column))

    def order_value(column: str, read: Callable[[Sequence[Any]], Any], *, required: bool) -> Any:
        return table.order_value(rows, column, read, errors, required=required)

    moment = order_value("orderTime", lambda c: table.moment(c, "orderTime", BEIJING), required=True)
    currency = order_value("currency", lambda c: table.code(c, "currency", codes.currency_or_iso), required=True)
    country = order_value(
        "destinationCountry", lambda c: table.code(c, "destinationCountry", codes.country), required=True
    )
    freight = order_value("freight", lambda c: table.number(c, "freight", required=True), required=False)
    if freight is not None and freight < 0:
        errors.append(table.error("freight", "negative", f"为负数 {freight}", f"{freight} is negative", rows[0][0]))
    extras = {
        column: order_value(column, partial(table.text, column=column), required=False)
        for column in ("logisticsNo", "logisticsCode", "buyerRef")
    }

    lines: list[dict[str, Any]] = []
    goods_value = ZERO
    for number, cells in rows:
        try:
            qty = table.number(cells, "qty", required=True)
            if qty <= 0:
                raise table.error("qty", "not_positive", f"的值 {qty} 须大于 0", f"{qty} must be above 0")
            price = table.number(cells, "price", required=True)
            if price < 0:
                raise table.error("price", "negative", f"为负数 {price}", f"{price} is negative")
            line: dict[str, Any] = {
                "gnum": len(lines) + 1,
                "itemNo": table.required(cells, "sku"),
                "itemName": table.required(cells, "itemName"),
                "unit": _unit(table, cells, codes),
                "currency": currency or "",
                "qty": qty,
                "price": price,
                "totalPrice": qty * price,
            }
            hs_code = _hs_code(table, cells)
            if hs_code:
                line["hsCode"] = hs_code
        except CellError as err:
            errors.append(err.at(number))
            continue
        lines.append(line)
        goods_value += line["totalPrice"]
    if errors:
        return None, errors
    head = export_head(
        ctx,
        order_no,
        goods_value=goods_value,
        freight=ZERO if freight is None else freight,
        currency=currency,
        order_time=moment[0],  # a time without offset is Beijing time, as documented
        country=country,
    )
    head.update({k: v for k, v in extras.items() if v})
    notes = given_country_notes(table, rows, "destinationCountry", codes)
    return ParsedDocument(DocType.EXPORT_ORDER, head, tuple(lines), rows_ref(rows), notes), []


def group_orders(table: Table, rows: Sequence[Row], key: str, result: ParseResult) -> dict[str, list[Row]]:
    """Rows grouped by the order they belong to (column ``key``), in file order; a row without
    the key is reported (naming its row) and skipped. Shared by every order-per-row format."""
    orders: dict[str, list[Row]] = {}
    for number, cells in rows:
        try:
            order_id = table.required(cells, key)
        except CellError as err:
            result.errors.append(err.at(number).field_error("?"))
            continue
        orders.setdefault(order_id, []).append((number, cells))
    result.stats["orders_in_file"] = len(orders)
    return orders


def grouped_result(
    table: Table, rows: Sequence[Row], key: str
) -> tuple[ParseResult, list[ParsedDocument], dict[str, list[Row]]]:
    """The start of reading a file of orders, a line a row: the result with its rows counted, the
    list its documents go to, and the rows grouped by the order number in ``key`` (``group_orders``)."""
    documents: list[ParsedDocument] = []
    result = ParseResult(documents=documents)
    result.stats["rows"] = len(rows)
    return result, documents, group_orders(table, rows, key, result)


def parse(data: bytes, ctx: ParseContext, *, codes: CodeLists | None = None) -> ParseResult:
    codes = codes or code_lists()
    table, rows = _table(*_read_rows(data))
    result, documents, orders = grouped_result(table, rows, "orderNo")
    stats: Counter[str] = result.stats

    for order_no, order_rows in orders.items():
        doc, errors = _order(order_no, order_rows, table, ctx, codes)
        if doc is None:
            result.errors.extend(err.field_error(order_no) for err in sorted(errors, key=lambda e: e.row))
            stats["orders_with_errors"] += 1
            continue
        documents.append(doc)
        stats["orders"] += 1
        stats["order_lines"] += len(doc.lines)
    return result
