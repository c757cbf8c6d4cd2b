"""Shopify's orders export (Admin → Orders → Export, CSV) read as a Chinese seller's export orders.

Source: the header documented in ``shared/reference/FORMATS.md``; exports of different years add
and drop columns ("Outstanding Balance" … "Device ID", the tax and payment columns, "Fulfillment
Date" for "Fulfilled at"), so columns are found by header name only (case-insensitive) and
``REQUIRED_COLUMNS`` must be there. One row per line item; the order's own columns (Financial
Status, Currency, Subtotal, Shipping, Taxes, Total, Discount Amount, Created at, Shipping Country,
Cancelled at …) are filled on the first row of each order only, so each is read from the first row
of the order that fills it (rows of one order that fill it differently are an error). Quoted cells
may hold commas and line breaks; a row is numbered as a spreadsheet shows it (the header is row 1).

* Rows are grouped by ``Name`` (e.g. "#1001", kept as orderNo) → one ``export_order`` each:
  currency and destinationCountry = customs codes of ``Currency`` and ``Shipping Country`` (ISO
  code or name), orderTime = ``Created at`` ("2026-05-01 10:00:00 +0200"; ``Paid at`` when it is
  blank) in Beijing time.
* Lines: ``Lineitem price`` is the unit price before discounts. Discounts are price reductions and
  come off the value, as CEB303 goodsValue is the actual transaction price (XSD: "商品实际成交价
  FOB(不含运杂费)，含非现金抵扣金额"; gift cards are a means of payment in Shopify, not a discount).
  ``Subtotal`` is the line items after every product discount, so the goods discount is
  Σ quantity × Lineitem price − Subtotal: first each line's own ``Lineitem discount`` (when the
  column is there), the rest (order-level codes) shared out in proportion to the lines' value, to
  the fen, the largest line taking the rounding remainder. Each goods line then carries the price
  actually charged and goodsValue = Subtotal; the discount is kept as one ``discount`` line (no
  gnum) for the record — already deducted, never to be deducted again.
* freight = ``Shipping`` less the part of ``Discount Amount`` that is not a product discount (a
  free-shipping code). When ``Total`` is there it decides between that reading and ``Shipping``
  as charged; a Total that fits neither is kept as a note.
* ``Cancelled at`` filled → one ``order_cancel`` (cancelNo = orderNo = Name), no order.
* A cell that cannot be read yields a ``FieldError`` naming the row and column, and that row's
  whole order is left out (an order missing a line would understate the goods); the rest of the
  file is still read. Amounts with a decimal comma (a file re-saved by a European spreadsheet,
  then ";"-separated) are read too.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC
from decimal import Decimal
from functools import partial
from typing import Any

from cbec.intake.documents import DocType, LineKind, ParseContext, ParsedDocument
from cbec.intake.parsers.base import ParseResult, export_head
from cbec.intake.parsers.template import (
    CellError,
    Row,
    T,
    Table,
    decimal_comma,
    given_country_notes,
    grouped_result,
    missing_columns,
    rows_ref,
)
from cbec.intake.rules import net_of_discount, unit_price
from cbec.kit.codes import CodeLists, code_lists
from cbec.kit.limits import csv_rows
from cbec.kit.money import ZERO
from cbec.kit.sheets import decode_text

REQUIRED_COLUMNS = (
    "Name",
    "Currency",
    "Subtotal",
    "Shipping",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Shipping Country",
    "Cancelled at",
)
#: Columns of the order, filled on its first row only.
ORDER_COLUMNS = (
    "currency",
    "subtotal",
    "shipping",
    "taxes",
    "duties",
    "total",
    "discount amount",
    "discount code",
    "created at",
    "paid at",
    "shipping country",
    "cancelled at",
)
MONEY_COLUMNS = ("subtotal", "shipping", "taxes", "total", "discount amount", "lineitem price", "lineitem discount")
UNIT = "011"  # 件 (item): the export gives no unit


def _read_table(data: bytes) -> tuple[Table, list[Row]]:
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows: list[Row] = list(enumerate(csv_rows(text, delimiter), start=1))
    header = rows[0][1] if rows else []
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        if key not in columns:
            columns[key], labels[key] = index, name.strip()
    missing = [c for c in REQUIRED_COLUMNS if c.lower() not in columns]
    if missing:
        raise missing_columns("Shopify orders export", "Shopify 订单导出文件", missing)
    data_rows = [(n, cells) for n, cells in rows[1:] if any(c.strip() for c in cells)]
    amounts = [columns[c] for c in MONEY_COLUMNS if c in columns]
    comma = decimal_comma([cells[i] for _, cells in data_rows for i in amounts if i < len(cells)])
    return Table(columns, labels, comma), data_rows


def _cancellation(order_no: str, rows: list[Row], table: Table, ctx: ParseContext, codes: CodeLists) -> ParsedDocument:
    ignored: list[CellError] = []  # a cancellation is kept with what can be read
    moment = table.order_value(
        rows, "cancelled at", lambda c: table.moment(c, "cancelled at", UTC), ignored, required=False
    )
    currency = table.order_value(
        rows, "currency", lambda c: table.code(c, "currency", codes.currency_or_iso), ignored, required=False
    )
    lines: list[dict[str, Any]] = []
    for _, cells in rows:
        line: dict[str, Any] = {
            "itemNo": table.text(cells, "lineitem sku"),
            "itemName": table.text(cells, "lineitem name"),
        }
        with contextlib.suppress(CellError):
            line["qty"] = table.number(cells, "lineitem quantity", required=True)
        lines.append(line)
    head = {
        "cancelNo": order_no,
        "orderNo": order_no,
        "ebpCode": ctx.platform_code,
        "ebcCode": ctx.seller_code,
        "cancelTime": moment[0] if moment else "",
        "buyerRef": "",
        "currency": currency or "",
        "reason": "Cancelled at",
    }
    return ParsedDocument(DocType.ORDER_CANCEL, head, tuple(lines), rows_ref(rows))


_Item = tuple[int, Sequence[Any], Decimal, Decimal, Decimal]  # row, cells, qty, price, own discount


def _items(rows: list[Row], table: Table, errors: list[CellError], stats: Counter[str]) -> list[_Item]:
    """The order's line items with a quantity; a line an order edit removed (quantity 0) is left out."""
    items: list[_Item] = []
    for number, cells in rows:
        try:
            qty = table.number(cells, "lineitem quantity", required=True)
            if qty == 0:  # a line removed by an order edit
                stats["removed_items"] += 1
                continue
            if qty < 0:
                raise table.error("lineitem quantity", "negative", f"为负数 {qty}", f"{qty} is negative")
            price = table.number(cells, "lineitem price", required=True)
            if price < 0:
                raise table.error("lineitem price", "negative", f"为负数 {price}", f"{price} is negative")
            line_discount = abs(table.number(cells, "lineitem discount", required=False))
            table.required(cells, "lineitem name")
        except CellError as err:
            errors.append(err.at(number))
            continue
        items.append((number, cells, qty, price, line_discount))
    return items


def _goods_lines(
    items: list[_Item], subtotal: Decimal, currency: str, table: Table, rows: list[Row]
) -> tuple[list[dict[str, Any]], Decimal] | CellError:
    """The goods lines net of the order's goods discount (Subtotal is after it), and the discount
    as an informational line; or why the amounts do not add up."""
    gross = [qty * price for _, _, qty, price, _ in items]
    goods_discount = sum(gross, ZERO) - subtotal
    if goods_discount < 0:
        zh, en = (
            f"的值 {subtotal} 大于各商品行合计 {sum(gross, ZERO)}",
            f"{subtotal} exceeds the line items' {sum(gross, ZERO)}",
        )
        return table.error("subtotal", "inconsistent", zh, en, rows[0][0])
    own = [min(item[4], g) for item, g in zip(items, gross, strict=True)]
    if sum(own, ZERO) > goods_discount:  # line discounts not inside Subtotal: share it all out
        own = [ZERO] * len(items)
    rest = goods_discount - sum(own, ZERO)
    after_own = [g - d for g, d in zip(gross, own, strict=True)]
    if rest and not sum(after_own, ZERO):
        zh, en = "：商品行金额为 0，无法分摊折扣", "the lines are free: there is no value to take the discount from"
        return table.error("subtotal", "inconsistent", zh, en, rows[0][0])
    try:
        nets = net_of_discount(rest, after_own)
    except ValueError:  # a negative quantity, price or line discount makes the lines worth less
        zh, en = (
            f"：折扣 {rest} 大于各商品行合计 {sum(after_own, ZERO)}",
            f"the discount {rest} exceeds the line items' {sum(after_own, ZERO)}",
        )
        return table.error("subtotal", "inconsistent", zh, en, rows[0][0])

    lines: list[dict[str, Any]] = []
    for (_, cells, qty, _, _), net in zip(items, nets, strict=True):
        lines.append(
            {
                "gnum": len(lines) + 1,
                "itemNo": table.text(cells, "lineitem sku"),
                "itemName": table.text(cells, "lineitem name"),
                "unit": UNIT,
                "currency": currency,
                "qty": qty,
                "price": unit_price(net, qty),
                "totalPrice": net,
            }
        )
    if goods_discount:
        found = table.first(rows, "discount code")
        code = table.text(found[1], "discount code") if found else ""
        lines.append(
            {
                "itemNo": (code or "discount")[:30],
                "itemName": "Shopify discounts, already deducted from the goods lines",
                "unit": UNIT,
                "currency": currency,
                "qty": Decimal(1),
                "price": goods_discount,
                "totalPrice": goods_discount,
                "kind": LineKind.DISCOUNT.value,
            }
        )
    return lines, goods_discount


def _freight(
    shipping: Decimal,
    shipping_discount: Decimal,
    subtotal: Decimal,
    taxes: Decimal,
    duties: Decimal,
    total: Decimal | None,
    notes: list[str],
) -> Decimal:
    """Freight as paid: Shipping less the part of the discount that was not on the goods, unless
    Total shows Shipping is already net of it."""
    freight = shipping - shipping_discount
    if shipping_discount:
        fits = {subtotal + freight + taxes + duties, subtotal + freight + duties}  # taxes added / included
        as_charged = {subtotal + shipping + taxes + duties, subtotal + shipping + duties}
        if total is not None and total not in fits and total in as_charged:
            freight = shipping
            notes.append(f"Total {total} shows Shipping {shipping} already net of the shipping discount")
        else:
            notes.append(f"shipping discount {shipping_discount} deducted from freight")
    if freight < 0:
        notes.append(f"the shipping discount exceeds Shipping by {-freight}; freight set to 0")
        freight = ZERO
    if total is not None and total not in {subtotal + freight + taxes + duties, subtotal + freight + duties}:
        notes.append(
            f"Total {total} is not Subtotal + freight + Taxes + Duties = {subtotal + freight + taxes + duties}"
        )
    return freight


def _order(
    order_no: str, rows: list[Row], table: Table, ctx: ParseContext, codes: CodeLists, stats: Counter[str]
) -> tuple[ParsedDocument | None, list[CellError]]:
    """The export order of one Shopify order, or every cell of it that cannot be read."""
    errors: list[CellError] = []
    for column in ORDER_COLUMNS:
        errors += table.same(rows, column)
    notes: list[str] = []

    def value(column: str, read: Callable[[Sequence[Any]], T], *, required: bool) -> T | None:
        return table.order_value(rows, column, read, errors, required=required)

    def amount(column: str, *, required: bool) -> Decimal | None:
        return value(column, partial(table.number, column=column, required=True), required=required)

    # Created at is when the buyer ordered; an order without it (imported by an app) has Paid at
    time_column = "created at" if table.first(rows, "created at") or not table.first(rows, "paid at") else "paid at"
    moment = value(time_column, lambda c: table.moment(c, time_column, UTC), required=True)
    if moment and moment[1]:
        notes.append(f"{table.label(time_column)} has no UTC offset; read as UTC")
    currency = value("currency", lambda c: table.code(c, "currency", codes.currency_or_iso), required=True) or ""
    country = value("shipping country", lambda c: table.code(c, "shipping country", codes.country), required=True)
    subtotal = amount("subtotal", required=True)
    shipping = amount("shipping", required=False) or ZERO
    discount_amount = abs(amount("discount amount", required=False) or ZERO)
    taxes = amount("taxes", required=False) or ZERO
    duties = amount("duties", required=False) or ZERO
    total = amount("total", required=False)

    items = _items(rows, table, errors, stats)
    if errors or subtotal is None:
        return None, errors
    if not items:
        zh, en = "：订单没有数量大于 0 的商品行", "the order has no line with a quantity above 0"
        return None, [table.error("lineitem quantity", "required", zh, en, rows[0][0])]

    found = _goods_lines(items, subtotal, currency, table, rows)
    if isinstance(found, CellError):
        return None, [found]
    lines, goods_discount = found
    freight = _freight(shipping, max(discount_amount - goods_discount, ZERO), subtotal, taxes, duties, total, notes)
    head = export_head(
        ctx,
        order_no,
        goods_value=sum((line["totalPrice"] for line in lines if "gnum" in line), ZERO),
        freight=freight,
        currency=currency,
        order_time=moment[0] if moment else "",
        country=country,
    )
    notes += given_country_notes(table, rows, "shipping country", codes)
    return ParsedDocument(DocType.EXPORT_ORDER, head, tuple(lines), rows_ref(rows), tuple(notes)), []


def parse(data: bytes, ctx: ParseContext, *, codes: CodeLists | None = None) -> ParseResult:
    codes = codes or code_lists()
    table, rows = _read_table(data)
    result, documents, orders = grouped_result(table, rows, "name")
    stats: Counter[str] = result.stats

    for order_no, order_rows in orders.items():
        if table.first(order_rows, "cancelled at") is not None:
            documents.append(_cancellation(order_no, order_rows, table, ctx, codes))
            stats["cancellations"] += 1
            continue
        doc, errors = _order(order_no, order_rows, table, ctx, codes, stats)
        if doc is None:
            result.errors.extend(err.field_error(order_no) for err in sorted(errors, key=lambda e: e.row))
            stats["orders_with_errors"] += 1
            continue
        documents.append(doc)
        stats["orders"] += 1
        stats["order_lines"] += sum(1 for line in doc.lines if "gnum" in line)
        stats["discount_lines"] += sum(1 for line in doc.lines if line.get("kind") == LineKind.DISCOUNT)
    return result
