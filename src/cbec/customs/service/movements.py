"""The physical movements of parcels declared to customs (运抵 507, 离境 509, 清单总分单 607,
签收 513, 入库 711, 退运理货 215), and what a departure means for the export lists it carries.

The logistics area calls these with a typed ``Movement``; customs makes and stores the message
with its declaration (the outbox, as for every declaration) and remembers the parcels it names.
A movement whose copNo was declared before is found, not sent again.

Departure rule: a 9610 export list counts as exported — taken into the summary declaration
(CEB701) and the export refund — only after customs accepted a departure (CEB509) naming its
parcel (``departed_at``, set on the departure's receipt by ``mark_departed``): 海关总署公告2018年
第194号 (清单核放、汇总申报: what is summarised are the lists of goods that have 结关, i.e. left the
country) and 财税〔2013〕96号 (refund on the 出口报关单 the summary yields, whose export date is the
departure). [uncertain: RULES.md quotes 194号 from memory; the replaceable place is
``customs.rules.EXPORTED_ONLY_AFTER_DEPARTURE``.]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cbec.ceb.signing import Signer
from cbec.customs import builders, repository
from cbec.customs.models import Declaration
from cbec.customs.movements import movement_entity
from cbec.customs.rules import State
from cbec.customs.schemas import (
    MOVEMENT_MESSAGES,
    DeclareReport,
    Movement,
    MovementRead,
    ParcelMovementRead,
    ReleasedParcel,
    TimelineEventRead,
)
from cbec.customs.service import announce
from cbec.customs.service.outbox import build_messages
from cbec.errors import InvalidInput, ValidationFailed

IMPORT_SIDE = frozenset({"CEB513", "CEB711"})


def _read(d: Declaration, parcels: int, *, created: bool) -> MovementRead:
    return MovementRead(
        id=d.id, message_type=d.message_type, cop_no=d.cop_no, status=d.status, parcels=parcels,
        created=created, return_info=d.return_info or "",
    )  # fmt: skip


def declare_movement(
    session: Session, m: Movement, *, at: datetime | None = None, signer: Signer | None = None
) -> MovementRead:
    """Declare one movement (its message into the outbox); the same copNo again returns the first."""
    if m.message not in MOVEMENT_MESSAGES:
        raise InvalidInput(
            f"{m.message} is not a movement message ({', '.join(MOVEMENT_MESSAGES)})",
            f"{m.message} 不是物流作业报文（{'、'.join(MOVEMENT_MESSAGES)}）",
            field="message",
        )
    if not m.parcels:
        raise InvalidInput("a movement names at least one parcel", "物流作业须至少列出一个运单", field="parcels")
    found = repository.declaration_by_cop_no(session, m.message, m.cop_no)
    if found is not None:
        return _read(found, len(repository.parcels_of(session, found.id)), created=False)
    d = Declaration(
        message_type=m.message,
        direction="import" if m.message in IMPORT_SIDE else "export",
        trade_mode="",
        cop_no=m.cop_no,
        guid="",
        seller_code=m.logistics_code,
        logistics_no=m.parcels[0] if len(m.parcels) == 1 else "",
        entity={},
        status=State.QUEUED.value,
    )
    report = DeclareReport()
    stored = build_messages(
        session, m.message, [(d, movement_entity(m))], report, at=at or datetime.now(UTC), signer=signer
    )
    if not stored:
        problems = report.refused[0].get("details", []) if report.refused else []
        raise ValidationFailed(
            f"{m.message} {m.cop_no}: the message is not valid against the XSD",
            f"{m.message} {m.cop_no}：报文未通过 XSD 校验",
            details=problems,
        )
    _, declaration_id = stored[0]
    repository.insert_parcels(session, declaration_id, m.parcels)
    row = repository.get(session, declaration_id)
    assert row is not None
    return _read(row, len(m.parcels), created=True)


def mark_departed(session: Session, departure_ids: Sequence[int], at: datetime) -> int:
    """Customs accepted these departures: the export lists of their parcels have left (the
    first acceptance counts). Returns how many lists were marked."""
    numbers = repository.parcels_of_declarations(session, departure_ids)
    marked = repository.mark_lists_departed(session, numbers, at)
    announce.departed(session, marked, at)
    return len(marked)


def movements_of_parcels(session: Session, numbers: Sequence[str]) -> list[ParcelMovementRead]:
    """Every movement declared for these parcels, oldest first, with customs' answers."""
    out = []
    for d in repository.movements_of(session, numbers):
        out.append(
            ParcelMovementRead(
                declaration_id=d.id,
                message_type=d.message_type,
                cop_no=d.cop_no,
                status=d.status,
                return_info=d.return_info or "",
                at=d.created_at,
                events=[
                    TimelineEventRead(
                        at=e.at.isoformat(),
                        before=e.before,
                        after=e.after,
                        return_status=e.return_status,
                        return_info=e.return_info,
                        source=e.source,
                    )
                    for e in repository.events(session, d.id)
                ],
            )
        )
    return out


def departed_lists(session: Session, numbers: Sequence[str]) -> dict[str, datetime]:
    """Of these parcels, those whose export list has departed, with when."""
    return repository.departed_of(session, numbers)


def sellers_of_parcels(session: Session, numbers: Sequence[str]) -> dict[str, str]:
    """The seller of the list of each of these parcels (waybill → seller), where one was declared."""
    return repository.sellers_of_parcels(session, numbers)


#: the states of an export list whose goods customs let go
_RELEASED = (State.RELEASED.value, State.CONCLUDED.value, State.CLOSED.value)


def released_parcels(
    session: Session, *, undeparted: bool = False, scope: frozenset[str] | None = None
) -> list[ReleasedParcel]:
    """The parcels of released export lists (``undeparted``: only those not departed yet)."""
    return [
        ReleasedParcel(n, s, c, at)
        for n, s, c, at in repository.released_parcels(session, _RELEASED, undeparted=undeparted, scope=scope)
    ]


def zone_customs_code() -> str:
    """The zone's declaring customs office (customs/data/declaration_profile.json)."""
    return builders.default_profile().customs_code


def parcels_moved(session: Session, message_type: str, numbers: Sequence[str]) -> set[str]:
    """Of these parcels, those already in a movement of this type that customs did not refuse."""
    return repository.parcels_moved(session, message_type, numbers)
