"""Credit and risk lanes over HTTP (issue 19): a partner's credit query (the current grade and its
date, every query recorded), an enterprise's own record and its objections, the operator's
answer; the lanes of the lists and the risk overview. A seller sees its own; a platform, payment
or logistics company may ask for any seller's grade; the regulator reads the overview."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cbec.accounts.rules import Forbidden, Principal, require_admin, require_business_data
from cbec.credit import service as credit
from cbec.credit.schemas import CreditQueryRead, CreditRecordRead, ObjectionRead
from cbec.kit.read import Page
from cbec.risk import service as risk
from cbec.risk.schemas import LaneRead, RiskOverview
from cbec.web.deps import Caller, Paging, Uow

router = APIRouter()

Code = Annotated[str, Query(min_length=10, max_length=18)]


def query_scope(p: Principal) -> frozenset[str] | None:
    """Whose grade the caller may ask for: the operator and a platform, payment or logistics
    company any seller's; a seller its own. The regulator reads the grades on the credit page and
    the risk overview (every enterprise's grade and hits), not one record (tests/e2e/test_tenancy.py:
    a record is business data)."""
    if p.is_regulator:
        raise Forbidden("the regulator reads the credit figures, not one enterprise's record", "监管视图查看信用统计，不查看单个企业的信用记录", field="role")  # fmt: skip
    if p.is_admin or (p.enterprise_code and not p.enterprise_roles <= {"ebc"}):
        return None
    return frozenset({p.enterprise_code}) if p.enterprise_code else frozenset()


def record_scope(p: Principal) -> frozenset[str] | None:
    """Whose whole record the caller may read: the operator any; an enterprise its own."""
    if p.is_regulator:
        query_scope(p)
    return p.scope()


@router.get(
    "/credit/{code}",
    response_model=CreditQueryRead,
    tags=["credit 信用"],
    summary="A seller's current credit grade and its date (partners; every query is recorded) 信用查询",
)
def credit_query(code: str, p: Caller, uow: Uow) -> CreditQueryRead:
    out = credit.query(uow.session, code.upper(), caller=f"{p.kind}:{p.name}", scope=query_scope(p))
    uow.commit()
    return out


@router.get(
    "/credit/{code}/record",
    response_model=CreditRecordRead,
    tags=["credit 信用"],
    summary="An enterprise's credit record: grade, contributions, history, facts, events 信用记录",
)
def credit_record(code: str, p: Caller, uow: Uow, as_of: date | None = None) -> CreditRecordRead:
    out = credit.record(uow.session, code.upper(), scope=record_scope(p), as_of=as_of)
    uow.commit()
    return out


class ObjectionBody(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="the objection 异议内容")


@router.post(
    "/credit/{code}/objections",
    response_model=ObjectionRead,
    status_code=201,
    tags=["credit 信用"],
    summary="Object to one's own credit record 提出异议",
)
def file_objection(code: str, body: ObjectionBody, p: Caller, uow: Uow) -> ObjectionRead:
    if p.is_regulator:
        raise Forbidden("an enterprise objects to its own record; the regulator reads it", "异议由企业本身提出；监管部门仅查阅", field="role")  # fmt: skip
    out = credit.file_objection(uow.session, code.upper(), body.text, by=p.name, scope=record_scope(p))
    uow.commit()
    return out


class AnswerBody(BaseModel):
    objection_id: int = Field(ge=1)
    status: Literal["upheld", "rejected"]
    answer: str = Field(min_length=1, max_length=2000)


@router.post(
    "/credit/objections/answer",
    response_model=ObjectionRead,
    tags=["credit 信用"],
    summary="Answer an objection (operator) 答复异议",
)
def answer_objection(body: AnswerBody, p: Caller, uow: Uow) -> ObjectionRead:
    require_admin(p)
    out = credit.answer_objection(uow.session, body.objection_id, body.status, body.answer, by=p.name)
    uow.commit()
    return out


@router.get(
    "/risk/lanes",
    response_model=Page[LaneRead],
    tags=["risk 风险"],
    summary="The risk lane of each declared list, and why 布控通道",
)
def list_lanes(
    p: Caller,
    uow: Uow,
    paging: Paging,
    lane: Annotated[Literal["red", "yellow", "blue", "green"] | None, Query()] = None,
    day: date | None = None,
) -> Page[LaneRead]:
    require_business_data(p)
    return risk.list_lanes(uow.session, p.scope(), paging, lane=lane, day=day)


@router.get(
    "/risk/overview",
    response_model=RiskOverview,
    tags=["risk 风险"],
    summary="Lanes against their rates, hits by rule, seller and day 风险总览",
)
def risk_overview(p: Caller, uow: Uow) -> RiskOverview:
    return risk.overview(uow.session, p.scope(), by_seller=True)
