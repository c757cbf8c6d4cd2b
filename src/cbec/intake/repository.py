"""Queries over the inbox and the documents. Batch paths use Core on chunks of rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from cbec.intake.models import Document, InboxItem, IntakeRun
from cbec.kit.chunks import in_chunks
from cbec.orm import autoflush, expire_loaded, insert_groups, table_of

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


def current_by_keys(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int, str, str]]:
    """(doc_type, doc_key) → (id, version, content_sha256, seller_code) of the current version."""
    by_type: dict[str, list[str]] = {}
    for t, k in keys:
        by_type.setdefault(t, []).append(k)
    found: dict[tuple[str, str], tuple[int, int, str, str]] = {}
    for doc_type, doc_keys in by_type.items():
        for i in range(0, len(doc_keys), CHUNK):
            chunk = doc_keys[i : i + CHUNK]
            rows = session.execute(
                select(
                    Document.doc_type,
                    Document.doc_key,
                    Document.id,
                    Document.version,
                    Document.content_sha256,
                    Document.seller_code,
                ).where(Document.doc_type == doc_type, Document.is_current.is_(True), Document.doc_key.in_(chunk))
            )
            for t, k, id_, v, h, seller in rows:
                found[(t, k)] = (id_, v, h, seller)
    return found


def supersede(session: Session, ids: Sequence[int]) -> None:
    """These documents are current no more (their objects loaded in the session read it again)."""
    if not ids:
        return
    autoflush(session)
    table = table_of(Document)
    for i in range(0, len(ids), CHUNK):
        session.execute(update(table).where(table.c.id.in_(ids[i : i + CHUNK])).values(is_current=False))
    expire_loaded(session, Document, ids, ("is_current",))


def insert_documents(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    autoflush(session)
    table = table_of(Document)
    for i in range(0, len(rows), CHUNK * 2):
        for group in insert_groups(table, rows[i : i + CHUNK * 2]):
            session.execute(insert(table), group)


def history(session: Session, doc_type: str, doc_key: str) -> Sequence[Document]:
    return session.scalars(
        select(Document).where(Document.doc_type == doc_type, Document.doc_key == doc_key).order_by(Document.version)
    ).all()


def current_heads(session: Session, doc_type: str, seller_code: str) -> list[tuple[str, dict[str, Any], int]]:
    rows = session.execute(
        select(Document.order_no, Document.head, Document.line_count)
        .where(Document.doc_type == doc_type, Document.is_current.is_(True), Document.seller_code == seller_code)
        .order_by(Document.id)
    ).all()
    return [(r.order_no, r.head, r.line_count) for r in rows]


def value_by_country(session: Session, doc_type: str) -> list[tuple[str, int, Any]]:
    total = func.sum(Document.goods_value)
    return [
        (c, n, v)
        for c, n, v in session.execute(
            select(Document.country, func.count(), total)
            .where(Document.doc_type == doc_type, Document.is_current.is_(True))
            .group_by(Document.country)
            .order_by(total.desc())
        )
    ]


def documents_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Document]:
    out: dict[int, Document] = {}
    for chunk in in_chunks(ids):
        out.update((d.id, d) for d in session.scalars(select(Document).where(Document.id.in_(chunk))))
    return out


def current_version_of(session: Session, doc_id: int) -> Document | None:
    """The current version of the document ``doc_id`` is a version of (itself if current)."""
    d = session.get(Document, doc_id)
    if d is None or d.is_current:
        return d
    return session.scalars(
        select(Document).where(
            Document.doc_type == d.doc_type, Document.doc_key == d.doc_key, Document.is_current.is_(True)
        )
    ).first()


def get_document(session: Session, doc_id: int) -> Document | None:
    return session.get(Document, doc_id)


def counts_by_type(session: Session, seller_code: str | None = None) -> list[tuple[str, bool, int]]:
    stmt = select(Document.doc_type, Document.is_valid, func.count()).where(Document.is_current.is_(True))
    if seller_code:
        stmt = stmt.where(Document.seller_code == seller_code)
    return [(t, bool(v), n) for t, v, n in session.execute(stmt.group_by(Document.doc_type, Document.is_valid))]


def inbox_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(InboxItem)) or 0


#: the party a document's key names first: the platform of an order, receipt or cancellation,
#: the logistics company of a waybill, the payment company of a payment (documents.KEY_FIELDS)
PARTY_KEY_FIELDS = ("ebpCode", "logisticsCode", "payCode")


def document_scope(scope: frozenset[str] | None) -> Any:
    """A document is seen by its seller, by the enterprise that sent it, and by the party its key
    names (a platform sees its orders across its sellers, a logistics company its waybills, a
    payment company its payments), whoever submitted them."""
    if scope is None:
        return None
    party = [
        Document.doc_key.startswith(f"{f}={code}|", autoescape=True) for code in sorted(scope) for f in PARTY_KEY_FIELDS
    ]
    return or_(Document.seller_code.in_(scope), Document.sender_code.in_(scope), *party)


def list_documents(
    session: Session,
    scope: frozenset[str] | None,
    *,
    doc_type: str | None,
    is_valid: bool | None,
    q: str | None,
    current_only: bool,
    offset: int,
    limit: int,
) -> tuple[int, Sequence[Document]]:
    conds: list[Any] = []
    cond = document_scope(scope)
    if cond is not None:
        conds.append(cond)
    if doc_type:
        conds.append(Document.doc_type == doc_type)
    if is_valid is not None:
        conds.append(Document.is_valid.is_(is_valid))
    if current_only:
        conds.append(Document.is_current.is_(True))
    if q:
        conds.append(
            or_(
                Document.order_no.startswith(q.strip(), autoescape=True),
                Document.logistics_no.startswith(q.strip(), autoescape=True),
                Document.doc_key.startswith(q.strip(), autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(Document).where(*conds)) or 0
    rows = session.scalars(
        select(Document).where(*conds).order_by(Document.id.desc()).offset(offset).limit(limit)
    ).all()
    return total, rows


def get_scoped_document(session: Session, scope: frozenset[str] | None, doc_id: int) -> Document | None:
    stmt = select(Document).where(Document.id == doc_id)
    cond = document_scope(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalars(stmt).one_or_none()


def get_inbox_item(session: Session, scope: frozenset[str] | None, inbox_id: int) -> InboxItem | None:
    stmt = select(InboxItem).where(InboxItem.id == inbox_id)
    if scope is not None:
        stmt = stmt.where(or_(InboxItem.seller_code.in_(scope), InboxItem.sender_code.in_(scope)))
    return session.scalars(stmt).one_or_none()


def last_run(session: Session, inbox_id: int) -> IntakeRun | None:
    return session.scalars(
        select(IntakeRun).where(IntakeRun.inbox_id == inbox_id).order_by(IntakeRun.id.desc()).limit(1)
    ).one_or_none()


def documents_by_number(session: Session, scope: frozenset[str] | None, number: str) -> Sequence[Document]:
    """Every version of the documents whose order or waybill number is ``number``, in the scope."""
    conds: list[Any] = [or_(Document.order_no == number, Document.logistics_no == number)]
    cond = document_scope(scope)
    if cond is not None:
        conds.append(cond)
    return session.scalars(select(Document).where(*conds).order_by(Document.received_at, Document.id)).all()


def documents_by_order_nos(
    session: Session, scope: frozenset[str] | None, order_nos: Sequence[str]
) -> Sequence[Document]:
    """Every version of the documents of these orders (orders, waybills, payments), in the scope."""
    conds: list[Any] = [Document.order_no.in_(list(order_nos))]
    cond = document_scope(scope)
    if cond is not None:
        conds.append(cond)
    return session.scalars(select(Document).where(*conds).order_by(Document.received_at, Document.id)).all()


def list_inbox_items(
    session: Session, scope: frozenset[str] | None, *, offset: int, limit: int
) -> tuple[int, Sequence[InboxItem]]:
    """A page of submissions, newest first, in the scope (the seller's, or the sender's own)."""
    conds: list[Any] = []
    if scope is not None:
        conds.append(or_(InboxItem.seller_code.in_(scope), InboxItem.sender_code.in_(scope)))
    total = session.scalar(select(func.count()).select_from(InboxItem).where(*conds)) or 0
    rows = session.scalars(
        select(InboxItem).where(*conds).order_by(InboxItem.id.desc()).offset(offset).limit(limit)
    ).all()
    return total, rows


def last_runs(session: Session, inbox_ids: Sequence[int]) -> dict[int, IntakeRun]:
    """The latest intake run of each submission."""
    out: dict[int, IntakeRun] = {}
    if not inbox_ids:
        return out
    for run in session.scalars(select(IntakeRun).where(IntakeRun.inbox_id.in_(list(inbox_ids))).order_by(IntakeRun.id)):
        out[run.inbox_id] = run
    return out


def invalid_documents_of(session: Session, inbox_id: int) -> Sequence[Document]:
    """The documents a submission stored that failed their checks, in file order."""
    return session.scalars(
        select(Document).where(Document.inbox_id == inbox_id, Document.is_valid.is_(False)).order_by(Document.id)
    ).all()
