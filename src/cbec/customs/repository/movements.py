"""Queries of the physical movements of parcels (CEB507 arrival, 509 departure, 607 master bill,
513 delivery, 711 site entry, 215 returned-parcel tally) and of the lists they move."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from cbec.customs.models import Declaration, DeclarationEvent, DeclarationParcel
from cbec.customs.repository.scope import Scope, scope_filter
from cbec.kit.chunks import in_chunks
from cbec.orm import autoflush, table_of

# --- movements of parcels (507/509/607/513/711/215) ------------------------------------------------


def declaration_by_cop_no(session: Session, message_type: str, cop_no: str) -> Declaration | None:
    return session.scalars(
        select(Declaration).where(Declaration.message_type == message_type, Declaration.cop_no == cop_no)
    ).first()


def insert_parcels(session: Session, declaration_id: int, numbers: Sequence[str]) -> None:
    rows = [{"declaration_id": declaration_id, "logistics_no": n} for n in dict.fromkeys(numbers)]
    if rows:
        autoflush(session)
        session.execute(insert(table_of(DeclarationParcel)), rows)


def parcels_of(session: Session, declaration_id: int) -> list[str]:
    return list(
        session.scalars(
            select(DeclarationParcel.logistics_no).where(DeclarationParcel.declaration_id == declaration_id)
        )
    )


def parcels_of_declarations(session: Session, declaration_ids: Sequence[int]) -> list[str]:
    out: list[str] = []
    for chunk in in_chunks(list(declaration_ids)):
        out += session.scalars(
            select(DeclarationParcel.logistics_no).where(DeclarationParcel.declaration_id.in_(chunk))
        ).all()
    return out


def mark_lists_departed(session: Session, numbers: Sequence[str], at: datetime) -> list[int]:
    """Export lists (CEB603) of these parcels not marked yet: departed at ``at``; their ids."""
    marked: list[int] = []
    for chunk in in_chunks(list(dict.fromkeys(numbers))):
        marked += session.scalars(
            update(Declaration)
            .where(
                Declaration.message_type == "CEB603",
                Declaration.logistics_no.in_(chunk),
                Declaration.departed_at.is_(None),
            )
            .values(departed_at=at)
            .returning(Declaration.id)
            .execution_options(synchronize_session=False)
        ).all()
    return marked


def movements_of(session: Session, numbers: Sequence[str]) -> list[Declaration]:
    found: dict[int, Declaration] = {}
    for chunk in in_chunks(list(dict.fromkeys(numbers))):
        ids = select(DeclarationParcel.declaration_id).where(DeclarationParcel.logistics_no.in_(chunk))
        for d in session.scalars(select(Declaration).where(Declaration.id.in_(ids))):
            found[d.id] = d
    return [found[i] for i in sorted(found)]


def departed_of(session: Session, numbers: Sequence[str]) -> dict[str, datetime]:
    out: dict[str, datetime] = {}
    for chunk in in_chunks(list(dict.fromkeys(numbers))):
        for number, at in session.execute(
            select(Declaration.logistics_no, Declaration.departed_at).where(
                Declaration.message_type == "CEB603",
                Declaration.logistics_no.in_(chunk),
                Declaration.departed_at.is_not(None),
            )
        ):
            if at is not None:
                out[number] = at
    return out


def sellers_of_parcels(session: Session, numbers: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk in in_chunks(list(dict.fromkeys(numbers))):
        for number, seller in session.execute(
            select(Declaration.logistics_no, Declaration.seller_code).where(
                Declaration.message_type.in_(("CEB603", "CEB621")), Declaration.logistics_no.in_(chunk)
            )
        ):
            out[number] = seller
    return out


def released_parcels(
    session: Session, statuses: Sequence[str], *, undeparted: bool, scope: Scope = None
) -> list[tuple[str, str, str, datetime]]:
    """(waybill, seller, destination, first release time) of export lists (CEB603) in these states."""
    released = (
        select(DeclarationEvent.declaration_id, func.min(DeclarationEvent.at).label("at"))
        .where(DeclarationEvent.after.in_(("released", "closed")))
        .group_by(DeclarationEvent.declaration_id)
        .subquery()
    )
    stmt = (
        select(Declaration.logistics_no, Declaration.seller_code, Declaration.country, released.c.at)
        .join(released, released.c.declaration_id == Declaration.id)
        .where(Declaration.message_type == "CEB603", Declaration.status.in_(statuses), Declaration.logistics_no != "")
    )
    if undeparted:
        stmt = stmt.where(Declaration.departed_at.is_(None))
    cond = scope_filter(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    return [(n, s, c, at) for n, s, c, at in session.execute(stmt.order_by(Declaration.id))]


def parcels_moved(session: Session, message_type: str, numbers: Sequence[str]) -> set[str]:
    """Of these parcels, those a movement of this type (not refused) names."""
    found: set[str] = set()
    for chunk in in_chunks(list(dict.fromkeys(numbers))):
        found.update(
            session.scalars(
                select(DeclarationParcel.logistics_no)
                .join(Declaration, Declaration.id == DeclarationParcel.declaration_id)
                .where(
                    Declaration.message_type == message_type,
                    Declaration.status != "rejected",
                    DeclarationParcel.logistics_no.in_(chunk),
                )
            )
        )
    return found
