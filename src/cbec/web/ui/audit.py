"""The operator's audit page: the chain's verification and its newest entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cbec.accounts.rules import require_admin
from cbec.audit import service as audit
from cbec.web.deps import Caller, Paging, Uow
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    p: Caller,
    uow: Uow,
    paging: Paging,
    action: Annotated[str, Query(max_length=40)] = "",
    enterprise: Annotated[str, Query(max_length=18)] = "",
) -> Response:
    require_admin(p)
    checked = audit.verify(uow.session)
    found = audit.entries(uow.session, paging, action=action or None, enterprise=enterprise or None)
    return render(
        request, "audit.html", p, checked=checked, found=found, action=action, enterprise=enterprise, paging=paging
    )
