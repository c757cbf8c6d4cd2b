"""Every query of customs: declarations, their events, the outbox and the receipt log. The read
side takes the caller's scope (``None`` for every enterprise, or the enterprise codes it may see);
the write side keeps the batch paths' statements bulk (Core inserts and executemany updates)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session, undefer

from cbec.customs.models import Declaration, DeclarationEvent, OutboxMessage, ReceiptLog
from cbec.customs.repository.movements import (  # the movements of parcels (507/509/607/513/711/215)
    declaration_by_cop_no,
    departed_of,
    insert_parcels,
    mark_lists_departed,
    movements_of,
    parcels_moved,
    parcels_of,
    parcels_of_declarations,
    released_parcels,
    sellers_of_parcels,
)
from cbec.customs.repository.scope import Scope, scope_filter
from cbec.kit.chunks import in_chunks
from cbec.matching.models import MatchResult
from cbec.orm import autoflush, expire_loaded, insert_groups, table_of

_DECLARATION = table_of(Declaration)
_EVENT = table_of(DeclarationEvent)
_RECEIPT_LOG = table_of(ReceiptLog)
# the statements the worker runs for every message and receipt file, built once (their cache key
# is then computed once, not at every execution)
_INSERT_DECLARATIONS = insert(_DECLARATION)
_IDS_BY_GUID = select(_DECLARATION.c.guid, _DECLARATION.c.id).where(
    _DECLARATION.c.guid.in_(bindparam("b_guids", expanding=True))
)
_INSERT_EVENTS = insert(_EVENT)
_INSERT_RECEIPT_LOG = insert(_RECEIPT_LOG)
_UPDATE_BY_ID = update(_DECLARATION).where(_DECLARATION.c.id == bindparam("b_id"))
_MARK_SENT = (
    update(_DECLARATION)
    .where(_DECLARATION.c.outbox_id == bindparam("b_outbox"), _DECLARATION.c.status == bindparam("b_queued"))
    .values(status=bindparam("b_sent"), updated_at=bindparam("b_at", type_=_DECLARATION.c.updated_at.type))
    .returning(_DECLARATION.c.id)
)
_RECEIPT_SEEN = select(func.count()).select_from(_RECEIPT_LOG).where(_RECEIPT_LOG.c.sha256 == bindparam("b_sha256"))
_TARGETS = select(
    _DECLARATION.c.id,
    _DECLARATION.c.guid,
    _DECLARATION.c.status,
    _DECLARATION.c.message_type,
    _DECLARATION.c.related_id,
).where(_DECLARATION.c.guid.in_(bindparam("b_guids", expanding=True)))


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


def lists_of_orders(
    session: Session, keys: set[tuple[str, str]], list_messages: frozenset[str]
) -> dict[tuple[str, str], list[tuple[str, str, str, int]]]:
    """The lists declared for these (ebpCode, orderNo): (copNo, status, invtNo, id) each."""
    found: dict[tuple[str, str], list[tuple[str, str, str, int]]] = {}
    by_platform: dict[str, list[str]] = {}
    for ebp, order_no in keys:
        by_platform.setdefault(ebp, []).append(order_no)
    for ebp, numbers in by_platform.items():
        for chunk in in_chunks(numbers):
            rows = session.execute(
                select(
                    Declaration.order_no, Declaration.cop_no, Declaration.status, Declaration.invt_no, Declaration.id
                )
                .where(
                    Declaration.ebp_code == ebp,
                    Declaration.order_no.in_(chunk),
                    Declaration.message_type.in_(list_messages),
                )
                .order_by(Declaration.id)
            )
            for order_no, cop, status, invt, i in rows:
                found.setdefault((ebp, order_no), []).append((cop, status, invt, i))
    return found


# --- the write side: declaring, sending, receipts -------------------------------------------


def matched_undeclared(
    session: Session, *, after: int, limit: int, seller_code: str | None, order_keys: Collection[str] | None = None
) -> list[MatchResult]:
    """Current matched results after ``after`` whose order has no declaration yet (indexed: the
    batch path calls this after every batch, so it must not rescan what was declared)."""
    stmt = (
        select(MatchResult)
        .where(
            MatchResult.is_current.is_(True),
            MatchResult.state == "matched",
            MatchResult.id > after,
            ~exists().where(Declaration.order_doc_id == MatchResult.order_doc_id),
        )
        .order_by(MatchResult.id)
        .limit(limit)
    )
    if seller_code:
        stmt = stmt.where(MatchResult.seller_code == seller_code)
    if order_keys is not None:  # the orders of one partition's message (docs/decisions/0015)
        stmt = stmt.where(MatchResult.order_key.in_(sorted(order_keys)))
    return list(session.scalars(stmt))


def count_matched_declared(session: Session, seller_code: str | None) -> int:
    """Current matched results whose order is declared already."""
    stmt = (
        select(func.count())
        .select_from(MatchResult)
        .where(
            MatchResult.is_current.is_(True),
            MatchResult.state == "matched",
            exists().where(Declaration.order_doc_id == MatchResult.order_doc_id),
        )
    )
    if seller_code:
        stmt = stmt.where(MatchResult.seller_code == seller_code)
    return int(session.scalar(stmt) or 0)


def declared_orders(session: Session, order_doc_ids: Sequence[int]) -> set[int]:
    """Which of these order documents have a declaration."""
    found: set[int] = set()
    for chunk in in_chunks(order_doc_ids):
        found.update(
            i
            for i in session.scalars(select(Declaration.order_doc_id).where(Declaration.order_doc_id.in_(chunk)))
            if i is not None
        )
    return found


def insert_outbox_message(session: Session, **values: Any) -> int:
    autoflush(session)
    table = table_of(OutboxMessage)
    return int(session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def insert_declarations(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Core insert of many declarations; their ids in the order of ``rows``, read back by guid
    (unique). An INSERT … RETURNING that keeps the rows' order runs one statement a row on SQLite,
    which does not promise RETURNING's order: an executemany and one read cost half (measured)."""
    autoflush(session)
    for group in insert_groups(_DECLARATION, rows):
        session.execute(_INSERT_DECLARATIONS, group)
    ids: dict[str, int] = {}
    for chunk in in_chunks(row["guid"] for row in rows):
        ids.update((guid, i) for guid, i in session.execute(_IDS_BY_GUID, {"b_guids": chunk}).all())
    return [ids[row["guid"]] for row in rows]


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        autoflush(session)
        for group in insert_groups(_EVENT, rows):
            session.execute(_INSERT_EVENTS, group)


def insert_receipt_log(
    session: Session, *, sha256: str, filename: str, message_type: str, outcome: dict[str, Any]
) -> None:
    """Record a receipt file applied (Core: one a file, the flush of an object cost more)."""
    autoflush(session)
    session.execute(
        _INSERT_RECEIPT_LOG, {"sha256": sha256, "filename": filename, "message_type": message_type, "outcome": outcome}
    )


def add(session: Session, obj: Declaration | DeclarationEvent | ReceiptLog) -> None:
    session.add(obj)


def pending_messages(session: Session, limit: int | None) -> Sequence[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


def mark_sent(session: Session, outbox_id: int, *, queued: str, sent: str, at: datetime) -> list[int]:
    """Move the queued declarations a message carries to sent; their ids."""
    autoflush(session)
    ids = list(
        session.execute(_MARK_SENT, {"b_outbox": outbox_id, "b_queued": queued, "b_sent": sent, "b_at": at}).scalars()
    )
    expire_loaded(session, Declaration, ids, ("status", "updated_at"))
    return ids


def receipt_seen(session: Session, sha256: str) -> bool:
    autoflush(session)
    return bool(session.execute(_RECEIPT_SEEN, {"b_sha256": sha256}).scalar())


class ReceiptTarget(Protocol):
    id: int
    status: str
    message_type: str
    related_id: int | None


def targets_by_guid(session: Session, guids: Sequence[str]) -> dict[str, ReceiptTarget]:
    """What a receipt file needs of the declarations it answers, by guid."""
    out: dict[str, ReceiptTarget] = {}
    autoflush(session)  # a list changed by an earlier file of the unit of work is read as changed
    for chunk in in_chunks(guids):
        for row in session.execute(_TARGETS, {"b_guids": chunk}).all():
            out[row.guid] = row
    return out


def target_by_invt_no(session: Session, invt_no: str) -> ReceiptTarget | None:
    return session.execute(
        select(Declaration.id, Declaration.status, Declaration.message_type, Declaration.related_id)
        .where(Declaration.invt_no == invt_no)
        .limit(1)
    ).first()


def update_declarations(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Update by primary key (``id`` in each row): one executemany per set of columns."""
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_shape.setdefault(tuple(sorted(row)), []).append(row)
    if not by_shape:
        return
    autoflush(session)
    for shape, same in by_shape.items():
        session.execute(_UPDATE_BY_ID, [{"b_id" if k == "id" else k: v for k, v in row.items()} for row in same])
        expire_loaded(session, Declaration, [row["id"] for row in same], [k for k in shape if k != "id"])


def import_list_orders(session: Session, list_ids: Sequence[int]) -> list[tuple[str, str, str]]:
    """(ebpCode, seller, orderNo) of these import lists (CEB621)."""
    return [
        (e, s, o)
        for e, s, o in session.execute(
            select(Declaration.ebp_code, Declaration.seller_code, Declaration.order_no).where(
                Declaration.id.in_(list_ids), Declaration.message_type == "CEB621"
            )
        )
    ]


def lists_by_id(session: Session, list_ids: Sequence[int]) -> list[tuple[str, str, str, str]]:
    """(message type, trade mode, copNo, invtNo) of these lists."""
    out: list[tuple[str, str, str, str]] = []
    for part in in_chunks(list_ids):
        out.extend(
            (m, t, c, i or "")
            for m, t, c, i in session.execute(
                select(Declaration.message_type, Declaration.trade_mode, Declaration.cop_no, Declaration.invt_no).where(
                    Declaration.id.in_(part)
                )
            )
        )
    return out


def release_and_return_request(session: Session, list_id: int) -> tuple[DeclarationEvent | None, datetime | None]:
    """The event that first released the list (800 放行, or 899 结关 when no 800 was received) and
    when its newest return request was sent."""
    released = session.scalars(
        select(DeclarationEvent)
        .where(DeclarationEvent.declaration_id == list_id, DeclarationEvent.after.in_(("released", "closed")))
        .order_by(DeclarationEvent.at, DeclarationEvent.id)
        .limit(1)
    ).first()
    requested = session.scalar(
        select(func.max(DeclarationEvent.at)).where(
            DeclarationEvent.declaration_id == list_id, DeclarationEvent.after == "return_requested"
        )
    )
    return released, requested


def lists_by_invt_nos(session: Session, invt_nos: Sequence[str]) -> list[Declaration]:
    return list(session.scalars(select(Declaration).where(Declaration.invt_no.in_(invt_nos)))) if invt_nos else []


def get(session: Session, declaration_id: int) -> Declaration | None:
    return session.get(Declaration, declaration_id)


def list_by_invt_no(session: Session, invt_no: str, message_types: frozenset[str]) -> Declaration | None:
    return session.scalars(
        select(Declaration).where(Declaration.invt_no == invt_no, Declaration.message_type.in_(message_types))
    ).one_or_none()


def status_counts(session: Session, seller_code: str | None) -> list[tuple[str, str, int]]:
    stmt = select(Declaration.message_type, Declaration.status, func.count()).group_by(
        Declaration.message_type, Declaration.status
    )
    if seller_code:
        stmt = stmt.where(Declaration.seller_code == seller_code)
    return [(m, s, n) for m, s, n in session.execute(stmt)]


def summarisable_lists(session: Session, statuses: Sequence[str], seller_code: str | None) -> Sequence[Declaration]:
    """Released 9610 export lists with a list number and no summary yet, their entity loaded."""
    stmt = (
        select(Declaration)
        .options(undefer(Declaration.entity))
        .where(
            Declaration.message_type == "CEB603",
            Declaration.trade_mode == "9610",
            Declaration.status.in_(statuses),
            Declaration.summary_id.is_(None),
            Declaration.invt_no != "",
            Declaration.departed_at.is_not(None),  # exported only after departure (rules.EXPORTED_ONLY_AFTER_DEPARTURE)
        )
    )
    if seller_code:
        stmt = stmt.where(Declaration.seller_code == seller_code)
    return session.scalars(stmt).all()


def by_reference(session: Session, ref: str, scope: Scope = None) -> Sequence[Declaration]:
    """Declarations named by list number, order number, copNo or id, in the scope."""
    cond = (Declaration.invt_no == ref) | (Declaration.order_no == ref) | (Declaration.cop_no == ref)
    if ref.isdigit():
        cond = cond | (Declaration.id == int(ref))
    stmt = select(Declaration).where(cond)
    seen = scope_filter(scope)
    if seen is not None:
        stmt = stmt.where(seen)
    return session.scalars(stmt.order_by(Declaration.id)).all()


def count_lists_not_in(session: Session, message_type: str, statuses: Sequence[str]) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Declaration)
            .where(Declaration.message_type == message_type, Declaration.status.not_in(statuses))
        )
        or 0
    )


def count_messages(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def count_receipts(session: Session, message_type: str) -> int:
    return int(
        session.scalar(select(func.count()).select_from(ReceiptLog).where(ReceiptLog.message_type == message_type)) or 0
    )


def export_lists(
    session: Session, seller_code: str, statuses: Sequence[str]
) -> list[tuple[int, str, str, str, str, str, Any, str, datetime | None]]:
    """The seller's export lists (CEB603) in these states with the first time each was released:
    (id, ebpCode, orderNo, invtNo, status, tradeMode, goods value, currency, released at)."""
    released = (
        select(DeclarationEvent.declaration_id, func.min(DeclarationEvent.at).label("at"))
        .where(DeclarationEvent.after == "released")
        .group_by(DeclarationEvent.declaration_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Declaration.id,
            Declaration.ebp_code,
            Declaration.order_no,
            Declaration.invt_no,
            Declaration.status,
            Declaration.trade_mode,
            Declaration.total_value,
            Declaration.currency,
            released.c.at,
        )
        .outerjoin(released, released.c.declaration_id == Declaration.id)
        .where(
            Declaration.message_type == "CEB603",
            Declaration.seller_code == seller_code,
            Declaration.status.in_(statuses),
        )
        .order_by(Declaration.id)
    )
    return [tuple(r) for r in rows]


def released_export_entities(
    session: Session, statuses: Sequence[str], departure_modes: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The stored entities of export lists (CEB603) in these states (of the ``departure_modes``
    trade modes, only the lists that have departed)."""
    return list(
        session.scalars(
            select(Declaration.entity).where(
                Declaration.message_type == "CEB603",
                Declaration.status.in_(statuses),
                or_(Declaration.trade_mode.not_in(departure_modes), Declaration.departed_at.is_not(None)),
            )
        )
    )


def event_facts(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """What partners are told of these declarations (webhooks): who, which order, which numbers."""
    out: dict[int, Any] = {}
    for chunk in in_chunks(ids):
        for row in session.execute(
            select(
                Declaration.id, Declaration.seller_code, Declaration.ebp_code, Declaration.order_no,
                Declaration.logistics_no, Declaration.message_type, Declaration.cop_no, Declaration.invt_no,
            ).where(Declaration.id.in_(chunk))
        ):  # fmt: skip
            out[row.id] = row
    return out


__all__ = [  # the queries of the movements, used as repository.<name> by the services
    "Scope",
    "declaration_by_cop_no",
    "departed_of",
    "insert_parcels",
    "mark_lists_departed",
    "movements_of",
    "parcels_moved",
    "parcels_of",
    "parcels_of_declarations",
    "released_parcels",
    "scope_filter",
    "sellers_of_parcels",
]
