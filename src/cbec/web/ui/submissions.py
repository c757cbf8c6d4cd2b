"""The submissions pages: every upload and API submission with what became of it, one with its
errors (rows not read, documents that failed their checks), the errors as CSV or XLSX, and a
corrected file sent again (its documents become the next versions; nothing received is lost)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cbec.accounts.rules import require_business_data
from cbec.intake import service as intake
from cbec.kit.paging import PageRequest
from cbec.partners import service as partners
from cbec.web.deps import Caller, Id, Uow
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/submissions")
def submissions_page(
    request: Request, p: Caller, uow: Uow, page: Annotated[int, Query(ge=1, le=10**6)] = 1
) -> Response:
    require_business_data(p)
    items = intake.list_submissions(uow.session, p.scope(), PageRequest(page, 50))
    return render(request, "submissions.html", p, submissions=items)


@router.get("/submissions/{inbox_id}")
def submission_page(request: Request, inbox_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    report = intake.submission_report(uow.session, p.scope(), inbox_id)
    seller = partners.find_enterprise(uow.session, report.seller_code)
    platforms = partners.list_enterprises(uow.session, role="ebp")
    return render(
        request,
        "submission.html",
        p,
        s=report,
        default_platform=seller.default_platform if seller else None,
        platforms=platforms,
    )
