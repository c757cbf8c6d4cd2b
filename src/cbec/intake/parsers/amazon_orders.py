"""Amazon's "All Orders" flat file read as a Chinese seller's export orders (9610, shipped from China).

Source: the order-tracking reports ``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL`` /
``…_BY_ORDER_DATE_GENERAL`` (and the older 29-column "tracking by order date" file), described in
``shared/reference/FORMATS.md``: tab-separated, UTF-8 (older files cp1252), one row per order item,
the header in the first line. Report versions add, drop and reorder columns (``url``, ``cpf``,
``number-of-items``, ``tax-collection-model`` …), so columns are found by header name only
(case-insensitive); ``REQUIRED_COLUMNS`` must be there, the rest is used when present.

* Rows are grouped by ``amazon-order-id`` → one ``export_order`` each: orderNo = the Amazon order
  id, currency and destinationCountry = customs codes of ``currency`` and ``ship-country`` (ISO),
  orderTime = ``purchase-date`` (ISO 8601 with offset) in Beijing time, as CEB times are.
* ``item-price`` is the line total, not a unit price (Amazon: "ItemPrice = selling price of the
  item × quantity ordered"), so price = (item-price − item promotion) / quantity, kept to the five
  decimals of N19,5, and totalPrice = item-price − item promotion exactly.
* Promotions are price reductions, so they come off the value: CEB303 goodsValue is the actual
  transaction price (XSD: "商品实际成交价FOB(不含运杂费)，含非现金抵扣金额"; non-cash payments such
  as gift cards are not promotions and never appear in these columns). Amazon writes the
  promotion columns negative in some reports and positive in others; the magnitude is what was
  taken off. ``item-promotion-discount`` reduces the item's line; ``ship-promotion-discount``
  reduces ``freight`` (Σ ``shipping-price``). The goods lines therefore already carry the price
  actually charged; the promotions are kept as one ``discount`` line (no gnum) for the record —
  already deducted, never to be deducted again — and the shipping promotion as a note.
* Taxes (``item-tax``, ``shipping-tax``) and gift wrap are not goods value or freight.
* ``order-status`` Cancelled → one ``order_cancel`` (cancelNo = orderNo = the order id), no order;
  items with ``item-status`` Cancelled or quantity 0 are left out of a live order (an order left
  with no item counts as cancelled). ``Pending`` orders are skipped and counted: Amazon leaves
  their prices blank until payment is authorised; they are read when a later report shows them
  shipped or unshipped. ``fulfillment-channel`` Amazon (FBA) orders are skipped and counted: the
  goods left China earlier in bulk to Amazon's warehouse (declared then, 9810) and the sale ships
  inside the destination country, so it is not a 9610 export.
* EU marketplaces write decimal commas ("12,50", "1.234,56"); the file's convention is taken from
  its amounts, then each amount is read with ``parse_decimal``.
* A row that cannot be read (an unreadable number, a required cell left blank, an unknown
  country or currency) yields a ``FieldError`` naming the row (the header is row 1, as in a
  spreadsheet) and the column, and its whole order is left out — an order missing an item would
  understate the goods; the rest of the file is still read.
"""

from __future__ import annotations

import contextlib
import csv
from collections import Counter
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any

from cbec.intake.documents import DocType, LineKind, ParseContext, ParsedDocument
from cbec.intake.parsers.base import ParseResult, export_head
from cbec.intake.parsers.template import (
    CellError,
    Row,
    Table,
    beijing_time,
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
    "amazon-order-id",
    "purchase-date",
    "order-status",
    "product-name",
    "sku",
    "quantity",
    "currency",
    "item-price",
    "shipping-price",
    "ship-country",
)
MONEY_COLUMNS = ("item-price", "shipping-price", "item-promotion-discount", "ship-promotion-discount")
UNIT = "011"  # 件 (item): the report gives no unit


def _read_table(data: bytes) -> tuple[Table, list[Row]]:
    """The columns by lower-case header name, and the non-blank rows (the header is row 1)."""
    # Amazon's flat files are not quoted: a quote character inside a product name is text
    reader = csv_rows(decode_text(data), "\t", quoting=csv.QUOTE_NONE)
    header: list[str] | None = None
    rows: list[Row] = []
    for number, cells in enumerate(reader, start=1):
        if header is None:
            header = cells
        elif any(c.strip() for c in cells):
            rows.append((number, cells))
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, name in enumerate(header or []):
        key = name.strip().lower()
        if key not in columns:
            columns[key], labels[key] = index, name.strip()
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        hint = ("", "")
        if header is not None and len(header) == 1 and "," in header[0]:
            hint = (" (the report must be tab-separated)", "（报告须以制表符分隔）")
        raise missing_columns("Amazon order report", "亚马逊订单报告", missing, hint)
    amounts = [columns[c] for c in MONEY_COLUMNS if c in columns]
    comma = decimal_comma([cells[i] for _, cells in rows for i in amounts if i < len(cells)])
    return Table(columns, labels, comma), rows


def _cancellation(
    order_id: str, rows: list[Row], table: Table, ctx: ParseContext, codes: CodeLists, reason: str
) -> ParsedDocument:
    """What an order_cancel can say of a cancelled order (Amazon often blanks its prices)."""
    first = rows[0][1]
    cancel_time = currency = ""
    with contextlib.suppress(ValueError):
        cancel_time = beijing_time(table.text(first, "last-updated-date") or table.text(first, "purchase-date"), UTC)[0]
    with contextlib.suppress(CellError):
        currency = table.code(first, "currency", codes.currency_or_iso)
    lines: list[dict[str, Any]] = []
    for _, cells in rows:
        line: dict[str, Any] = {"itemNo": table.text(cells, "sku"), "itemName": table.text(cells, "product-name")}
        with contextlib.suppress(CellError):
            line["qty"] = table.number(cells, "quantity", required=True)
        lines.append(line)
    head = {
        "cancelNo": order_id,
        "orderNo": order_id,
        "ebpCode": ctx.platform_code,
        "ebcCode": ctx.seller_code,
        "cancelTime": cancel_time,
        "buyerRef": "",
        "currency": currency,
        "reason": reason,
    }
    return ParsedDocument(DocType.ORDER_CANCEL, head, tuple(lines), rows_ref(rows))


@dataclass
class _Sums:
    """What an order's item rows add up to, promotions apart."""

    goods: Decimal = ZERO
    freight: Decimal = ZERO
    item_promotions: Decimal = ZERO
    ship_promotions: Decimal = ZERO


def _order_cells(
    rows: list[Row], table: Table, codes: CodeLists, errors: list[CellError]
) -> tuple[str, bool, str, str]:
    """(purchase time, whether it had no UTC offset, currency, destination) of an order: every
    row must agree, the first row is read."""
    for column in ("purchase-date", "currency", "ship-country"):
        errors += table.same(rows, column)
    number, first = rows[0]
    order_time = currency = country = ""
    naive = False
    try:
        order_time, naive = table.moment(first, "purchase-date", UTC)
    except CellError as err:
        errors.append(err.at(number))
    try:
        currency = table.code(first, "currency", codes.currency_or_iso)
    except CellError as err:
        errors.append(err.at(number))
    try:
        country = table.code(first, "ship-country", codes.country)
    except CellError as err:
        errors.append(err.at(number))
    return order_time, naive, currency, country


def _item_line(
    cells: Any, table: Table, gnum: int, currency: str, sums: _Sums, stats: Counter[str]
) -> dict[str, Any] | None:
    """One item row as a goods line, its amounts added to ``sums``; None for a cancelled item."""
    shipping = table.number(cells, "shipping-price", required=False)
    ship_promotion = abs(table.number(cells, "ship-promotion-discount", required=False))
    qty = table.number(cells, "quantity", required=True)
    if table.text(cells, "item-status").lower() == "cancelled" or qty == 0:
        stats["cancelled_items"] += 1
        return None
    if qty < 0:
        raise table.error("quantity", "negative", f"为负数 {qty}", f"{qty} is negative")
    item_price = table.number(cells, "item-price", required=True)
    promotion = abs(table.number(cells, "item-promotion-discount", required=False))
    try:
        (total,) = net_of_discount(promotion, [item_price])  # the item's own promotion, on its line
    except ValueError:
        raise table.error(
            "item-promotion-discount",
            "negative",
            f"的促销折扣 {promotion} 大于商品金额 item-price {item_price}",
            f"the promotion {promotion} exceeds the item-price {item_price}",
        ) from None
    line = {
        "gnum": gnum,
        "itemNo": table.required(cells, "sku"),
        "itemName": table.required(cells, "product-name"),
        "unit": UNIT,
        "currency": currency,
        "qty": qty,
        "price": unit_price(total, qty),
        "totalPrice": total,
    }
    sums.goods += total
    sums.item_promotions += promotion
    sums.freight += shipping
    sums.ship_promotions += ship_promotion
    return line


def _net_freight(sums: _Sums, notes: list[str]) -> Decimal:
    """Freight less the shipping promotions, never below zero; each adjustment noted."""
    freight = sums.freight
    if sums.ship_promotions:
        notes.append(f"shipping promotions {sums.ship_promotions} deducted from freight")
        freight -= sums.ship_promotions
        if freight < 0:
            notes.append(f"shipping promotions exceed the shipping charged by {-freight}; freight set to 0")
            freight = ZERO
    return freight


def _order(
    order_id: str, rows: list[Row], table: Table, ctx: ParseContext, codes: CodeLists, stats: Counter[str]
) -> tuple[ParsedDocument | None, list[CellError]]:
    """The export order of one Amazon order (None when every item was cancelled), or every cell
    of it that cannot be read."""
    errors: list[CellError] = []
    order_time, naive, currency, country = _order_cells(rows, table, codes, errors)
    lines: list[dict[str, Any]] = []
    sums = _Sums()
    for number, cells in rows:
        try:
            line = _item_line(cells, table, len(lines) + 1, currency, sums, stats)
        except CellError as err:
            errors.append(err.at(number))
            continue
        if line is not None:
            lines.append(line)
    if errors or not lines:
        return None, errors
    notes: list[str] = ["purchase-date has no UTC offset; read as UTC"] if naive else []
    freight = _net_freight(sums, notes)
    if sums.item_promotions:
        lines.append(
            {
                "itemNo": "item-promotion-discount",
                "itemName": "Amazon item promotions, already deducted from the goods lines",
                "unit": UNIT,
                "currency": currency,
                "qty": Decimal(1),
                "price": sums.item_promotions,
                "totalPrice": sums.item_promotions,
                "kind": LineKind.DISCOUNT.value,
            }
        )
        stats["discount_lines"] += 1
    head = export_head(
        ctx,
        order_id,
        goods_value=sums.goods,
        freight=freight,
        currency=currency,
        order_time=order_time,
        country=country,
    )
    notes += given_country_notes(table, rows, "ship-country", codes)
    return ParsedDocument(DocType.EXPORT_ORDER, head, tuple(lines), rows_ref(rows), tuple(notes)), []


def parse(data: bytes, ctx: ParseContext, *, codes: CodeLists | None = None) -> ParseResult:
    codes = codes or code_lists()
    table, rows = _read_table(data)
    result, documents, orders = grouped_result(table, rows, "amazon-order-id")
    stats: Counter[str] = result.stats

    for order_id, order_rows in orders.items():
        first = order_rows[0][1]
        if table.text(first, "fulfillment-channel").lower() == "amazon":
            stats["fba_orders"] += 1
            continue
        status = table.text(first, "order-status").lower()
        if status.startswith("pending"):
            stats["pending_orders"] += 1
            continue
        if status == "cancelled":
            documents.append(_cancellation(order_id, order_rows, table, ctx, codes, "order-status Cancelled"))
            stats["cancellations"] += 1
            continue
        doc, errors = _order(order_id, order_rows, table, ctx, codes, stats)
        if errors:
            result.errors.extend(err.field_error(order_id) for err in sorted(errors, key=lambda e: e.row))
            stats["orders_with_errors"] += 1
            continue
        if doc is None:
            documents.append(_cancellation(order_id, order_rows, table, ctx, codes, "every item cancelled"))
            stats["cancellations"] += 1
            continue
        documents.append(doc)
        stats["orders"] += 1
        stats["order_lines"] += sum(1 for line in doc.lines if "gnum" in line)
    return result
