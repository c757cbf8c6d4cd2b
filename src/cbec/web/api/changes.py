"""Changes after declaring, over HTTP: cancelling an accepted list (撤销申请, CEB605 export /
CEB623 import) and returning a released one (退货申请, CEB213 / CEB625), each with its reason.

Only lists can be cancelled or returned; the caller must own the list (a seller, or the
operator), and the list must be in a state the request applies to (``customs.rules``:
CANCELLABLE, RETURNABLE) — otherwise the answer says why."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cbec.accounts.rules import Forbidden, Principal, require_submitter
from cbec.customs import service as customs
from cbec.customs.keys import signer_for
from cbec.customs.schemas import DeclareReportRead
from cbec.errors import RuleViolation
from cbec.web.deps import Caller, Id, Uow, settings_of
from cbec.web.present import json_response

router = APIRouter(tags=["declarations 申报"])

LISTS = {"CEB603", "CEB621"}


class CancelRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class ReturnRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=200)
    bill_no: str = Field(default="", max_length=37)
    voyage_no: str = Field(default="", max_length=32)
    traf_name: str = Field(default="", max_length=100)


def list_to_change(session: Session, p: Principal, declaration_id: int) -> str:
    """The list's number (invtNo), when the caller may change it."""
    require_submitter(p)
    if not p.is_admin and "ebc" not in p.enterprise_roles and "agent" not in p.enterprise_roles:
        raise Forbidden(
            "only a seller or its agent changes a declaration", "只有电商企业或申报代理可以变更申报", field="role"
        )
    detail = customs.declaration_detail(session, p.scope(), declaration_id)
    if detail.message_type not in LISTS:
        raise RuleViolation(
            f"{detail.message_type} is not a list: cancellation and return apply to lists (CEB603, CEB621)",
            f"{detail.message_type} 不是清单：撤销与退货仅适用于清单（CEB603、CEB621）",
            field="message_type",
        )
    if not detail.invt_no:
        raise RuleViolation(
            "customs has not given this list its number (invtNo) yet: wait for its acceptance (120)",
            "海关尚未给出清单编号（invtNo）：请等待海关入库回执（120）",
            field="invtNo",
        )
    return detail.invt_no


def cancel(session: Session, request: Request, p: Principal, declaration_id: int, reason: str) -> DeclareReportRead:
    invt_no = list_to_change(session, p, declaration_id)
    report = customs.request_cancel(session, invt_no, reason, signer=signer_for(settings_of(request)))
    return report.read()


def return_list(
    session: Session, request: Request, p: Principal, declaration_id: int, body: ReturnRequest
) -> DeclareReportRead:
    invt_no = list_to_change(session, p, declaration_id)
    report = customs.request_return(
        session,
        invt_no,
        body.reason,
        bill_no=body.bill_no,
        voyage_no=body.voyage_no,
        traf_name=body.traf_name,
        signer=signer_for(settings_of(request)),
    )
    return report.read()


@router.post(
    "/declarations/{declaration_id}/cancel",
    response_model=DeclareReportRead,
    summary="Cancel an accepted list 撤销申请 (CEB605/CEB623)",
)
def cancel_route(declaration_id: Id, body: CancelRequest, request: Request, p: Caller, uow: Uow) -> object:
    out = cancel(uow.session, request, p, declaration_id, body.reason)
    uow.commit()
    return json_response(out.model_dump())


@router.post(
    "/declarations/{declaration_id}/return",
    response_model=DeclareReportRead,
    summary="Return a released list 退货申请 (CEB213/CEB625)",
)
def return_route(declaration_id: Id, body: ReturnRequest, request: Request, p: Caller, uow: Uow) -> object:
    out = return_list(uow.session, request, p, declaration_id, body)
    uow.commit()
    return json_response(out.model_dump())
