"""Requests about a declared list: cancellation (撤销, CEB605 export / CEB623 import) and return
(退货, CEB213 export / CEB625 import). The list waits for customs' answer in a requested state;
the receipt settles it (``receipts``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.ceb.messages import Entity
from cbec.ceb.signing import Signer
from cbec.customs import builders, repository
from cbec.customs.models import Declaration, DeclarationEvent
from cbec.customs.rules import CANCELLABLE, LIST_MESSAGES, RETURNABLE, State
from cbec.customs.schemas import DeclareReport
from cbec.customs.service.outbox import build_messages
from cbec.errors import NotFound, RuleViolation, ValidationFailed
from cbec.orm import utcnow


def _list_by_invt_no(session: Session, invt_no: str) -> Declaration:
    d = repository.list_by_invt_no(session, invt_no, LIST_MESSAGES)
    if d is None:
        raise NotFound(
            f"no declared list with invtNo {invt_no}", f"没有清单编号为 {invt_no} 的申报清单", field="invtNo"
        )
    return d


def _request(
    session: Session,
    target: Declaration,
    message: str,
    entity: Entity,
    new_state: State,
    at: datetime,
    signer: Signer | None = None,
) -> DeclareReport:
    report = DeclareReport(orders=1)
    request = Declaration(
        message_type=message,
        direction=target.direction,
        trade_mode=target.trade_mode,
        cop_no=f"{target.cop_no[:27]}-{message[-3:]}",
        guid="",
        seller_code=target.seller_code,
        ebp_code=target.ebp_code,
        order_no=target.order_no,
        logistics_no=target.logistics_no,
        country=target.country,
        currency=target.currency,
        related_id=target.id,
        entity={},
        status=State.QUEUED.value,
    )
    build_messages(session, message, [(request, entity)], report, at=at, signer=signer)
    if report.refused:
        first = report.refused[0]
        raise ValidationFailed(
            first.get("message_en", "refused"), first.get("message_zh", ""), document=f"{message} {target.invt_no}"
        )
    repository.add(
        session,
        DeclarationEvent(
            declaration_id=target.id, before=target.status, after=new_state.value, source=f"{message} requested"
        ),
    )
    target.status = new_state.value
    audit.record(
        session,
        f"declaration.{message}",
        f"list:{target.invt_no or target.id}",
        {"order": target.order_no, "request": new_state.value},
    )
    target.updated_at = utcnow()
    session.flush()
    return report


def request_cancel(
    session: Session, invt_no: str, reason: str, *, at: datetime | None = None, signer: Signer | None = None
) -> DeclareReport:
    """撤销申请 (CEB605 export / CEB623 import) for an accepted list; the list waits for the answer."""
    target = _list_by_invt_no(session, invt_no)
    if State(target.status) not in CANCELLABLE:
        raise RuleViolation(
            f"list {invt_no} is {target.status}; only a list customs has accepted and not closed can be cancelled",
            f"清单 {invt_no} 状态为 {target.status}；只有海关已接受且未结关的清单可以撤销",
            field="invtNo",
        )
    if not reason.strip():
        raise RuleViolation("a cancellation needs its reason", "撤销申请须填写原因", field="reason")
    message, entity = builders.cancel_request(
        target.message_type, target.cop_no, invt_no, target.pre_no, target.entity["head"], reason
    )
    return _request(session, target, message, entity, State.CANCEL_REQUESTED, at or datetime.now(UTC), signer)


def request_return(
    session: Session,
    invt_no: str,
    reason: str,
    *,
    bill_no: str = "",
    voyage_no: str = "",
    traf_name: str = "",
    at: datetime | None = None,
    signer: Signer | None = None,
) -> DeclareReport:
    """退货申请 (CEB213 export retail return / CEB625 import return) for a released list, all lines."""
    target = _list_by_invt_no(session, invt_no)
    if State(target.status) not in RETURNABLE:
        raise RuleViolation(
            f"list {invt_no} is {target.status}; only a released list can be returned",
            f"清单 {invt_no} 状态为 {target.status}；只有已放行的清单可以退货",
            field="invtNo",
        )
    if not reason.strip():
        raise RuleViolation("a return needs its reason", "退货申请须填写原因", field="reason")
    at = at or datetime.now(UTC)
    if target.message_type != "CEB603":
        entity = builders.import_return_request(target.cop_no, invt_no, target.entity, reason)
        return _request(session, target, "CEB625", entity, State.RETURN_REQUESTED, at, signer)
    shipment = builders.ReturnShipment(bill_no, voyage_no, traf_name)
    missing = shipment.missing()
    if missing:
        raise RuleViolation(
            f"an export return (CEB213) needs the return shipment's {', '.join(missing)}",
            f"出口退货申请（CEB213）须提供退运的 {'、'.join(missing)}",
            field=missing[0],
        )
    entity = builders.export_return_request(target.cop_no, invt_no, target.trade_mode, target.entity, reason, shipment)
    return _request(session, target, "CEB213", entity, State.RETURN_REQUESTED, at, signer)
