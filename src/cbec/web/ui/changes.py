"""Cancelling or returning a list from its declaration page, with the reason the seller gives."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from cbec.errors import CbecError
from cbec.web.api.changes import ReturnRequest, cancel, return_list
from cbec.web.deps import Caller, Id, Uow

router = APIRouter(include_in_schema=False)


def _back(declaration_id: int, outcome: dict[str, str]) -> RedirectResponse:
    return RedirectResponse(
        f"/declarations/{declaration_id}?change={quote(json.dumps(outcome, ensure_ascii=False))}", status_code=303
    )


def _request(uow: Uow, declaration_id: int, kind: str, send: Callable[[], object]) -> RedirectResponse:
    """Send the request and go back to the declaration page, which says it is queued or why
    not (another enterprise's list stays a 404)."""
    try:
        send()
        uow.commit()
    except CbecError as exc:
        uow.rollback()
        if exc.http_status in (403, 404):
            raise
        return _back(declaration_id, {"error": f"{exc.message_zh} / {exc.message_en}"})
    return _back(declaration_id, {"requested": kind})


@router.post("/declarations/{declaration_id}/cancel")
def cancel_list(
    request: Request, declaration_id: Id, p: Caller, uow: Uow, reason: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    return _request(uow, declaration_id, "cancel", lambda: cancel(uow.session, request, p, declaration_id, reason))


@router.post("/declarations/{declaration_id}/return")
def return_goods(
    request: Request,
    declaration_id: Id,
    p: Caller,
    uow: Uow,
    reason: Annotated[str, Form(max_length=200)] = "",
    bill_no: Annotated[str, Form(max_length=37)] = "",
    voyage_no: Annotated[str, Form(max_length=32)] = "",
    traf_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """An export return (CEB213) names the return shipment: bill, voyage and carrier."""
    body = ReturnRequest(reason=reason or " ", bill_no=bill_no, voyage_no=voyage_no, traf_name=traf_name)
    return _request(uow, declaration_id, "return", lambda: return_list(uow.session, request, p, declaration_id, body))
