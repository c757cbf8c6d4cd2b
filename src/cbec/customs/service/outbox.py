"""Messages into the outbox and out to the transport.

Building and storing go together: the declarations of a batch and the messages that carry them
are stored in the caller's one transaction (the outbox pattern, decision 0003), so either both
exist or neither does. ``send_pending`` hands stored messages to the transport; the file name is
fixed at build time, so a crash between writing the file and recording it writes the same file
again (overwritten in the out folder), never a second message."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.ceb.messages import BaseTransfer, BuiltMessage, Entity, build
from cbec.ceb.signing import Signer
from cbec.customs import repository
from cbec.customs.models import Declaration
from cbec.customs.rules import State
from cbec.customs.schemas import DeclareReport
from cbec.customs.transport import Transport
from cbec.errors import ValidationFailed
from cbec.orm import utcnow
from cbec.partners import service as partners

Built = list[tuple[list[tuple[Declaration, Entity]], BuiltMessage]]
Pending = list[tuple[Declaration, Entity]]

#: the columns of a declaration the builders fill (the rest take their defaults)
_DECLARATION_COLUMNS = (
    "message_type", "direction", "trade_mode", "cop_no", "seller_code", "ebp_code", "order_no", "logistics_no",
    "country", "currency", "total_value", "order_doc_id", "waybill_doc_id", "payment_doc_id", "related_id", "status",
)  # fmt: skip


def plain(value: Any) -> Any:
    """A value as stored in a JSON column: amounts as their exact decimal text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def transfer_for(session: Session, code: str) -> BaseTransfer:
    """The BaseTransfer of the enterprise that transmits (its DXP id, or the placeholder)."""
    e = partners.find_enterprise(session, code)
    return BaseTransfer(
        copCode=code, copName=e.name if e else code, dxpId=(e.dxp_id if e and e.dxp_id else "DXPENT0000000000")
    )


def _entity_faults(
    message: str, chunk: Pending, transfer: BaseTransfer, exc: ValidationFailed, at: datetime
) -> dict[int, Any]:
    """Which entities of a chunk the builder refused: named by the error, else found one by one
    (an XSD or transfer problem names no entity)."""
    at_fault = exc.by_entity or {}
    if at_fault and -1 not in at_fault:
        return at_fault
    found: dict[int, Any] = {}
    for i, (_, e) in enumerate(chunk):
        try:
            build(message, [e], transfer, at=at)
        except ValidationFailed as one:
            found[i] = one.details
    return found


def try_build(
    session: Session, message: str, items: Pending, *, at: datetime, signer: Signer | None, xsd_sample: float = 1.0
) -> tuple[Built, list[tuple[Declaration, ValidationFailed]]]:
    """Build the messages for declarations of one type (≤100 entities each), storing nothing;
    the declarations the builder refuses come back with the reason. ``xsd_sample``: the share of
    the messages also validated against the XSD (``Settings.xsd_check_share``)."""
    out: Built = []
    refused: list[tuple[Declaration, ValidationFailed]] = []
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        transfer = transfer_for(session, chunk[0][0].seller_code)
        try:
            built = build(message, [e for _, e in chunk], transfer, at=at, signer=signer, xsd_sample=xsd_sample)
        except ValidationFailed as exc:
            at_fault = _entity_faults(message, chunk, transfer, exc, at)
            for i, (d, _) in enumerate(chunk):
                if i in at_fault:
                    problems = at_fault[i]
                    refused.append(
                        (
                            d,
                            ValidationFailed(
                                f"{message}: {len(problems)} field problem(s)",
                                f"{message}：{len(problems)} 处字段问题",
                                details=problems,
                            ),
                        )
                    )
            chunk = [(d, e) for i, (d, e) in enumerate(chunk) if i not in at_fault]
            if not chunk:
                continue
            built = build(message, [e for _, e in chunk], transfer, at=at, signer=signer, xsd_sample=xsd_sample)
        position = 0
        for msg in built:
            out.append((chunk[position : position + len(msg.entities)], msg))
            position += len(msg.entities)
    return out, refused


def _declaration_row(d: Declaration, entity: Entity, outbox_id: int, now: datetime) -> dict[str, Any]:
    row = {c: getattr(d, c) for c in _DECLARATION_COLUMNS}
    row.update(
        guid=str(entity.head.get("guid")),
        entity={"head": plain(dict(entity.head)), "lines": plain(list(entity.lines))},
        outbox_id=outbox_id,
        return_info="",
        invt_no="",
        pre_no="",
        created_at=now,
        updated_at=now,
    )
    return row


def store_messages(
    session: Session, message: str, built: Built, report: DeclareReport, *, at: datetime
) -> list[tuple[Declaration, int]]:
    """Store built messages with their declarations and first events, a few statements per
    message (Core inserts: the declarations of a batch are many and never read back here).
    Returns each declaration stored with its id."""
    stored: list[tuple[Declaration, int]] = []
    stamp = at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    now = utcnow()
    for chunk, msg in built:
        outbox_id = repository.insert_outbox_message(
            session,
            message_type=message,
            guid=msg.guid,
            filename=f"{message}_{stamp}_{msg.guid}.xml",
            payload=msg.data,
            entities=len(msg.entities),
            status="pending",
            attempts=0,
            created_at=now,
        )
        report.messages += 1
        rows = [_declaration_row(d, e, outbox_id, now) for (d, _), e in zip(chunk, msg.entities, strict=True)]
        report.declared[message] += len(rows)
        ids = repository.insert_declarations(session, rows)
        stored.extend(zip((d for d, _ in chunk), ids, strict=True))
        repository.insert_events(
            session,
            [
                {"declaration_id": i, "at": now, "before": "", "after": State.QUEUED.value, "source": "declare"}
                for i in ids
            ],
        )
    return stored


def build_messages(
    session: Session, message: str, items: Pending, report: DeclareReport, *, at: datetime, signer: Signer | None = None
) -> list[tuple[Declaration, int]]:
    """Build and store the messages for declarations of one type; each stored with its id."""
    built, refused = try_build(session, message, items, at=at, signer=signer)
    for d, exc in refused:
        report.refused.append({"order": d.order_no, "message": message, **exc.as_dict()})
    return store_messages(session, message, built, report, at=at)


def send_pending(session: Session, transport: Transport, *, limit: int | None = None) -> int:
    """Hand pending outbox messages to the transport; returns how many were sent."""
    sent = 0
    now = utcnow()
    for msg in repository.pending_messages(session, limit):
        transport.send(msg.filename, msg.payload)
        msg.status = "sent"
        msg.attempts += 1
        msg.sent_at = now
        ids = repository.mark_sent(session, msg.id, queued=State.QUEUED.value, sent=State.SENT.value, at=now)
        repository.insert_events(
            session,
            [
                {
                    "declaration_id": i,
                    "at": now,
                    "before": State.QUEUED.value,
                    "after": State.SENT.value,
                    "source": msg.filename,
                }
                for i in ids
            ],
        )
        sent += 1
    session.flush()
    return sent
