"""Declarations, their receipts and status history, the XML sent, and declaring matched orders."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cbec import pipeline
from cbec.accounts import service as accounts
from cbec.accounts.rules import Forbidden, Principal, may_open_personal_data, require_business_data, require_submitter
from cbec.customs import service as customs
from cbec.customs.repository import DeclarationFilter
from cbec.customs.schemas import DeclarationDetailRead, DeclarationPage, DeclareReportRead, PersonalDataRead
from cbec.statistics.service import day_bounds
from cbec.web.deps import Caller, Id, Paging, Str20, Uow, settings_of
from cbec.web.present import json_response

router = APIRouter(tags=["declarations 申报"])


def declaration_filter(
    message_type: str | None,
    status: str | None,
    direction: str | None,
    trade_mode: str | None,
    country: str | None,
    seller: str | None,
    q: str | None,
    date_from: date | None,
    date_to: date | None,
) -> DeclarationFilter:
    since = day_bounds(date_from, date_from)[0] if date_from else None
    until = day_bounds(date_to, date_to)[1] if date_to else None
    return DeclarationFilter(
        message_type=message_type or None,
        status=status or None,
        direction=direction or None,
        trade_mode=trade_mode or None,
        country=country or None,
        seller_code=seller or None,
        q=q or None,
        since=since,
        until=until,
    )


@router.get("/declarations", summary="List declarations 申报单列表", response_model=DeclarationPage)
def list_declarations(
    p: Caller,
    uow: Uow,
    paging: Paging,
    message_type: Str20 = None,
    status: Str20 = None,
    direction: Str20 = None,
    trade_mode: Str20 = None,
    country: Str20 = None,
    seller: Str20 = None,
    q: Annotated[str | None, Query(max_length=60, description="order, waybill, list or cop number prefix")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="created on or after (Beijing date)")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="created on or before (Beijing date)")] = None,
) -> Response:
    require_business_data(p)
    f = declaration_filter(message_type, status, direction, trade_mode, country, seller, q, date_from, date_to)
    return json_response(customs.list_declarations(uow.session, p.scope(), paging, f).model_dump())


@router.get(
    "/declarations/{declaration_id}",
    summary="A declaration with documents, match, tax and receipts 申报单详情",
    response_model=DeclarationDetailRead,
)
def get_declaration(declaration_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    return json_response(customs.declaration_detail(uow.session, p.scope(), declaration_id).model_dump())


@router.get(
    "/declarations/{declaration_id}/xml",
    summary="The CEB XML as sent 报文",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def get_declaration_xml(declaration_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    name, data, _whole = customs.declaration_xml(uow.session, p.scope(), declaration_id)
    return Response(
        data, media_type="application/xml", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


class PersonalDataOpen(BaseModel):
    reason: str = Field(min_length=4, max_length=200, description="why the data is needed (recorded)")


@router.post(
    "/declarations/{declaration_id}/personal-data",
    summary="Open a buyer's personal data (recorded) 查看个人信息",
    response_model=PersonalDataRead,
)
def open_personal_data(declaration_id: Id, body: PersonalDataOpen, p: Caller, uow: Uow) -> Response:
    detail = reveal_personal_data(uow, p, declaration_id, body.reason)
    return json_response(PersonalDataRead(entity=detail.entity, documents=detail.documents).model_dump())


def reveal_personal_data(uow: Uow, p: Principal, declaration_id: int, reason: str) -> DeclarationDetailRead:
    """The declaration unmasked, for the operator only, the opening recorded (API and page)."""
    if not may_open_personal_data(p):
        raise Forbidden("your role may not open personal data", "当前角色无权查看个人信息", field="role")
    detail = customs.declaration_detail(uow.session, p.scope(), declaration_id, reveal=True)
    accounts.record_personal_access(
        uow.session,
        p,
        f"declaration {declaration_id}",
        ["buyerIdNumber", "buyerTelephone", "consigneeTelephone"],
        reason,
    )
    uow.commit()
    return detail


class DeclareRequest(BaseModel):
    seller: str | None = Field(default=None, max_length=18, description="seller to declare for (operator only)")
    trade_mode: str = Field(default="9610", pattern="^(9610|9710|9810|1210)$")


@router.post(
    "/declare", summary="Declare every matched order not declared yet 申报已对碰订单", response_model=DeclareReportRead
)
def declare(body: DeclareRequest, request: Request, p: Caller) -> Response:
    require_submitter(p)
    seller = body.seller if p.is_admin else p.enterprise_code
    if not p.is_admin and body.seller and body.seller != p.enterprise_code:
        raise Forbidden("you may declare for your own enterprise only", "只能为本企业申报", field="seller")
    if not p.is_admin and "ebc" not in p.enterprise_roles and "agent" not in p.enterprise_roles:
        raise Forbidden("only a seller or its agent declares", "只有电商企业或申报代理可以申报", field="role")
    return json_response(pipeline.declare(settings_of(request), seller=seller, trade_mode=body.trade_mode))
