"""The journey page: search an order by its order, waybill or list number and see every step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cbec.accounts.rules import require_business_data
from cbec.errors import CbecError
from cbec.journey import service as journey
from cbec.web.deps import Caller, Uow
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/journey")
def journey_page(request: Request, p: Caller, uow: Uow, q: Annotated[str, Query(max_length=60)] = "") -> Response:
    require_business_data(p)
    found, problem = None, None
    if q.strip():
        try:
            found = journey.order_journey(uow.session, p.scope(), q)
        except CbecError as exc:
            if exc.http_status not in (404, 422):
                raise
            problem = exc
    # a number that finds nothing is not echoed back: it may be another enterprise's
    return render(request, "journey.html", p, q=q if found else "", journey=found, problem=problem)
