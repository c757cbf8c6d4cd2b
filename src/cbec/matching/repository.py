from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from cbec.catalogue import repository as catalogue_repository
from cbec.intake.models import Document
from cbec.kit.chunks import in_chunks
from cbec.matching.models import MatchResult, SkuWait
from cbec.orm import autoflush, expire_loaded, insert_groups, table_of

CHUNK = 500


_ORDER_COLUMNS = (
    Document.id,
    Document.doc_type,
    Document.doc_key,
    Document.seller_code,
    Document.order_no,
    Document.logistics_no,
    Document.is_valid,
    Document.head,
    Document.lines,
)


def orders_named(
    session: Session, doc_types: Sequence[str], order_nos: Sequence[str], seller_code: str | None = None
) -> list[Any]:
    """The current orders of these order numbers (≤ 500 at a time), in id order. Not paged by id
    with a LIMIT: PostgreSQL's generic plan for that shape walked the primary key from the
    first document and filtered by number (0.9 s a call at 180,000 documents, growing with the
    table); looked up by (doc_type, is_current, order_no) they are a few index probes."""
    stmt = select(*_ORDER_COLUMNS).where(
        Document.doc_type.in_(doc_types), Document.is_current.is_(True), Document.order_no.in_(order_nos)
    )
    if seller_code:
        stmt = stmt.where(Document.seller_code == seller_code)
    return sorted(session.execute(stmt).all(), key=lambda r: r.id)


def order_batch(
    session: Session,
    doc_types: Sequence[str],
    *,
    after_id: int,
    limit: int,
    only_unmatched: bool,
    seller_code: str | None = None,
) -> Sequence[Any]:
    """Current orders with id > after_id, in id order (keyset pagination)."""
    stmt = select(*_ORDER_COLUMNS).where(
        Document.doc_type.in_(doc_types), Document.is_current.is_(True), Document.id > after_id
    )
    if seller_code:
        stmt = stmt.where(Document.seller_code == seller_code)
    if only_unmatched:
        stmt = stmt.where(
            ~exists().where(
                and_(
                    MatchResult.order_doc_id == Document.id,
                    MatchResult.is_current.is_(True),
                    MatchResult.state == "matched",
                )
            )
        )
    return session.execute(stmt.order_by(Document.id).limit(limit)).all()


def current_docs_by(session: Session, doc_type: str, column: str, values: Iterable[str]) -> list[Any]:
    """Current documents of a type whose order_no / logistics_no is among ``values``."""
    col = getattr(Document, column)
    vals = sorted({v for v in values if v})
    out: list[Any] = []
    for i in range(0, len(vals), CHUNK):
        out.extend(
            session.execute(
                select(
                    Document.id,
                    Document.order_no,
                    Document.logistics_no,
                    Document.is_valid,
                    Document.head,
                    Document.seller_code,
                )
                .where(Document.doc_type == doc_type, Document.is_current.is_(True), col.in_(vals[i : i + CHUNK]))
                .order_by(Document.id)
            ).all()
        )
    return out


def confirmed_skus(session: Session, seller_codes: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each seller's SKUs whose HS code a declaration may use (the catalogue's one definition)."""
    return catalogue_repository.confirmed_skus(session, seller_codes)


def replace_results(session: Session, order_keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """The orders' current results replaced by ``rows`` (Core statements on the table)."""
    autoflush(session)
    table = table_of(MatchResult)
    replaced: list[int] = []
    for i in range(0, len(order_keys), CHUNK):
        replaced += session.scalars(
            update(table)
            .where(table.c.order_key.in_(order_keys[i : i + CHUNK]), table.c.is_current.is_(True))
            .values(is_current=False)
            .returning(table.c.id)
        ).all()
    expire_loaded(session, MatchResult, replaced, ("is_current",))
    for i in range(0, len(rows), 1000):
        for group in insert_groups(table, rows[i : i + 1000]):
            session.execute(insert(table), group)


def state_counts(session: Session, seller_code: str | None = None) -> list[tuple[str, str, int]]:
    stmt = select(MatchResult.kind, MatchResult.state, func.count()).where(MatchResult.is_current.is_(True))
    if seller_code:
        stmt = stmt.where(MatchResult.seller_code == seller_code)
    return [(k, s, n) for k, s, n in session.execute(stmt.group_by(MatchResult.kind, MatchResult.state))]


def reason_counts(session: Session, seller_code: str | None = None) -> list[tuple[str, str, int]]:
    stmt = select(MatchResult.state, MatchResult.reason, func.count()).where(
        MatchResult.is_current.is_(True), MatchResult.state != "matched"
    )
    if seller_code:
        stmt = stmt.where(MatchResult.seller_code == seller_code)
    return [(s, r, n) for s, r, n in session.execute(stmt.group_by(MatchResult.state, MatchResult.reason))]


def current_for_order(session: Session, order_key: str) -> MatchResult | None:
    return session.scalars(
        select(MatchResult).where(MatchResult.order_key == order_key, MatchResult.is_current.is_(True))
    ).one_or_none()


def current_for_order_doc(session: Session, order_doc_id: int) -> MatchResult | None:
    return session.scalars(
        select(MatchResult)
        .where(MatchResult.order_doc_id == order_doc_id, MatchResult.is_current.is_(True))
        .order_by(MatchResult.id.desc())
        .limit(1)
    ).one_or_none()


def list_results(
    session: Session,
    scope: frozenset[str] | None,
    *,
    state: str | None,
    kind: str | None,
    reason: str | None,
    offset: int,
    limit: int,
) -> tuple[int, Sequence[MatchResult]]:
    conds: list[Any] = [MatchResult.is_current.is_(True)]
    if scope is not None:
        conds.append(MatchResult.seller_code.in_(scope))
    if state:
        conds.append(MatchResult.state == state)
    if kind:
        conds.append(MatchResult.kind == kind)
    if reason:
        conds.append(MatchResult.reason == reason)
    total = session.scalar(select(func.count()).select_from(MatchResult).where(*conds)) or 0
    rows = session.scalars(
        select(MatchResult).where(*conds).order_by(MatchResult.id.desc()).offset(offset).limit(limit)
    ).all()
    return total, rows


def get_result(session: Session, scope: frozenset[str] | None, result_id: int) -> MatchResult | None:
    stmt = select(MatchResult).where(MatchResult.id == result_id)
    if scope is not None:
        stmt = stmt.where(MatchResult.seller_code.in_(scope))
    return session.scalars(stmt).one_or_none()


def replace_waits(session: Session, order_keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """The SKUs each order waits on, replacing what was recorded for these orders."""
    for i in range(0, len(order_keys), CHUNK):
        session.execute(delete(SkuWait).where(SkuWait.order_key.in_(order_keys[i : i + CHUNK])))
    for i in range(0, len(rows), 1000):
        session.execute(insert(table_of(SkuWait)), rows[i : i + 1000])


def waiting_by_sku(session: Session, seller_code: str) -> dict[str, int]:
    stmt = (
        select(SkuWait.sku, func.count(func.distinct(SkuWait.order_key)))
        .where(SkuWait.seller_code == seller_code)
        .group_by(SkuWait.sku)
    )
    return {sku: int(n) for sku, n in session.execute(stmt)}


def orders_waiting(session: Session, seller_code: str) -> int:
    stmt = select(func.count(func.distinct(SkuWait.order_key))).where(SkuWait.seller_code == seller_code)
    return int(session.scalar(stmt) or 0)


def waiting_order_nos(session: Session, seller_code: str, skus: Iterable[str]) -> list[str]:
    found: set[str] = set()
    for chunk in in_chunks(sorted(set(skus))):
        found.update(
            session.scalars(select(SkuWait.order_no).where(SkuWait.seller_code == seller_code, SkuWait.sku.in_(chunk)))
        )
    return sorted(found)


def skus_waited_on(session: Session, order_key: str) -> list[str]:
    return sorted(session.scalars(select(SkuWait.sku).where(SkuWait.order_key == order_key)))


def matched_orders(session: Session, order_nos: Iterable[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(order_key, kind, order head) of the current matched results of these order numbers."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for chunk in in_chunks(sorted(set(order_nos)), CHUNK):
        stmt = (
            select(MatchResult.order_key, MatchResult.kind, Document.head)
            .join(Document, Document.id == MatchResult.order_doc_id)
            .where(MatchResult.is_current.is_(True), MatchResult.state == "matched", Document.order_no.in_(chunk))
        )
        out.extend((k, kind, head) for k, kind, head in session.execute(stmt))
    return out
