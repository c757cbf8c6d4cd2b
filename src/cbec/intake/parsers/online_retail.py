"""The UCI "Online Retail" data set read as a UK seller's export orders.

Source: ``shared/data/online-retail.parquet`` (Chen, Sain & Guo 2012; CC0): one row per invoice
line with InvoiceNo, StockCode, Description, Quantity, InvoiceDate (UK local time), UnitPrice
(GBP), CustomerID, Country. Read as a marketplace's order export:

* an invoice whose number is all digits is a sales order → one ``export_order`` with
  orderNo = InvoiceNo, destinationCountry = customs code of Country, currency 303 (GBP),
  orderTime = InvoiceDate converted from Europe/London to Beijing time (CEB times are Beijing
  time), buyerRef = CustomerID;
* ``C``-prefixed invoices are credit notes cancelling (part of) earlier orders, not new orders →
  one ``order_cancel`` each, keeping its lines so the cancelled goods can be traced;
* ``A``-prefixed invoices are bad-debt adjustments ("Adjust bad debt"): finance entries, no
  document;
* all-digit invoices whose every line has a negative quantity at price 0 are stock corrections
  (damaged, lost, found …) and invoices whose every line is priced 0 are not sales: counted, no
  document (nothing was sold, so nothing can be declared).

Lines that are not goods are kept on the order with a ``kind`` and never declared as goods:
POST/DOT/C2 (postage, carriage) → freight, added to the order's ``freight``; D (discount) →
discount; M (manual), BANK CHARGES, AMAZONFEE, CRUK (commission), S (samples), PADS, B, and the
DCGS marketplace codes → fee/adjustment. ``goodsValue`` is Σ qty × price over goods lines, exact
(floats are read through their shortest repr, so 2.55 stays 2.55). Goods lines are numbered
``gnum`` 1..n in file order; an invoice seen at several minutes takes its first time.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from polars.exceptions import PanicException

from cbec.errors import FieldError, InvalidInput, LimitExceeded, UnknownCode
from cbec.intake.documents import DocType, LineKind, ParseContext, ParsedDocument
from cbec.intake.parsers.base import ParseResult, country_notes, export_head
from cbec.intake.rules import net_of_discount, unit_price
from cbec.kit.codes import CodeLists, code_lists
from cbec.kit.limits import MAX_CELLS_PER_ROW, MAX_ROWS
from cbec.kit.money import in_range

REQUIRED_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
CURRENCY = "303"  # GBP in the customs currency table (CEB.md §4.3)
UNIT = "011"  # 件 (item): the data set gives no unit
_LONDON = ZoneInfo("Europe/London")
_BEIJING = ZoneInfo("Asia/Shanghai")

#: StockCodes that are not goods, and what they are.
PSEUDO_ITEMS: dict[str, LineKind] = {
    "POST": LineKind.FREIGHT,
    "DOT": LineKind.FREIGHT,
    "C2": LineKind.FREIGHT,
    "D": LineKind.DISCOUNT,
    "M": LineKind.ADJUSTMENT,
    "m": LineKind.ADJUSTMENT,
    "B": LineKind.ADJUSTMENT,
    "S": LineKind.ADJUSTMENT,
    "PADS": LineKind.ADJUSTMENT,
    "BANK CHARGES": LineKind.FEE,
    "AMAZONFEE": LineKind.FEE,
    "CRUK": LineKind.FEE,
}


def line_kind(stock_code: str) -> LineKind:
    kind = PSEUDO_ITEMS.get(stock_code)
    if kind is not None:
        return kind
    if stock_code.startswith("DCGS") or stock_code.startswith("gift_"):
        return LineKind.ADJUSTMENT
    return LineKind.GOODS


#: what reading a parquet file may take, in its own process
PARQUET_SECONDS = 300
_READ_PARQUET = (
    "import io, sys, polars as pl; "
    "pl.read_parquet(io.BytesIO(sys.stdin.buffer.read())).write_ipc(sys.stdout.buffer, compression='uncompressed')"
)


def _parquet(data: bytes) -> pl.DataFrame:
    """A parquet file read in a process of its own, handed back as Arrow IPC. A damaged file can
    make Polars abort the process it runs in (fuzzing found one asking for 2**61 bytes: Rust aborts
    on a failed allocation, no exception is raised), and that process must not be the server."""
    try:
        child = subprocess.run(
            [sys.executable, "-c", _READ_PARQUET], input=data, capture_output=True, timeout=PARQUET_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        child = None
    if child is None or child.returncode != 0:
        raise InvalidInput(
            "the Online Retail parquet file cannot be read: it is damaged or not parquet",
            "无法读取 Online Retail parquet 文件：文件已损坏或不是 parquet 格式",
            field="file",
        )
    return pl.read_ipc(io.BytesIO(child.stdout))


def _csv(data: bytes) -> pl.DataFrame:
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema_length=0, try_parse_dates=False)
        # read as text, numbers as the parquet has them; a cell that is no number becomes
        # null and is reported on its line ("quantity or unit price is not a number")
        numeric = [c for c in ("Quantity", "UnitPrice", "CustomerID") if c in frame.columns]
        return frame.with_columns(pl.col(c).str.strip_chars().cast(pl.Float64, strict=False) for c in numeric)
    except (Exception, PanicException) as exc:  # polars raises many types for unreadable files, or panics
        raise InvalidInput(
            f"the Online Retail file cannot be read: {exc}",
            f"无法读取 Online Retail 文件：{exc}",
        ) from None


def _read_frame(data: bytes) -> Any:
    frame = _parquet(data) if data[:4] == b"PAR1" else _csv(data)
    if frame.height > MAX_ROWS or frame.width > MAX_CELLS_PER_ROW:
        name, value = ("MAX_ROWS", MAX_ROWS) if frame.height > MAX_ROWS else ("MAX_CELLS_PER_ROW", MAX_CELLS_PER_ROW)
        raise LimitExceeded(
            f"the Online Retail file is over the limit {name} of {value:,}; split it",
            f"Online Retail 文件超过限制 {name}（{value:,}），请拆分",
            field=name,
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"the Online Retail file lacks the columns {', '.join(missing)}",
            f"Online Retail 文件缺少列：{'、'.join(missing)}",
            field=missing[0],
        )
    return frame.select(REQUIRED_COLUMNS)


_DECIMALS: dict[Any, Decimal] = {}


def _decimal(value: Any) -> Decimal:
    """Exact Decimal of a cell; floats through their shortest repr. Cached: prices repeat."""
    d = _DECIMALS.get(value)
    if d is None:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
        if not in_range(d):  # a CSV's "NaN" or "inf" is a float to Polars, never an amount
            raise ValueError(value)
        if len(_DECIMALS) < 100_000:
            _DECIMALS[value] = d
    return d


def _bad_time(value: Any, ref: str) -> FieldError:
    return FieldError(
        "date",
        "InvoiceDate",
        f"发票日期 {value!r} 不是日期时间，该发票未读入",
        f"InvoiceDate {value!r} is not a date and time; the invoice was not read",
        document=ref,
    )


def _beijing_time(value: Any) -> str:
    """Raises ValueError when the cell is no date and time (an empty CSV cell is None)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if not isinstance(value, datetime):
        raise ValueError(repr(value))
    local = value.replace(tzinfo=_LONDON)
    stamp: str = local.astimezone(_BEIJING).strftime("%Y%m%d%H%M%S")
    return stamp


def parse(data: bytes, ctx: ParseContext, *, codes: CodeLists | None = None) -> ParseResult:
    codes = codes or code_lists()
    frame = _read_frame(data)
    result = ParseResult()
    stats: Counter[str] = result.stats
    stats["rows"] = frame.height

    # Rows of one invoice are brought together, invoices in order of first appearance (a stable
    # sort in Polars), so they can be read in slices and turned into documents one at a time.
    frame = (
        frame.with_columns(pl.col("InvoiceNo").cast(pl.Utf8))
        .with_row_index("_row")
        .with_columns(pl.col("_row").min().over("InvoiceNo").alias("_first_seen"))
        .sort("_first_seen", "_row")
    )
    stats["invoices"] = frame.get_column("InvoiceNo").n_unique()
    result.documents = _documents(_invoices(frame), ctx, codes, result)
    result.size_hint = stats["invoices"]
    return result


def _invoices(frame: pl.DataFrame, slice_rows: int = 50_000) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(invoice, rows) in order, from a frame whose invoices are contiguous, a slice at a time."""
    current: str | None = None
    rows: list[tuple[Any, ...]] = []
    for start in range(0, frame.height, slice_rows):
        part = frame.slice(start, slice_rows)
        for row in zip(*(part.get_column(c).to_list() for c in REQUIRED_COLUMNS), strict=True):
            if row[0] != current:
                if current is not None:
                    yield current, rows
                current, rows = row[0], []
            rows.append(row)
    if current is not None:
        yield current, rows


def _skipped(invoice_no: str, rows: list[tuple[Any, ...]], stats: Counter[str]) -> bool:
    """Invoices that are not sales: adjustments (A…), stock corrections (every quantity below 0)
    and zero-value invoices; counted in ``stats``."""
    if invoice_no.startswith("A"):
        kind = "adjustment"
    elif invoice_no.startswith("C"):
        return False
    elif all(r[3] is not None and r[3] < 0 for r in rows):
        kind = "stock_correction"
    elif all(r[5] == 0 for r in rows):
        kind = "zero_value"
    else:
        return False
    stats[f"{kind}_invoices"] += 1
    stats[f"{kind}_lines"] += len(rows)
    return True


class _Countries:
    """Country names → customs codes, each name looked up once; an unknown name is an error of
    the invoice's ``destinationCountry`` (the order is kept, invalid)."""

    def __init__(self, codes: CodeLists, result: ParseResult) -> None:
        self.codes, self.result, self.cache = codes, result, dict[str, str]()

    def __call__(self, name: str, ref: str) -> str:
        if name not in self.cache:
            try:
                self.cache[name] = self.codes.country(name)
            except UnknownCode:
                self.result.errors.append(
                    FieldError(
                        "unknown_code",
                        "destinationCountry",
                        f"未知国家名称 {name!r}",
                        f"unknown country name {name!r}",
                        document=ref,
                    )
                )
                self.cache[name] = ""
        return self.cache[name]


def _lines(rows: list[tuple[Any, ...]], ref: str, result: ParseResult) -> tuple[list[dict[str, Any]], bool]:
    """The invoice's lines as read (goods lines numbered), and whether a line could not be read."""
    lines: list[dict[str, Any]] = []
    gnum = 0
    bad = False
    for r in rows:
        stock_code = str(r[1])
        kind = line_kind(stock_code)
        try:
            qty = _decimal(r[3])
            price = _decimal(r[5])
        except Exception:
            result.errors.append(
                FieldError(
                    "not_a_number",
                    "qty" if r[3] is None else "price",
                    "数量或单价不是数字",
                    "quantity or unit price is not a number",
                    document=ref,
                )
            )
            bad = True
            continue
        line: dict[str, Any] = {
            "itemNo": stock_code,
            "itemName": (r[2] or "").strip(),
            "unit": UNIT,
            "currency": CURRENCY,
            "qty": qty,
            "price": price,
            "totalPrice": qty * price,
        }
        if kind is LineKind.GOODS:
            gnum += 1
            line = {"gnum": gnum, **line}
        else:
            line["kind"] = kind.value
            result.stats[f"{kind.value}_lines"] += 1
        lines.append(line)
    return lines, bad


def _net_goods(lines: list[dict[str, Any]], ref: str, result: ParseResult) -> list[dict[str, Any]]:
    """A sale's ``D`` (Discount) lines taken off its goods lines (:func:`net_of_discount`, the rule
    the Amazon and Shopify parsers apply); the discount line stays, as a positive amount already
    deducted. A discount larger than the goods is an error of the invoice's ``discount``."""
    goods = [ln for ln in lines if "gnum" in ln]
    discounts = [ln for ln in lines if ln.get("kind") == LineKind.DISCOUNT.value]
    amount = abs(sum((ln["totalPrice"] for ln in discounts), Decimal(0)))
    if not amount or not goods:
        return lines
    try:
        nets = net_of_discount(amount, [ln["totalPrice"] for ln in goods])
    except ValueError:
        result.errors.append(
            FieldError(
                "inconsistent",
                "discount",
                f"折扣 {amount} 大于商品金额",
                f"the discount {amount} exceeds the goods value",
                document=ref,
            )
        )
        return lines
    netted = {id(ln): net for ln, net in zip(goods, nets, strict=True)}
    out = []
    for ln in lines:
        if id(ln) in netted:
            net = netted[id(ln)]
            out.append({**ln, "price": unit_price(net, ln["qty"]), "totalPrice": net})
        elif ln.get("kind") == LineKind.DISCOUNT.value:
            magnitude = abs(ln["totalPrice"])
            out.append({**ln, "qty": Decimal(1), "price": magnitude, "totalPrice": magnitude})
        else:
            out.append(ln)
    return out


def _documents(
    invoices: Iterator[tuple[str, list[tuple[Any, ...]]]], ctx: ParseContext, codes: CodeLists, result: ParseResult
) -> Iterator[ParsedDocument]:
    """The invoices as documents, one at a time (memory stays flat in the file's size)."""
    stats = result.stats
    country_of = _Countries(codes, result)
    for invoice_no, rows in invoices:
        if _skipped(invoice_no, rows, stats):
            continue
        first = rows[0]
        ref = f"invoice {invoice_no}"
        country = country_of(first[7] or "Unspecified", ref)
        lines, bad = _lines(rows, ref, result)
        if bad and not lines:
            continue
        customer = first[6]
        # a CustomerID that is no number (a CSV's "NaN" or "inf") is as absent as an empty one
        buyer_ref = "" if customer is None or not math.isfinite(customer) else str(int(customer))
        try:
            order_time = _beijing_time(first[4])
        except (ValueError, OverflowError, TypeError):
            result.errors.append(_bad_time(first[4], ref))
            continue
        if invoice_no.startswith("C"):
            stats["cancellations"] += 1
            stats["cancellation_lines"] += len(rows)
            yield ParsedDocument(
                DocType.ORDER_CANCEL, _cancel_head(invoice_no, ctx, order_time, buyer_ref), tuple(lines), ref
            )
            continue
        lines = _net_goods(lines, ref, result)
        stats["orders"] += 1
        stats["order_lines"] += len(rows)
        stats["goods_lines"] += sum(1 for ln in lines if "gnum" in ln)
        freight = sum((ln["totalPrice"] for ln in lines if ln.get("kind") == LineKind.FREIGHT.value), Decimal(0))
        head = export_head(
            ctx,
            invoice_no,
            goods_value=sum((ln["totalPrice"] for ln in lines if "gnum" in ln), Decimal(0)),
            freight=freight if freight > 0 else Decimal(0),
            currency=CURRENCY,
            order_time=order_time,
            country=country,
        ) | {"buyerRef": buyer_ref}
        yield ParsedDocument(DocType.EXPORT_ORDER, head, tuple(lines), ref, country_notes(codes, first[7] or ""))


def _cancel_head(invoice_no: str, ctx: ParseContext, at: str, buyer_ref: str) -> dict[str, Any]:
    """A credit note (C…): it does not name the invoice it cancels."""
    return {
        "cancelNo": invoice_no,
        "orderNo": "",
        "ebpCode": ctx.platform_code,
        "ebcCode": ctx.seller_code,
        "cancelTime": at,
        "buyerRef": buyer_ref,
        "currency": CURRENCY,
        "reason": "credit note",
    }
