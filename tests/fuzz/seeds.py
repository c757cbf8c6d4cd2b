"""Real files the fuzzing starts from: tests/data, the seller template example, a slice of the
Online Retail data set, and what ``cbec.generate`` and ``cbec.generate.settlements`` write. Built
once a process (cached), never committed."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import openpyxl

from cbec.ceb.envelope import envelope_for, wrap_envelope
from cbec.ceb.messages import BaseTransfer, Entity, build
from cbec.generate.basics import GenerateOptions
from cbec.generate.service import generate
from cbec.generate.settlements import SoldLine, SoldOrder, amazon_settlements, shopify_transactions
from cbec.intake.documents import DocType, ParseContext
from cbec.intake.parsers import json_docs
from tests.conftest import DATA, ONLINE_RETAIL

ROOT = Path(__file__).resolve().parents[2]
CTX = ParseContext(
    "91330782MA2DEMN016", "义乌示范礼品家居有限公司", "91330782MA2DEMP02Y", "义乌示范跨境电商平台有限公司"
)
ORDERS = [
    SoldOrder(f"111-{i:07d}", date(2026, 5, 1 + i % 28), ("USD", "EUR")[i % 2], (SoldLine("MUG", 1 + i % 3, Decimal("12.99")),))
    for i in range(12)
]  # fmt: skip


@cache
def generated() -> dict[str, bytes]:
    """The JSON files ``cbec generate`` writes for a handful of orders (exports and imports)."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(GenerateOptions(orders=4, seed=7), Path(tmp) / "out")
        return {p.name: p.read_bytes() for p in sorted((Path(tmp) / "out").glob("*-00001.json"))}


def json_seeds() -> list[bytes]:
    return list(generated().values())


@cache
def ceb_seeds() -> list[bytes]:
    """CEB303 messages of the generated export orders, bare and inside a DxpMsg."""
    docs = json_docs.parse(generated()["export-orders-00001.json"], CTX).documents
    entities = [Entity(d.head, d.lines) for d in docs if d.doc_type is DocType.EXPORT_ORDER][:3]
    transfer = BaseTransfer(copCode=CTX.seller_code, copName=CTX.seller_name, dxpId="DXPENT0000000002")
    [message] = build("CEB303", entities, transfer, at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC), check=False)
    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    wrapped = wrap_envelope(envelope_for(message.data, sender_id="DXPENT0000000002", created_at=at), check=False)
    return [message.data, wrapped]


def template_seeds() -> list[bytes]:
    return [(ROOT / "examples" / "seller-template.csv").read_bytes()]


def xlsx_of(data: bytes) -> bytes:
    """A delimited file as the first sheet of a workbook; a cell openpyxl refuses is left empty."""
    text = data.decode("utf-8", "replace")
    sep = max((",", ";", "\t"), key=text[:2000].count)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    with contextlib.suppress(csv.Error):  # a cell past csv's own limit ends the sheet there
        for row in rows:
            sheet.append(["".join(ch for ch in cell if ch >= " " or ch in "\t\n\r")[:32767] for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@cache
def xlsx_seeds() -> list[bytes]:
    return [xlsx_of(data) for data in template_seeds()]


def amazon_order_seeds() -> list[bytes]:
    return [(DATA / "amazon-all-orders.txt").read_bytes(), (DATA / "amazon-de-all-orders.txt").read_bytes()]


def shopify_order_seeds() -> list[bytes]:
    return [(DATA / "shopify-orders.csv").read_bytes()]


@cache
def online_retail_seeds() -> list[bytes]:
    """The first 200 rows of the Online Retail data set, as parquet and as CSV."""
    import polars as pl

    frame = pl.read_parquet(ONLINE_RETAIL).head(200)
    parquet, text = io.BytesIO(), io.BytesIO()
    frame.write_parquet(parquet)
    frame.write_csv(text)
    return [parquet.getvalue(), text.getvalue()]


@cache
def settlement_seeds() -> list[bytes]:
    return amazon_settlements(ORDERS).amazon[:2]


@cache
def shopify_money_seeds() -> tuple[bytes, bytes]:
    """(payment transactions export, payouts summary)."""
    return shopify_transactions(ORDERS)


@cache
def receipt_seeds() -> list[bytes]:
    ledger = amazon_settlements(ORDERS).receipts
    rows = list(csv.DictReader(io.StringIO(ledger.decode("utf-8-sig"))))
    return [ledger, json.dumps(rows, ensure_ascii=False).encode()]
