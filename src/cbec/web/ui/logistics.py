"""The logistics page: a parcel's track (carrier events and customs flows on one timeline), the
stalled parcels of one's own, and transit times by carrier and destination (figures, which the
regulator sees too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cbec.errors import CbecError
from cbec.logistics import service as logistics
from cbec.web.deps import Caller, Uow, settings_of
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/logistics")
def logistics_page(request: Request, p: Caller, uow: Uow, q: Annotated[str, Query(max_length=80)] = "") -> Response:
    scope = p.scope()
    found, problem, stalled = None, None, None
    if not p.is_regulator:  # tracks name parcels: business data, not the regulator's figures
        settings = settings_of(request)
        stalled = logistics.stalled_parcels(
            uow.session, scope, hours=settings.stalled_hours, unseen_hours=settings.unseen_hours
        )
        if q.strip():
            try:
                found = logistics.track(uow.session, scope, q)
            except CbecError as exc:
                if exc.http_status not in (404, 422):
                    raise
                problem = exc
    transit = logistics.transit_times(uow.session, scope)
    # a number that finds nothing is not echoed back: it may be another enterprise's
    return render(
        request, "logistics.html", p, q=q if found else "", track=found, problem=problem, transit=transit,
        stalled=stalled,
    )  # fmt: skip
