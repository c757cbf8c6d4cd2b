"""One-point intake on SQLite and PostgreSQL: raw first, idempotent, versioned, nothing lost."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import func, select

from cbec import pipeline
from cbec.errors import InvalidInput
from cbec.intake import repository
from cbec.intake.models import Document, InboxItem
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, as_bytes, export_order, register_partners

pytestmark = pytest.mark.integration


@pytest.fixture
def ctx(settings):
    register_partners(settings)
    return pipeline.context_for(settings, SELLER.code, PLATFORM.code)


def _documents(settings, order_no: str) -> list[Document]:
    with UnitOfWork(settings) as uow:
        return list(repository.history(uow.session, "export_order", f"ebpCode={PLATFORM.code}|orderNo={order_no}"))


def test_same_document_twice_is_a_duplicate_and_changes_nothing(settings, ctx) -> None:
    payload = as_bytes(export_order())
    first = pipeline.import_bytes(settings, payload, ctx, fmt="json", filename="orders.json")
    second = pipeline.import_bytes(settings, payload, ctx, fmt="json", filename="orders.json")
    assert (first["new"], first["duplicates"]) == (1, 0)
    assert (second["new"], second["duplicates"], second["new_versions"]) == (0, 1, 0)
    history = _documents(settings, "SO20261123001")
    assert len(history) == 1 and history[0].is_current and history[0].version == 1
    assert history[0].goods_value == Decimal("25.00")
    with UnitOfWork(settings) as uow:  # both submissions are kept raw, with their hash
        items = uow.session.scalars(select(InboxItem).order_by(InboxItem.id)).all()
        assert [i.sha256 for i in items] == [hashlib.sha256(payload).hexdigest()] * 2


def test_same_key_other_content_is_a_new_version_and_history_is_kept(settings, ctx) -> None:
    pipeline.import_bytes(settings, as_bytes(export_order(qty="2")), ctx, fmt="json")
    report = pipeline.import_bytes(settings, as_bytes(export_order(qty="3")), ctx, fmt="json")
    assert report["new_versions"] == 1
    history = _documents(settings, "SO20261123001")
    assert [(d.version, d.is_current, d.goods_value) for d in history] == [
        (1, False, Decimal("25.00")),
        (2, True, Decimal("37.50")),
    ]


def test_invalid_document_is_kept_with_errors_naming_document_line_and_field(settings, ctx) -> None:
    bad = export_order(order_no="SO-BAD-1")
    bad["lines"][0]["totalPrice"] = "99.99"  # not qty × price
    bad["head"]["currency"] = "USDX"
    report = pipeline.import_bytes(settings, as_bytes(bad), ctx, fmt="json")
    assert report["invalid"] == 1
    errors = report["invalid_documents"][0]["errors"]
    by_field = {e["field"]: e for e in errors}
    assert by_field["totalPrice"]["line"] == 1 and "25.00" in by_field["totalPrice"]["message_en"]
    assert "SO-BAD-1" in by_field["totalPrice"]["document"]
    assert "币制" in by_field["currency"]["message_zh"] and "currency" in by_field["currency"]["message_en"]
    assert "goodsValue" in by_field  # 99.99 ≠ 25.00
    stored = _documents(settings, "SO-BAD-1")
    assert len(stored) == 1 and not stored[0].is_valid and stored[0].errors
    # corrected and resubmitted: a new, valid version; the invalid one stays in the history
    pipeline.import_bytes(settings, as_bytes(export_order(order_no="SO-BAD-1")), ctx, fmt="json")
    assert [(d.version, d.is_valid, d.is_current) for d in _documents(settings, "SO-BAD-1")] == [
        (1, False, False),
        (2, True, True),
    ]


def test_unreadable_submission_is_kept_raw_and_reported(settings, ctx) -> None:
    with pytest.raises(InvalidInput) as exc:
        pipeline.import_bytes(settings, b'[{"type": "export_order", "head": {', ctx, fmt="json", filename="broken.json")
    assert exc.value.message_zh and exc.value.message_en
    with UnitOfWork(settings) as uow:
        item = uow.session.scalars(select(InboxItem)).one()
        assert item.filename == "broken.json"
        assert uow.session.scalar(select(func.count()).select_from(Document)) == 0


def test_online_retail_slice(settings, ctx, online_retail_bytes) -> None:
    """The first 3,000 rows of the real file, on both databases, counted against Polars."""
    frame = pl.read_parquet(io.BytesIO(online_retail_bytes)).head(3000)
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    report = pipeline.import_bytes(settings, buffer.getvalue(), ctx, fmt="online-retail")
    invoices = frame["InvoiceNo"].cast(pl.Utf8)
    cancellations = invoices.filter(invoices.str.starts_with("C")).n_unique()
    assert report["parser"]["invoices"] == invoices.n_unique()
    assert report["by_type"]["order_cancel"] == cancellations
    assert report["invalid"] == 0 and report["new"] == report["documents"]
    with UnitOfWork(settings) as uow:
        total = uow.session.scalar(
            select(func.sum(Document.goods_value)).where(Document.doc_type == "export_order", Document.is_current)
        )
    goods = frame.filter(
        ~pl.col("InvoiceNo").cast(pl.Utf8).str.starts_with("C")
        & pl.col("StockCode").cast(pl.Utf8).str.contains(r"^\d{5}")
        & (pl.col("UnitPrice") > 0)
        & (pl.col("Quantity") > 0)
    )
    expected = sum(
        Decimal(repr(q)) * Decimal(repr(p)) for q, p in zip(goods["Quantity"], goods["UnitPrice"], strict=True)
    )
    assert total == expected.quantize(Decimal("0.01"))


def test_an_order_in_a_currency_without_customs_code_is_kept_then_converted(
    settings, ctx, tmp_path, monkeypatch
) -> None:
    """An MXN order before the operator publishes a rate: stored, invalid on currency, nothing
    lost; resubmitted once the rate is in the file: converted to CNY, valid, the rate noted."""
    from cbec.config import reset_settings

    order = export_order("SO-MXN-1", qty="2", price="100.00")
    order["head"]["currency"] = "MXN"
    order["lines"][0]["currency"] = "MXN"
    first = pipeline.import_bytes(settings, as_bytes(order), ctx, fmt="json")
    assert first["invalid"] == 1
    (doc,) = _documents(settings, "SO-MXN-1")
    assert [e["code"] for e in doc.errors] == ["no_rate"] and doc.head["currency"] == "MXN"

    rates = tmp_path / "rates.csv"
    rates.write_text(
        "currency,cny_per_unit,valid_from,valid_to,source\nMXN,0.4012,2026-11-01,,zone rate of November 2026\n"
    )
    monkeypatch.setenv("CBEC_FX_RATES_FILE", str(rates))
    reset_settings()
    try:
        second = pipeline.import_bytes(settings, as_bytes(order), ctx, fmt="json")
    finally:
        monkeypatch.delenv("CBEC_FX_RATES_FILE")
        reset_settings()
    assert second["invalid"] == 0
    current = [d for d in _documents(settings, "SO-MXN-1") if d.is_current]
    assert len(current) == 1 and current[0].is_valid and current[0].version == 2
    assert current[0].head["currency"] == "142" and Decimal(str(current[0].head["goodsValue"])) == Decimal("80.24")
