"""Queries over the inbox and the documents. Batch paths use Core on chunks of rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from cbec.intake.models import Document, InboxItem, IntakeRun

CHUNK = 500


def add_inbox_item(session: Session, **values: Any) -> InboxItem:
    item = InboxItem(**values)
    session.add(item)
    session.flush()
    return item


def add_intake_run(session: Session, **values: Any) -> IntakeRun:
    run = IntakeRun(**values)
    session.add(run)
    session.flush()
    return run


def current_by_keys(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int, str]]:
    """(doc_type, doc_key) → (id, version, content_sha256) of the current version."""
    by_type: dict[str, list[str]] = {}
    for t, k in keys:
        by_type.setdefault(t, []).append(k)
    found: dict[tuple[str, str], tuple[int, int, str]] = {}
    for doc_type, doc_keys in by_type.items():
        for i in range(0, len(doc_keys), CHUNK):
            chunk = doc_keys[i : i + CHUNK]
            rows = session.execute(
                select(
                    Document.doc_type, Document.doc_key, Document.id, Document.version, Document.content_sha256
                ).where(Document.doc_type == doc_type, Document.is_current.is_(True), Document.doc_key.in_(chunk))
            )
            for t, k, id_, v, h in rows:
                found[(t, k)] = (id_, v, h)
    return found


def supersede(session: Session, ids: Sequence[int]) -> None:
    for i in range(0, len(ids), CHUNK):
        session.execute(update(Document).where(Document.id.in_(ids[i : i + CHUNK])).values(is_current=False))


def insert_documents(session: Session, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK * 2):
        session.execute(insert(Document), rows[i : i + CHUNK * 2])


def history(session: Session, doc_type: str, doc_key: str) -> Sequence[Document]:
    return session.scalars(
        select(Document).where(Document.doc_type == doc_type, Document.doc_key == doc_key).order_by(Document.version)
    ).all()


def get_document(session: Session, doc_id: int) -> Document | None:
    return session.get(Document, doc_id)


def counts_by_type(session: Session, seller_code: str | None = None) -> list[tuple[str, bool, int]]:
    stmt = select(Document.doc_type, Document.is_valid, func.count()).where(Document.is_current.is_(True))
    if seller_code:
        stmt = stmt.where(Document.seller_code == seller_code)
    return [(t, bool(v), n) for t, v, n in session.execute(stmt.group_by(Document.doc_type, Document.is_valid))]


def inbox_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(InboxItem)) or 0
