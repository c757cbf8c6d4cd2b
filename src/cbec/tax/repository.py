"""Queries of stored tax assessments and of the buyers' annual ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from cbec.kit.chunks import in_chunks
from cbec.orm import autoflush, insert_groups, table_of
from cbec.tax.models import BuyerLedgerEntry, TaxAssessment


def add_assessment(session: Session, assessment: TaxAssessment) -> TaxAssessment:
    session.add(assessment)
    session.flush()
    return assessment


def add_assessments(session: Session, assessments: list[TaxAssessment]) -> None:
    """Store a selection's assessments with Core inserts (the ORM's flush walked every row and
    column in Python); each object gets its id and stays out of the session (nothing reads it
    back as a stored object). Flushed."""
    table = table_of(TaxAssessment)
    ids = _insert_objects(session, table, assessments, returning=True)
    for a, i in zip(assessments, ids, strict=True):
        a.id = i
    session.flush()


def _insert_objects(session: Session, table: Table, objects: Sequence[Any], *, returning: bool) -> list[int]:
    """The attributes set on these new objects inserted as the ORM's flush inserted them (a None
    leaves the column to its default); their ids in order when ``returning``."""
    autoflush(session)
    columns = {c.key for c in table.c}
    rows = [{k: v for k, v in vars(o).items() if k in columns} for o in objects]
    ids: list[int] = []
    for group in insert_groups(table, rows):
        if returning:
            ids += session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), group).scalars()
        else:
            session.execute(insert(table), group)
    return ids


def get_assessment(session: Session, assessment_id: int) -> TaxAssessment | None:
    return session.get(TaxAssessment, assessment_id)


def latest_assessments(session: Session, seller_code: str, kind: str) -> Sequence[TaxAssessment]:
    """The newest assessment of each reference of the seller: a re-run of a claim replaces it."""
    newest = (
        select(func.max(TaxAssessment.id))
        .where(TaxAssessment.seller_code == seller_code, TaxAssessment.kind == kind)
        .group_by(TaxAssessment.reference)
    )
    return session.scalars(select(TaxAssessment).where(TaxAssessment.id.in_(newest)).order_by(TaxAssessment.id)).all()


def newest_import_assessments(
    session: Session, seller_code: str, order_nos: Sequence[str]
) -> dict[str, tuple[bool, datetime]]:
    """order number → (refused?, when) of the newest import assessment of each of the seller's orders."""
    out: dict[str, tuple[bool, datetime]] = {}
    for part in in_chunks(order_nos):
        rows = session.execute(
            select(TaxAssessment.reference, TaxAssessment.is_refused, TaxAssessment.created_at)
            .where(
                TaxAssessment.kind == "import",
                TaxAssessment.reference.in_(part),
                TaxAssessment.seller_code == seller_code,
            )
            .order_by(TaxAssessment.id)
        )
        for reference, refused, at in rows:
            out[reference] = (refused, at)
    return out


def newest_import_assessment(session: Session, ebp_code: str, order_no: str) -> TaxAssessment | None:
    """The newest assessment of a platform's order that was not refused (the one its ledger
    entry and its tax came from); the platform is the input's ``ebpCode``."""
    rows = session.scalars(
        select(TaxAssessment)
        .where(TaxAssessment.kind == "import", TaxAssessment.reference == order_no, TaxAssessment.is_refused.is_(False))
        .order_by(TaxAssessment.id.desc())
    )
    return next((r for r in rows if r.input.get("ebpCode", r.seller_code) == ebp_code), None)


def return_settlements(session: Session, order_no: str, assessment_id: int) -> int:
    """How many return settlements (``import_return``) already refer to this assessment."""
    rows = session.scalars(
        select(TaxAssessment).where(TaxAssessment.kind == "import_return", TaxAssessment.reference == order_no)
    )
    return sum(1 for r in rows if r.result.get("assessmentId") == assessment_id)


def remove_ledger_entry(session: Session, ebp_code: str, order_no: str) -> None:
    # synchronize_session=False: the assessing paths never load entries as objects, and matching
    # the criteria against every object of the session took ~1 ms an order in a declare
    # selection holding thousands of documents (profiled: 2.4 s of 30 for 1,931 imports)
    session.execute(
        delete(BuyerLedgerEntry)
        .where(BuyerLedgerEntry.ebp_code == ebp_code, BuyerLedgerEntry.order_no == order_no)
        .execution_options(synchronize_session=False)
    )


def replace_ledger_entries(
    session: Session, orders: Sequence[tuple[str, str]], entries: Sequence[BuyerLedgerEntry]
) -> None:
    """Remove the entries of ``orders`` (ebp_code, order_no) and store ``entries`` (each of one
    of those orders, at most one an order): an order re-assessed replaces its entry, one
    refused or not counted loses it. Flushed."""
    by_ebp: dict[str, list[str]] = {}
    for ebp_code, order_no in orders:
        by_ebp.setdefault(ebp_code, []).append(order_no)
    for ebp_code, order_nos in by_ebp.items():
        for part in in_chunks(order_nos):
            session.execute(
                delete(BuyerLedgerEntry)
                .where(BuyerLedgerEntry.ebp_code == ebp_code, BuyerLedgerEntry.order_no.in_(part))
                .execution_options(synchronize_session=False)
            )
    if entries:
        _insert_objects(session, table_of(BuyerLedgerEntry), entries, returning=False)
    session.flush()


def ledgers_of(
    session: Session, id_numbers: Iterable[str], start: date, end: date
) -> dict[str, dict[tuple[str, str], tuple[date, Decimal]]]:
    """The entries of these buyers dated from ``start`` to ``end``: buyer → (ebp_code, order_no)
    → (order date, amount). Summed by the caller in Python: Money is stored in 10⁻⁵ units and a
    database SUM would bypass the type's conversion."""
    out: dict[str, dict[tuple[str, str], tuple[date, Decimal]]] = {}
    for part in in_chunks(id_numbers):
        rows = session.execute(
            select(
                BuyerLedgerEntry.id_number,
                BuyerLedgerEntry.ebp_code,
                BuyerLedgerEntry.order_no,
                BuyerLedgerEntry.order_on,
                BuyerLedgerEntry.amount,
            ).where(
                BuyerLedgerEntry.id_number.in_(part),
                BuyerLedgerEntry.order_on >= start,
                BuyerLedgerEntry.order_on <= end,
            )
        )
        for id_number, ebp_code, order_no, order_on, amount in rows:
            out.setdefault(id_number, {})[(ebp_code, order_no)] = (order_on, amount)
    return out


@dataclass(frozen=True, slots=True)
class LedgerRow:
    order_no: str
    ebp_code: str
    order_on: date
    amount: Decimal
    assessment_id: int


def ledger_entries(session: Session, id_number: str, start: date, end: date) -> list[LedgerRow]:
    stmt = (
        select(BuyerLedgerEntry)
        .where(
            BuyerLedgerEntry.id_number == id_number,
            BuyerLedgerEntry.order_on >= start,
            BuyerLedgerEntry.order_on <= end,
        )
        .order_by(BuyerLedgerEntry.order_on, BuyerLedgerEntry.id)
    )
    return [
        LedgerRow(e.order_no, e.ebp_code, e.order_on, e.amount, e.assessment_id) for e in session.scalars(stmt).all()
    ]


def list_assessments(
    session: Session,
    scope: frozenset[str] | None,
    *,
    kind: str | None,
    reference: str | None,
    offset: int,
    limit: int,
) -> tuple[int, Sequence[TaxAssessment]]:
    conds: list[object] = []
    if scope is not None:
        conds.append(TaxAssessment.seller_code.in_(scope))
    if kind:
        conds.append(TaxAssessment.kind == kind)
    if reference:
        conds.append(TaxAssessment.reference == reference)
    total = session.scalar(select(func.count()).select_from(TaxAssessment).where(*conds)) or 0  # type: ignore[arg-type]
    rows = session.scalars(
        select(TaxAssessment).where(*conds).order_by(TaxAssessment.id.desc()).offset(offset).limit(limit)  # type: ignore[arg-type]
    ).all()
    return total, rows


def assessments_for_order(
    session: Session, seller_code: str, order_no: str, declaration_id: int
) -> Sequence[TaxAssessment]:
    return session.scalars(
        select(TaxAssessment)
        .where(
            TaxAssessment.seller_code == seller_code,
            ((TaxAssessment.kind == "import") & (TaxAssessment.reference == order_no))
            | (TaxAssessment.declaration_id == declaration_id),
        )
        .order_by(TaxAssessment.id.desc())
    ).all()


def lock_buyers(session: Session, id_numbers: Iterable[str]) -> None:
    """Hold the annual ledgers of these buyers until the transaction ends, so that assessments of
    the same buyer run one after the other: each reads the ledger after the one before wrote it,
    and two orders sent at once cannot both pass the annual limit (a check-then-write).

    PostgreSQL: a transaction-scoped advisory lock per buyer, taken in a fixed order (no
    deadlock between two selections). SQLite: its one write lock, taken now (a write statement
    that changes nothing), before the ledger is read."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        for id_number in sorted(set(id_numbers)):
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"buyer-ledger:{id_number}"}
            )
    elif dialect == "sqlite":
        session.execute(text("DELETE FROM buyer_ledger_entry WHERE 0 = 1"))
