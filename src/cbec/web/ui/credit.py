"""The credit pages (issue 19): the operator's list of grades (the regulator sees their
distribution, a seller its own), an enterprise's record with every contribution, its history,
imported facts, events and objections; and the risk-lane overview with charts and drill-down."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from cbec.accounts.rules import Forbidden, require_admin, require_business_data
from cbec.credit import service as credit
from cbec.errors import CbecError
from cbec.kit.paging import PageRequest
from cbec.risk import service as risk
from cbec.web.api.credit import record_scope
from cbec.web.deps import Caller, Uow
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/credit")
def credit_page(request: Request, p: Caller, uow: Uow) -> Response:
    """The operator: every enterprise's latest grade; the regulator: how many in each grade; an
    enterprise: its own record."""
    if not p.is_admin and not p.is_regulator:
        if p.enterprise_code:
            return RedirectResponse(f"/credit/{p.enterprise_code}", status_code=303)
        require_admin(p)
    rows = credit.sellers(uow.session)
    counts = Counter(g.grade for _, _, g in rows if g is not None)
    return render(
        request, "credit.html", p, rows=rows,
        counts=[(g, counts.get(g, 0)) for g in ("AAA", "AA", "A", "BBB", "BB")],
    )  # fmt: skip


def _record_page(request: Request, p: Caller, uow: Uow, code: str, form_error: CbecError | None = None) -> Response:
    out = credit.record(uow.session, code.upper(), scope=record_scope(p))
    uow.commit()
    return render(request, "credit_record.html", p, r=out, form_error=form_error)


@router.get("/credit/{code}")
def credit_record_page(request: Request, p: Caller, uow: Uow, code: str) -> Response:
    return _record_page(request, p, uow, code)


@router.post("/credit/{code}/objection")
def credit_objection(
    request: Request, p: Caller, uow: Uow, code: str, text: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    if p.is_regulator:
        raise Forbidden("an enterprise objects to its own record; the regulator reads it", "异议由企业本身提出；监管部门仅查阅", field="role")  # fmt: skip
    try:
        credit.file_objection(uow.session, code.upper(), text, by=p.name, scope=record_scope(p))
        uow.commit()
    except CbecError as exc:
        if exc.code in {"not_found", "forbidden"}:
            raise
        uow.rollback()
        return _record_page(request, p, uow, code, form_error=exc)
    return RedirectResponse(f"/credit/{code.upper()}", status_code=303)


@router.post("/credit/answer")
def credit_answer(
    p: Caller,
    uow: Uow,
    objection_id: Annotated[int, Form(ge=1)],
    status: Annotated[str, Form(max_length=10)],
    answer: Annotated[str, Form(max_length=2000)],
    code: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    require_admin(p)
    credit.answer_objection(uow.session, objection_id, status, answer, by=p.name)
    uow.commit()
    return RedirectResponse(f"/credit/{code}" if code else "/credit", status_code=303)


@router.get("/risk/overview")
def risk_overview_page(request: Request, p: Caller, uow: Uow) -> Response:
    """Lanes against their rates, by day; hits by rule, seller and day (the regulator too: it
    supervises the enterprises, and no buyer is named)."""
    figures = risk.overview(uow.session, p.scope(), by_seller=True)
    return render(
        request, "risk_overview.html", p, figures=figures,
        figures_json=json.dumps(figures.model_dump(mode="json"), ensure_ascii=False).replace("</", "<\\/"),
    )  # fmt: skip


@router.get("/risk/lanes")
def risk_lanes_page(
    request: Request,
    p: Caller,
    uow: Uow,
    lane: Annotated[str, Query(max_length=6, pattern="^(|red|yellow|blue|green)$")] = "",
    day: Annotated[date | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The drill-down: the lists of a lane (and day), each with why it is there."""
    require_business_data(p)
    lanes = risk.list_lanes(uow.session, p.scope(), PageRequest(page, 50), lane=lane or None, day=day)
    return render(request, "risk_lanes.html", p, lanes=lanes, lane=lane, day=day)
