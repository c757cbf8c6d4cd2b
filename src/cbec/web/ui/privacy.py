"""The operator's personal-data page: erase one buyer (ID number and reason), and the erasures
made so far. The work is ``cbec.pipeline.erase_buyer``'s, as for the CLI and the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cbec import pipeline
from cbec.accounts.rules import Principal, require_admin
from cbec.errors import CbecError
from cbec.privacy import service as privacy
from cbec.unit_of_work import UnitOfWork
from cbec.web.deps import Caller, Uow, settings_of
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, p: Principal, status: int = 200, **context: Any) -> Response:
    with UnitOfWork(settings_of(request)) as uow:
        records = privacy.retained_records(uow.session)
    return render(request, "privacy.html", p, status=status, records=records, **context)


@router.get("/privacy")
def privacy_page(request: Request, p: Caller, uow: Uow) -> Response:
    require_admin(p)
    return _page(request, p)


@router.post("/privacy/erase")
def erase(
    request: Request,
    p: Caller,
    buyer_id: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    require_admin(p)
    try:
        done = pipeline.erase_buyer(settings_of(request), buyer_id, reason)
    except CbecError as exc:
        return _page(request, p, status=exc.http_status, form_error=exc)
    return _page(request, p, done=done)
