"""Matching results, tax assessments, risk hits and their review, the dashboard figures and the
caller's own identity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cbec.accounts import service as accounts
from cbec.accounts.rules import require_business_data, require_risk_reviewer
from cbec.accounts.schemas import MeRead
from cbec.kit.read import Page
from cbec.matching import service as matching
from cbec.matching.schemas import MatchRead
from cbec.risk import service as risk
from cbec.risk.schemas import RiskHitRead
from cbec.statistics import service as statistics
from cbec.statistics.schemas import DashboardRead
from cbec.statistics.service import BEIJING
from cbec.tax import service as tax
from cbec.tax.schemas import AssessmentPage, ExplanationRead
from cbec.web.deps import Caller, Id, Paging, Str20, Uow
from cbec.web.present import json_response

router = APIRouter()


@router.get("/me", response_model=MeRead, tags=["account 账户"], summary="Who is calling 当前身份")
def me(p: Caller) -> MeRead:
    return accounts.me(p)


@router.get(
    "/matches", response_model=Page[MatchRead], tags=["matching 对碰"], summary="Current match results 对碰结果"
)
def list_matches(
    p: Caller,
    uow: Uow,
    paging: Paging,
    state: Str20 = None,
    kind: Str20 = None,
    reason: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[MatchRead]:
    require_business_data(p)
    return matching.list_matches(uow.session, p.scope(), paging, state=state, kind=kind, reason=reason)


@router.get(
    "/matches/{result_id}",
    response_model=MatchRead,
    tags=["matching 对碰"],
    summary="A match result with each rule 对碰详情",
)
def get_match(result_id: Id, p: Caller, uow: Uow) -> MatchRead:
    require_business_data(p)
    return matching.get_match(uow.session, p.scope(), result_id)


@router.get(
    "/tax/assessments", response_model=AssessmentPage, tags=["tax 税款"], summary="Tax assessments 税款计算记录"
)
def list_assessments(
    p: Caller,
    uow: Uow,
    paging: Paging,
    kind: Str20 = None,
    reference: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    require_business_data(p)
    return json_response(
        tax.list_assessments(uow.session, p.scope(), paging, kind=kind, reference=reference).model_dump()
    )


@router.get(
    "/tax/assessments/{assessment_id}",
    response_model=ExplanationRead,
    tags=["tax 税款"],
    summary="An assessment explained 税款计算依据",
)
def get_assessment(assessment_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    return json_response(tax.explain_scoped(uow.session, p.scope(), assessment_id).model_dump())


@router.get(
    "/risk/hits",
    response_model=Page[RiskHitRead],
    tags=["risk 风险"],
    summary="Risk hits held for review, each explained 风险命中",
)
def list_risk_hits(
    p: Caller,
    uow: Uow,
    paging: Paging,
    status: Annotated[Literal["open", "query", "cleared", "refused"] | None, Query()] = None,
) -> Page[RiskHitRead]:
    require_business_data(p)
    return risk.list_hits(uow.session, p.scope(), paging, status=status)


class RiskDecision(BaseModel):
    decision: Literal["clear", "refuse"] = Field(description="clear: the order may be declared; refuse: it is not")
    note: str = Field(min_length=1, max_length=500, description="why (kept with the decision) 审核理由")


@router.post(
    "/risk/hits/{hit_id}/decision",
    response_model=RiskHitRead,
    tags=["risk 风险"],
    summary="Clear or refuse a risk hit (operator) 审核风险命中",
)
def decide_risk_hit(hit_id: Id, body: RiskDecision, p: Caller, uow: Uow) -> RiskHitRead:
    require_risk_reviewer(p)
    out = risk.decide(uow.session, hit_id, body.decision, by=p.name, note=body.note)
    uow.commit()
    return out


@router.get(
    "/statistics/dashboard",
    response_model=DashboardRead,
    tags=["statistics 统计"],
    summary="Dashboard figures 统计看板",
)
def dashboard(
    p: Caller,
    uow: Uow,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> DashboardRead:
    today = datetime.now(BEIJING).date()
    start, end = statistics.period(date_from, date_to, today=today)
    return statistics.dashboard(uow.session, p.scope(), start, end, today=today)
