"""Every query of the warehouse area."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from cbec.kit.chunks import in_chunks
from cbec.orm import utcnow
from cbec.warehouse.models import BondedEntry, ExpectedInbound, StockMovement, Warehouse


def warehouse(session: Session, code: str) -> Warehouse | None:
    return session.scalars(select(Warehouse).where(Warehouse.code == code)).first()


def add_warehouse(session: Session, **values: Any) -> Warehouse:
    w = Warehouse(**values)
    session.add(w)
    session.flush()
    return w


def warehouses(session: Session, operator: str | None = None, codes: Iterable[str] | None = None) -> list[Warehouse]:
    stmt = select(Warehouse).order_by(Warehouse.code)
    if operator is not None:
        stmt = stmt.where(Warehouse.operator_code == operator)
    if codes is not None:
        wanted = list(codes)
        return [w for part in in_chunks(wanted) for w in session.scalars(stmt.where(Warehouse.code.in_(part)))]
    return list(session.scalars(stmt))


def existing_keys(session: Session, seller: str, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in in_chunks(list(keys)):
        found.update(
            session.scalars(
                select(StockMovement.key).where(StockMovement.seller_code == seller, StockMovement.key.in_(part))
            )
        )
    return found


_MOVEMENT_TABLE = cast(Table, StockMovement.__table__)


def insert_movements(session: Session, rows: list[dict[str, Any]]) -> None:
    """Through the table, not the ORM's bulk path: a ledger may bring a million rows."""
    if not rows:
        return
    now = utcnow()
    for start in range(0, len(rows), 5000):
        session.execute(insert(_MOVEMENT_TABLE), [{**r, "received_at": now} for r in rows[start : start + 5000]])


MovementRow = tuple[str, str, str, int, date, str, str, str, int | None]


def movements_of(session: Session, seller: str, *, until: date | None = None) -> Iterator[MovementRow]:
    """(warehouse, sku, kind, quantity, day, reference, list_no, to_warehouse, row) in the order
    they apply: by day, then as received (a day's events in file order)."""
    stmt = select(
        StockMovement.warehouse, StockMovement.sku, StockMovement.kind, StockMovement.quantity, StockMovement.day,
        StockMovement.reference, StockMovement.list_no, StockMovement.to_warehouse, StockMovement.row,
    ).where(StockMovement.seller_code == seller)  # fmt: skip
    if until is not None:
        stmt = stmt.where(StockMovement.day <= until)
    for r in session.execute(stmt.order_by(StockMovement.day, StockMovement.id)).yield_per(20_000):
        yield (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])


def receipts_of(session: Session, seller: str) -> list[tuple[str, str, int, date, str, str]]:
    """(warehouse, sku, quantity, day, reference, list_no) of the seller's inbound movements."""
    return [
        (r[0], r[1], r[2], r[3], r[4], r[5])
        for r in session.execute(
            select(
                StockMovement.warehouse, StockMovement.sku, StockMovement.quantity, StockMovement.day,
                StockMovement.reference, StockMovement.list_no,
            )
            .where(StockMovement.seller_code == seller, StockMovement.kind == "inbound")
            .order_by(StockMovement.day, StockMovement.id)
        )
    ]  # fmt: skip


def expected_keys(session: Session, seller: str, list_nos: Sequence[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for part in in_chunks(list(list_nos)):
        found.update(
            (a, b)
            for a, b in session.execute(
                select(ExpectedInbound.list_no, ExpectedInbound.sku).where(
                    ExpectedInbound.seller_code == seller, ExpectedInbound.list_no.in_(part)
                )
            )
        )
    return found


def insert_expected(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(ExpectedInbound), rows)


def set_invt_no(session: Session, list_no: str, invt_no: str) -> None:
    session.execute(update(ExpectedInbound).where(ExpectedInbound.list_no == list_no).values(invt_no=invt_no))


def expected_of(session: Session, seller: str) -> Sequence[ExpectedInbound]:
    return session.scalars(
        select(ExpectedInbound).where(ExpectedInbound.seller_code == seller).order_by(ExpectedInbound.id)
    ).all()


def book_totals(
    session: Session, ems_no: str, seller: str | None, skus: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """sku → {inbound, reserved, outbound} units of one account book (one seller's, or all)."""
    stmt = select(BondedEntry.sku, BondedEntry.kind, func.sum(BondedEntry.quantity)).where(BondedEntry.ems_no == ems_no)
    if seller is not None:
        stmt = stmt.where(BondedEntry.seller_code == seller)
    out: dict[str, dict[str, int]] = {}
    parts: Iterable[list[str] | None] = in_chunks(list(skus)) if skus is not None else [None]
    for part in parts:
        chosen = stmt if part is None else stmt.where(BondedEntry.sku.in_(part))
        for sku, kind, units in session.execute(chosen.group_by(BondedEntry.sku, BondedEntry.kind)):
            out.setdefault(sku, {})[kind] = int(units or 0)
    return out


def lock_book(session: Session, ems_no: str) -> None:
    """Serialise draws on one book (PostgreSQL: a transaction-scoped advisory lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"bonded:{ems_no}"))))


def book_entry_keys(
    session: Session, ems_no: str, seller: str, kind: str, references: Sequence[str]
) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for part in in_chunks(list(references)):
        found.update(
            (a, b)
            for a, b in session.execute(
                select(BondedEntry.reference, BondedEntry.sku).where(
                    BondedEntry.ems_no == ems_no, BondedEntry.seller_code == seller, BondedEntry.kind == kind,
                    BondedEntry.reference.in_(part),
                )
            )
        )  # fmt: skip
    return found


def insert_book_entries(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(BondedEntry), rows)


def settle_reserved(session: Session, cop_nos: Sequence[str]) -> int:
    """The reservations of these lists become outbound (customs released them)."""
    done = 0
    for part in in_chunks(list(cop_nos)):
        result = session.execute(
            update(BondedEntry)
            .where(BondedEntry.kind == "reserved", BondedEntry.reference.in_(part))
            .values(kind="outbound")
        )
        done += int(getattr(result, "rowcount", 0) or 0)
    return done


def drop_reserved(session: Session, cop_nos: Sequence[str]) -> int:
    """The reservations of these lists are void (refused before sending, rejected, cancelled)."""
    done = 0
    for part in in_chunks(list(cop_nos)):
        result = session.execute(
            delete(BondedEntry).where(BondedEntry.kind == "reserved", BondedEntry.reference.in_(part))
        )
        done += int(getattr(result, "rowcount", 0) or 0)
    return done


def outbound_of(session: Session, cop_nos: Sequence[str]) -> list[tuple[str, str, str, str, int]]:
    """(book, seller, copNo, sku, units): what released lists took out of their books."""
    out: list[tuple[str, str, str, str, int]] = []
    for part in in_chunks(list(cop_nos)):
        out.extend(
            (r[0], r[1], r[2], r[3], r[4])
            for r in session.execute(
                select(BondedEntry.ems_no, BondedEntry.seller_code, BondedEntry.reference, BondedEntry.sku,
                       BondedEntry.quantity)
                .where(BondedEntry.kind == "outbound", BondedEntry.reference.in_(part))
            )
        )  # fmt: skip
    return out
