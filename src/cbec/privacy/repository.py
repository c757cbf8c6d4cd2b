"""Every query of the erasure: finding one buyer's records across the areas, rewriting their
keys, the encrypted retention records, and compacting the database afterwards.

The lookups by a JSON field (``head.buyerIdNumber``) walk the documents of their type: an
erasure is rare, and an index on a personal value would be one more place holding it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, undefer

from cbec.customs.models import Declaration, OutboxMessage
from cbec.intake.models import Document, InboxItem, IntakeRun
from cbec.kit.chunks import in_chunks
from cbec.privacy.models import RetainedRecord
from cbec.risk.models import RiskHit, RiskTrace
from cbec.tax.models import BuyerLedgerEntry, TaxAssessment

#: the tables whose rows an erasure rewrites (PostgreSQL: VACUUM FULL of each afterwards)
ERASED_TABLES = (
    "document", "inbox_item", "intake_run", "declaration", "outbox_message", "tax_assessment",
    "buyer_ledger_entry", "risk_trace", "risk_hit",
)  # fmt: skip


def secure_delete(session: Session) -> None:
    """SQLite: overwrite freed pages with zeros on this connection, so rewritten values do not
    stay in the file's free pages (https://sqlite.org/pragma.html#pragma_secure_delete)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


def orders_of_buyer(session: Session, id_number: str) -> Sequence[Document]:
    """Every version of every import order whose ``buyerIdNumber`` is ``id_number``."""
    return session.scalars(
        select(Document)
        .where(
            Document.doc_type == "import_order",
            func.upper(func.trim(Document.head["buyerIdNumber"].as_string())) == id_number,
        )
        .order_by(Document.id)
    ).all()


def related_documents(
    session: Session, id_number: str, order_nos: Collection[str], exclude: Collection[int]
) -> list[Document]:
    """The payments and waybills of these orders, and every payment the person paid."""
    found: dict[int, Document] = {}
    for part in in_chunks(sorted(order_nos)):
        for d in session.scalars(
            select(Document).where(
                Document.doc_type.in_(("import_payment", "import_waybill")), Document.order_no.in_(part)
            )
        ):
            found[d.id] = d
    payer = func.upper(func.trim(Document.head["payerIdNumber"].as_string()))
    for d in session.scalars(select(Document).where(Document.doc_type == "import_payment", payer == id_number)):
        found[d.id] = d
    return [d for i, d in sorted(found.items()) if i not in exclude]


def declarations_of_orders(session: Session, order_nos: Collection[str]) -> list[Declaration]:
    """The import declarations of these orders (CEB311/411/511/621) and what refers to them
    (cancellations and returns), entity loaded."""
    found: dict[int, Declaration] = {}
    for part in in_chunks(sorted(order_nos)):
        for d in session.scalars(
            select(Declaration)
            .options(undefer(Declaration.entity))
            .where(Declaration.direction == "import", Declaration.order_no.in_(part))
        ):
            found[d.id] = d
    for part in in_chunks(sorted(found)):
        for d in session.scalars(
            select(Declaration).options(undefer(Declaration.entity)).where(Declaration.related_id.in_(part))
        ):
            found[d.id] = d
    return [found[i] for i in sorted(found)]


def outbox_messages(session: Session, ids: Collection[int]) -> list[OutboxMessage]:
    out: list[OutboxMessage] = []
    for part in in_chunks(sorted(ids)):
        out += session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(part))).all()
    return out


def inbox_items(session: Session, ids: Collection[int]) -> list[InboxItem]:
    out: list[InboxItem] = []
    for part in in_chunks(sorted(ids)):
        out += session.scalars(select(InboxItem).where(InboxItem.id.in_(part))).all()
    return out


def items_with_blob(session: Session, digest: str) -> Sequence[InboxItem]:
    return session.scalars(select(InboxItem).where(InboxItem.sha256 == digest)).all()


def blob_in_use(session: Session, digest: str) -> bool:
    return session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.sha256 == digest)) != 0


def intake_runs(session: Session, inbox_ids: Collection[int]) -> list[IntakeRun]:
    out: list[IntakeRun] = []
    for part in in_chunks(sorted(inbox_ids)):
        out += session.scalars(select(IntakeRun).where(IntakeRun.inbox_id.in_(part))).all()
    return out


def import_assessments(session: Session, order_nos: Collection[str]) -> list[TaxAssessment]:
    out: list[TaxAssessment] = []
    for part in in_chunks(sorted(order_nos)):
        out += session.scalars(
            select(TaxAssessment).where(TaxAssessment.kind == "import", TaxAssessment.reference.in_(part))
        ).all()
    return out


def ledger_rows(session: Session, id_number: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(BuyerLedgerEntry.ebp_code, BuyerLedgerEntry.order_no, BuyerLedgerEntry.order_on, BuyerLedgerEntry.amount)
        .where(BuyerLedgerEntry.id_number == id_number)
        .order_by(BuyerLedgerEntry.id)
    ).all()
    return [{"ebpCode": e, "orderNo": o, "on": on.isoformat(), "amount": format(a, "f")} for e, o, on, a in rows]


def rekey_ledger(session: Session, id_number: str, token: str) -> int:
    """The buyer's ledger entries keep their amounts and dates under ``token`` instead of the ID."""
    result = session.execute(
        update(BuyerLedgerEntry)
        .where(BuyerLedgerEntry.id_number == id_number)
        .values(id_number=token)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def risk_traces(session: Session, buyer_key: str, order_doc_ids: Collection[int]) -> list[RiskTrace]:
    found = {t.id: t for t in session.scalars(select(RiskTrace).where(RiskTrace.buyer_key == buyer_key))}
    for part in in_chunks(sorted(order_doc_ids)):
        found.update((t.id, t) for t in session.scalars(select(RiskTrace).where(RiskTrace.order_doc_id.in_(part))))
    return [found[i] for i in sorted(found)]


def risk_hits(session: Session, order_doc_ids: Collection[int]) -> list[RiskHit]:
    out: list[RiskHit] = []
    for part in in_chunks(sorted(order_doc_ids)):
        out += session.scalars(select(RiskHit).where(RiskHit.order_doc_id.in_(part))).all()
    return out


def add_retained(session: Session, record: RetainedRecord) -> None:
    session.add(record)
    session.flush()


def retained(session: Session, token: str) -> RetainedRecord | None:
    return session.scalars(select(RetainedRecord).where(RetainedRecord.token == token)).first()


def retained_list(session: Session, limit: int) -> Sequence[RetainedRecord]:
    return session.scalars(select(RetainedRecord).order_by(RetainedRecord.id.desc()).limit(limit)).all()


def compact(engine: Engine) -> dict[str, Any]:
    """After an erasure has committed, make the old values leave the database files.

    SQLite: VACUUM rebuilds the file without its free pages, then a TRUNCATE checkpoint copies
    the write-ahead log into the file and empties it (``busy`` 1: a reader held it, run again).
    PostgreSQL: VACUUM FULL rewrites each table the erasure touched; the old row versions stay
    in WAL segments and base backups until those are recycled (docs/privacy.md)."""
    with engine.connect() as plain:
        conn = plain.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA secure_delete=ON"))
            conn.execute(text("VACUUM"))
            busy, log, _done = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
            return {"database": "sqlite", "vacuum": True, "checkpoint_busy": int(busy), "wal_frames": int(log)}
        for table in ERASED_TABLES:
            conn.execute(text(f"VACUUM FULL {table}"))
        return {"database": engine.dialect.name, "vacuum_full": list(ERASED_TABLES)}
