"""Queries of declarations for the read side (lists, detail pages, the API). Every function takes
the caller's scope: ``None`` for every enterprise, or the enterprise codes it may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from cbec.customs.models import Declaration, DeclarationEvent, OutboxMessage

Scope = frozenset[str] | None


def scope_filter(scope: Scope) -> ColumnElement[bool] | None:
    """A seller sees its declarations; a platform those of orders placed on it."""
    if scope is None:
        return None
    return or_(Declaration.seller_code.in_(scope), Declaration.ebp_code.in_(scope))


@dataclass(frozen=True)
class DeclarationFilter:
    message_type: str | None = None
    status: str | None = None
    direction: str | None = None
    trade_mode: str | None = None
    country: str | None = None
    seller_code: str | None = None
    q: str | None = None  # order, waybill, list or cop number (prefix)
    since: datetime | None = None
    until: datetime | None = None


def list_declarations(
    session: Session, scope: Scope, f: DeclarationFilter, *, offset: int, limit: int
) -> tuple[int, Sequence[Declaration]]:
    conds: list[Any] = []
    cond = scope_filter(scope)
    if cond is not None:
        conds.append(cond)
    for column, value in (
        (Declaration.message_type, f.message_type),
        (Declaration.status, f.status),
        (Declaration.direction, f.direction),
        (Declaration.trade_mode, f.trade_mode),
        (Declaration.country, f.country),
        (Declaration.seller_code, f.seller_code),
    ):
        if value:
            conds.append(column == value)
    if f.q:
        q = f.q.strip()
        conds.append(
            or_(
                Declaration.order_no.startswith(q, autoescape=True),
                Declaration.logistics_no.startswith(q, autoescape=True),
                Declaration.invt_no.startswith(q, autoescape=True),
                Declaration.cop_no.startswith(q, autoescape=True),
            )
        )
    if f.since:
        conds.append(Declaration.created_at >= f.since)
    if f.until:
        conds.append(Declaration.created_at < f.until)
    total = session.scalar(select(func.count()).select_from(Declaration).where(*conds)) or 0
    rows = session.scalars(
        select(Declaration).where(*conds).order_by(Declaration.id.desc()).offset(offset).limit(limit)
    ).all()
    return total, rows


def get_declaration(session: Session, scope: Scope, declaration_id: int) -> Declaration | None:
    stmt = select(Declaration).where(Declaration.id == declaration_id)
    cond = scope_filter(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalars(stmt).one_or_none()


def related(session: Session, scope: Scope, d: Declaration) -> Sequence[Declaration]:
    """The other declarations of the same order (its CEB303/505/311/411/511 and the list)."""
    stmt = select(Declaration).where(
        Declaration.id != d.id,
        or_(
            Declaration.order_doc_id == d.order_doc_id if d.order_doc_id else Declaration.id == -1,
            Declaration.related_id == d.id,
            Declaration.id == (d.related_id or -1),
        ),
    )
    cond = scope_filter(scope)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalars(stmt.order_by(Declaration.id)).all()


def events(session: Session, declaration_id: int) -> Sequence[DeclarationEvent]:
    return session.scalars(
        select(DeclarationEvent).where(DeclarationEvent.declaration_id == declaration_id).order_by(DeclarationEvent.id)
    ).all()


def outbox_message(session: Session, outbox_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, outbox_id)


def sellers_in_message(session: Session, outbox_id: int) -> set[tuple[str, str]]:
    """(seller, platform) of every declaration carried by one message file."""
    return {
        (s, p)
        for s, p in session.execute(
            select(Declaration.seller_code, Declaration.ebp_code).where(Declaration.outbox_id == outbox_id).distinct()
        )
    }


def existing_cop_nos(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (message type, copNo) pairs are declared already."""
    by_type: dict[str, list[str]] = {}
    for message, cop_no in keys:
        by_type.setdefault(message, []).append(cop_no)
    found: set[tuple[str, str]] = set()
    for message, cops in by_type.items():
        for i in range(0, len(cops), 500):
            found.update(
                (message, c)
                for c in session.scalars(
                    select(Declaration.cop_no).where(
                        Declaration.message_type == message, Declaration.cop_no.in_(cops[i : i + 500])
                    )
                )
            )
    return found
