"""Stock-movement files → movements (issue 18, part 2): the canonical movement CSV
(docs/warehouse.md) and Amazon's FBA Inventory Ledger, detail view (``GET_LEDGER_DETAIL_VIEW_DATA``,
FORMATS.md). Pure: bytes in, movements and per-row errors out. Columns are found by their header
names, never by position; a bad row is an error naming its row and field, and the other rows
go on."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache

from cbec.errors import FieldError, InvalidInput
from cbec.warehouse.rules import Kind, Movement, signed


class MovementFormat(StrEnum):
    CANONICAL = "movements-csv"
    FBA_LEDGER = "fba-ledger"


#: FBA ledger Event Type → movement kind (FORMATS.md; quantities are signed in the file)
FBA_EVENTS = {
    "receipts": Kind.INBOUND,
    "shipments": Kind.SALE,
    "customerreturns": Kind.CUSTOMER_RETURN,
    "whsetransfers": Kind.TRANSFER,
    "adjustments": Kind.ADJUSTMENT,
    "vendorreturns": Kind.REMOVAL,
}
FBA_REQUIRED = ("Date", "MSKU", "Event Type", "Quantity", "Fulfillment Center")
CANONICAL_REQUIRED = ("warehouse", "sku", "movement", "quantity", "date")


@dataclass
class Parsed:
    format: MovementFormat
    rows: int = 0
    movements: list[Movement] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    #: the FBA ledger's disposition per movement row (SELLABLE, CUSTOMER_DAMAGED …), kept
    dispositions: dict[int, str] = field(default_factory=dict)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Seller Central's Western European downloads


def _rows(data: bytes) -> tuple[list[str], Iterator[list[str] | csv.Error]]:
    """The header and the rows after it, read as they are needed (a ledger may have millions);
    a row the CSV reader cannot read ends the rows as that error."""
    text = _text(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise InvalidInput(
            f"the header row cannot be read as CSV: {exc}", f"表头无法按 CSV 读取：{exc}", field="header"
        ) from None
    return header, _records(reader)


def _records(reader: Iterator[list[str]]) -> Iterator[list[str] | csv.Error]:
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc
            return
        yield values


def detect(data: bytes, filename: str = "") -> MovementFormat:
    header = {h.lower() for h in _rows(data[:4096])[0]}
    if {"event type", "fulfillment center", "msku"} <= header:
        return MovementFormat.FBA_LEDGER
    if {"warehouse", "sku", "movement"} <= header:
        return MovementFormat.CANONICAL
    raise InvalidInput(
        f"{filename or 'the file'} is neither a movement CSV (warehouse, sku, movement, quantity, date) "
        "nor an FBA Inventory Ledger (Date, MSKU, Event Type, Quantity, Fulfillment Center …)",
        f"{filename or '文件'} 既不是库存变动 CSV（warehouse, sku, movement, quantity, date），"
        "也不是 FBA 库存分类账（Date, MSKU, Event Type, Quantity, Fulfillment Center …）",
        field="header",
        document=filename,
    )


#: one row read: its number, the movement or the row's error, and the ledger's disposition
Read = tuple[int, Movement | FieldError, str]


def read(data: bytes, fmt: MovementFormat, filename: str = "") -> Iterator[Read]:
    """The file's rows one at a time (a ledger may have millions): each a movement or an error
    naming its row and field. A file without the required columns is refused at once."""
    header, body = _rows(data)
    required = FBA_REQUIRED if fmt is MovementFormat.FBA_LEDGER else CANONICAL_REQUIRED
    index = {h.lower(): i for i, h in enumerate(header)}
    missing = [c for c in required if c.lower() not in index]
    if missing:
        raise InvalidInput(
            f"{filename or 'the file'} lacks the column(s) {', '.join(missing)}",
            f"{filename or '文件'} 缺少列 {'、'.join(missing)}",
            field=missing[0],
            document=filename,
        )
    return _read_rows(body, index, fmt, filename or fmt.value)


def _read_rows(
    body: Iterator[list[str] | csv.Error], index: dict[str, int], fmt: MovementFormat, document: str
) -> Iterator[Read]:
    row_of = _fba_row if fmt is MovementFormat.FBA_LEDGER else _canonical_row
    for n, values in enumerate(body, start=2):  # row 1 is the header, as a spreadsheet numbers it
        if isinstance(values, csv.Error):
            yield n, FieldError("invalid", "row", f"本行起无法按 CSV 读取：{values}",
                                f"from this row on the file is not CSV: {values}", document=document, line=n), ""  # fmt: skip
            return
        if not any(v.strip() for v in values):
            continue
        row = {h: (values[i].strip() if i < len(values) else "") for h, i in index.items()}
        try:
            m = row_of(row, n)
        except _RowError as exc:
            yield n, FieldError("invalid", exc.field, exc.zh, exc.en, document=document, line=n), ""
            continue
        yield n, m, row.get("disposition", "")


def parse(data: bytes, fmt: MovementFormat, filename: str = "") -> Parsed:
    """The whole file at once (tests, small files; the service reads in slices)."""
    out = Parsed(fmt)
    for n, item, disposition in read(data, fmt, filename):
        out.rows += 1
        if isinstance(item, FieldError):
            out.errors.append(item)
            continue
        out.movements.append(item)
        if fmt is MovementFormat.FBA_LEDGER:
            out.dispositions[n] = disposition
    return out


class _RowError(Exception):
    def __init__(self, field_name: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.field, self.en, self.zh = field_name, en, zh


@lru_cache(maxsize=4096)  # a ledger has a few hundred distinct days over a million rows
def _day(text: str, column: str) -> date:
    """``MM/DD/YYYY`` (the ledger), ``YYYY-MM-DD`` or an ISO timestamp (its day)."""
    parts = text.split(" ", maxsplit=1)[0].split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return date(int(parts[2]), int(parts[0]), int(parts[1]))
        except ValueError:
            pass
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    raise _RowError(column, f"{column} {text!r} is not a date (MM/DD/YYYY or YYYY-MM-DD)",
                    f"{column} {text!r} 不是日期（MM/DD/YYYY 或 YYYY-MM-DD）")  # fmt: skip


def _int(text: str, column: str) -> int:
    try:
        value = int(text.replace(",", "")) if text else None
    except ValueError:
        value = None
    if value is None or abs(value) > 10_000_000:
        raise _RowError(column, f"{column} {text!r} is not a whole number of units",
                        f"{column} {text!r} 不是整数件数")  # fmt: skip
    return value


def _required(row: dict[str, str], column: str, limit: int) -> str:
    value = row.get(column.lower(), "")
    if not value:
        raise _RowError(column, f"{column} is empty", f"{column} 为空")
    if len(value) > limit:
        raise _RowError(column, f"{column} is longer than {limit} characters", f"{column} 超过 {limit} 个字符")
    return value


def _fba_row(row: dict[str, str], n: int) -> Movement:
    event = _required(row, "Event Type", 40)
    kind = FBA_EVENTS.get(event.replace(" ", "").lower())
    if kind is None:
        raise _RowError("Event Type", f"unknown event type {event!r}; one of {', '.join(FBA_EVENTS)}",
                        f"未知的事件类型 {event!r}")  # fmt: skip
    quantity = _int(row.get("quantity", ""), "Quantity")
    return Movement(
        warehouse=_required(row, "Fulfillment Center", 20), sku=_required(row, "MSKU", 60), kind=kind,
        quantity=quantity, day=_day(_required(row, "Date", 40), "Date"), reference=row.get("reference id", "")[:60],
        row=n,
    )  # fmt: skip


def _canonical_row(row: dict[str, str], n: int) -> Movement:
    text = _required(row, "movement", 20).lower()
    try:
        kind = Kind(text)
    except ValueError:
        raise _RowError("movement", f"unknown movement {text!r}; one of {', '.join(k.value for k in Kind)}",
                        f"未知的变动类型 {text!r}；可选 {'、'.join(k.value for k in Kind)}") from None  # fmt: skip
    quantity = _int(row.get("quantity", ""), "quantity")
    to_warehouse = row.get("to_warehouse", "")[:20]
    if kind is not Kind.ADJUSTMENT and not (kind is Kind.TRANSFER and not to_warehouse) and quantity < 0:
        raise _RowError("quantity", f"a {kind.value} counts units, not a signed quantity ({quantity})",
                        f"{kind.value} 的数量应为正数（{quantity}）")  # fmt: skip
    if kind is Kind.TRANSFER and to_warehouse:
        quantity = -abs(quantity)
    return Movement(
        warehouse=_required(row, "warehouse", 20), sku=_required(row, "sku", 60), kind=kind,
        quantity=signed(kind, quantity), day=_day(_required(row, "date", 40), "date"),
        reference=row.get("reference", "")[:60], list_no=row.get("list_no", "")[:20], to_warehouse=to_warehouse,
        row=n,
    )  # fmt: skip


class Keys:
    """Idempotency keys of one file's (or one request's) movements, given in order: the sender's
    own id when it gives one, else a digest of what the movement says and how many identical
    movements came before it in the same file — so the same file (or an overlapping report) sent
    again adds nothing, while two identical rows in one file stay two movements."""

    def __init__(self, seller: str, source: str) -> None:
        self.seller, self.source = seller, source
        self.seen: Counter[bytes] = Counter()

    def of(self, movements: Sequence[Movement], ids: Sequence[str] = ()) -> list[str]:
        keys = []
        for i, m in enumerate(movements):
            if i < len(ids) and ids[i]:
                keys.append(hashlib.sha256(f"{self.seller}|id|{ids[i]}".encode()).hexdigest())
                continue
            what = "|".join(
                (self.seller, self.source, m.warehouse, m.sku, m.kind.value, str(m.quantity), m.day.isoformat(),
                 m.reference, m.list_no, m.to_warehouse)
            )  # fmt: skip
            digest = hashlib.sha256(what.encode()).digest()
            self.seen[digest] += 1
            keys.append(hashlib.sha256(digest + str(self.seen[digest]).encode()).hexdigest())
        return keys


def movement_keys(seller: str, source: str, movements: Sequence[Movement], ids: Iterable[str] = ()) -> list[str]:
    """The keys of one file's movements at once (see ``Keys``)."""
    return Keys(seller, source).of(movements, list(ids))
