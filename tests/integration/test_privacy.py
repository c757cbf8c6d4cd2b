"""Erasing one buyer's personal data (issue 21, part 3; docs/privacy.md), on SQLite and PostgreSQL.

Two buyers order, their orders are declared, sent, answered by the sandbox customs and archived;
one of them is erased. On SQLite no byte of the erased buyer's ID number, name, phone or address
(UTF-8, GB18030, JSON escapes) is left in any file of the data directory: the database and its
-wal/-shm, the raw blobs, the message folders. On PostgreSQL the database's rows are searched
(its files are the server's, outside the data directory). The other buyer is untouched, the
ledger's amounts stay under the erasure's token, and the retained copy opens with the key only,
each opening in the audit trail."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import LargeBinary, select

from cbec import pipeline
from cbec.audit import service as audit
from cbec.audit.models import AuditEntry
from cbec.catalogue import service as catalogue
from cbec.config import get_settings, reset_settings
from cbec.db import engine_for
from cbec.errors import CbecError
from cbec.intake.models import Document
from cbec.matching import service as matching
from cbec.models import Base
from cbec.privacy.rules import byte_forms
from cbec.sandbox import SandboxCustoms
from cbec.tax.models import BuyerLedgerEntry
from cbec.unit_of_work import UnitOfWork

from .helpers import (
    BUYER,
    CONSIGNEE,
    PLATFORM,
    SELLER,
    as_bytes,
    import_order,
    import_payment,
    import_waybill,
    register_partners,
)

ERASED = {
    "id": BUYER["buyerIdNumber"],
    "name": BUYER["buyerName"],
    "phone": BUYER["buyerTelephone"],
    "address": CONSIGNEE["consigneeAddress"],
}


def _resident_id(body: str) -> str:
    """GB 11643-1999: the check character of an 18-character resident ID (ISO 7064 MOD 11-2)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


OTHER = {
    "id": _resident_id("11010119900307005"),
    "name": "李四",
    "phone": "13900139000",
    "address": "上海市浦东新区另一路2号",
}


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "custody" / "retention.key"  # beside the data directory, not in it
    monkeypatch.setenv("CBEC_RETENTION_KEY_FILE", str(path))
    reset_settings()
    return path


def _other_buyer(doc: dict[str, Any]) -> dict[str, Any]:
    head = doc["head"]
    for k, v in {"buyerIdNumber": OTHER["id"], "payerIdNumber": OTHER["id"], "buyerName": OTHER["name"],
                 "payerName": OTHER["name"], "consignee": OTHER["name"], "buyerTelephone": OTHER["phone"],
                 "consigneeTelephone": OTHER["phone"], "consigneeAddress": OTHER["address"]}.items():  # fmt: skip
        if k in head:
            head[k] = v
    return doc


def _order_set(no: str, i: int, price: str, *, other: bool = False) -> list[dict[str, Any]]:
    docs = [
        import_order(no, price=price, tax="0"),
        import_payment(no, amount=str(Decimal(price) + 10)),
        import_waybill(no, logisticsNo=f"EE{i:09d}JP", billNo="784-12345675", trafNo="CA930", voyageNo="CA930"),
    ]
    docs[0]["head"]["orderTime"] = f"2026112{i}101500"
    return [_other_buyer(d) for d in docs] if other else docs


def _declared_and_answered(settings: Any) -> None:
    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = (
        _order_set("IO-E-1", 1, "199.00")
        + _order_set("IO-E-2", 2, "99.00")
        + _order_set("IO-K-1", 3, "150.00", other=True)
    )
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    # a second version of the first order, sent as JSON with \\u escapes (another byte form)
    again = import_order("IO-E-1", price="199.00", tax="0")
    again["head"]["orderTime"] = "20261121111500"
    pipeline.import_bytes(settings, json.dumps([again], ensure_ascii=True).encode(), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "CREAM-50", "3304990099")
        matching.run_matching(uow.session)
        uow.commit()
    report = pipeline.declare(settings)
    assert report["declared"]["CEB621"] == 3, report["refused_examples"]
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=7)
    for _ in range(3):
        pipeline.work_once(settings)
        sandbox.step()
    pipeline.work_once(settings)


def _ledger(settings: Any) -> dict[str, Decimal]:
    with UnitOfWork(settings) as uow:
        out: dict[str, Decimal] = {}
        for who, amount in uow.session.execute(select(BuyerLedgerEntry.id_number, BuyerLedgerEntry.amount)):
            out[who] = out.get(who, Decimal(0)) + amount
        return out


def _forms(values: dict[str, str]) -> dict[bytes, str]:
    return {form: what for what, v in values.items() for form in byte_forms(v)}


def _rows_holding(settings: Any, values: dict[str, str]) -> list[str]:
    """Every table's rows searched for the values, as text and as bytes (both databases)."""
    forms = _forms(values)
    found: list[str] = []
    with UnitOfWork(settings) as uow:
        for table in Base.metadata.sorted_tables:
            for row in uow.session.execute(select(table)):
                for col, cell in zip(table.columns, row, strict=True):
                    raw = cell if isinstance(col.type, LargeBinary) and cell else str(cell).encode()
                    raw += json.dumps(cell, default=str).encode() if isinstance(cell, dict | list) else b""
                    found += [f"{table.name}.{col.name}: {forms[f]}" for f in forms if f in raw]
    return found


def _files_holding(directory: Path, values: dict[str, str]) -> list[str]:
    forms = _forms(values)
    return [
        f"{p.relative_to(directory)}: {forms[f]}"
        for p in sorted(directory.rglob("*"))
        if p.is_file()
        for f in forms
        if f in p.read_bytes()
    ]


def test_a_buyer_is_erased_everywhere_and_the_other_is_not(database_url: str, key_file: Path) -> None:
    settings = get_settings()
    assert settings.retention_key_file == key_file
    _declared_and_answered(settings)
    before = _ledger(settings)
    assert before[ERASED["id"]] > 0 and before[OTHER["id"]] > 0
    if database_url.startswith("sqlite"):
        with engine_for(database_url).connect() as conn:  # the values in the database file itself, not only its log
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert {"cbec.db: id", "cbec.db: phone"} <= set(_files_holding(settings.data_dir, ERASED))

    out = pipeline.erase_buyer(settings, f" {ERASED['id'].lower()} ", f"PIPL art. 47 request of {ERASED['name']}")

    assert out.counts["documents"] == 7  # two versions of one order, one order, their payments and waybills
    assert out.counts["declarations"] >= 8 and out.counts["inbox_blobs_rewritten"] == 2
    assert out.counts["message_files"] >= 4 and out.counts["risk_traces"] >= 2
    assert _rows_holding(settings, ERASED) == []
    if database_url.startswith("sqlite"):
        assert _files_holding(settings.data_dir, ERASED) == []
        assert out.compacted["checkpoint_busy"] == 0
        assert (
            not Path(f"{settings.data_dir / 'cbec.db'}-wal").exists()
            or not Path(f"{settings.data_dir / 'cbec.db'}-wal").stat().st_size
        )
        assert sorted(_files_holding(settings.data_dir, OTHER))  # the other buyer's files still hold theirs
    else:
        assert "buyer_ledger_entry" in out.compacted["vacuum_full"]
    assert len(_rows_holding(settings, OTHER)) >= 8

    # the ledger keeps the amounts, under the token instead of the person
    after = _ledger(settings)
    assert ERASED["id"] not in after and after[out.token] == before[ERASED["id"]]
    assert after[OTHER["id"]] == before[OTHER["id"]]
    with UnitOfWork(settings) as uow:
        other = uow.session.scalars(select(Document).where(Document.order_no == "IO-K-1")).all()
        assert {d.head.get("buyerIdNumber") for d in other if d.doc_type == "import_order"} == {OTHER["id"]}
        erased = uow.session.scalars(select(Document).where(Document.order_no == "IO-E-1")).all()
        assert {d.head.get("buyerIdNumber") for d in erased if d.doc_type == "import_order"} == {"ERASED"}

    _audit_holds_the_erasure_without_values(settings, out.token)
    _retained_copy_opens_with_the_key_only(settings, key_file, out.token)


def _audit_holds_the_erasure_without_values(settings: Any, token: str) -> None:
    with UnitOfWork(settings) as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.erase")).one()
        assert entry.target == f"erasure:{token}"
        assert entry.detail["counts"]["documents"] == 7
        assert entry.detail["reason"] == "PIPL art. 47 request of ERASED"
        assert audit.verify(uow.session).intact


def _retained_copy_opens_with_the_key_only(settings: Any, key_file: Path, token: str) -> None:
    opened = pipeline.open_retained(settings, token, "customs post-clearance audit request 2026-12")
    assert opened.content["buyerIdNumber"] == ERASED["id"]
    heads = [d["head"] for d in opened.content["documents"] if d["docType"] == "import_order"]
    assert {h["buyerName"] for h in heads} == {ERASED["name"]}
    assert any(ERASED["address"] in json.dumps(d["entity"], ensure_ascii=False) for d in opened.content["declarations"])
    with UnitOfWork(settings) as uow:
        opening = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.open")).one()
        assert opening.target == f"erasure:{token}" and "audit request" in opening.detail["reason"]
    original = key_file.read_bytes()
    key_file.write_bytes(Fernet.generate_key())
    try:
        with pytest.raises(CbecError, match="retention key does not open"):
            pipeline.open_retained(settings, token, "with another key")
    finally:
        key_file.write_bytes(original)
    key_file.unlink()
    with pytest.raises(CbecError, match="no retention key"):
        pipeline.open_retained(settings, token, "without the key")
    with UnitOfWork(settings) as uow:
        assert len(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.open")).all()) == 1


def test_an_unknown_buyer_and_a_key_inside_the_data_directory_are_refused(settings, monkeypatch) -> None:
    with pytest.raises(CbecError, match="no import order"):
        pipeline.erase_buyer(settings, OTHER["id"], "request")
    monkeypatch.setenv("CBEC_RETENTION_KEY_FILE", str(settings.data_dir / "retention.key"))
    reset_settings()
    with pytest.raises(CbecError, match="inside the data directory"):
        pipeline.erase_buyer(get_settings(), OTHER["id"], "request")
