"""The 收汇对账 page (issue 17): declared against received by month, the bridge as a waterfall, the
ageing of lists not fully received, the lists with drill-down to their settlement rows; money
files uploaded and the reconciliation run from here."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from cbec import pipeline
from cbec.accounts.rules import require_business_data
from cbec.errors import CbecError, InvalidInput
from cbec.finance import service as finance
from cbec.kit.limits import MAX_BYTES
from cbec.unit_of_work import UnitOfWork
from cbec.web.api.finance import import_upload
from cbec.web.deps import Caller, Id, Uow, own_seller, settings_of
from cbec.web.ui.i18n import CATALOGUE, translate
from cbec.web.ui.pages import lang_of, query_json, render

router = APIRouter(include_in_schema=False)

WHAT = {"what_en": "settlements and receipts", "what_zh": "结算与收汇"}


def month_range(month: str) -> tuple[date | None, date | None]:
    """A month ``YYYY-MM`` as its first and last day; empty: no bounds."""
    if not month:
        return None, None
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput(
            f"month must be YYYY-MM, not {month!r}", f"月份须为 YYYY-MM，而不是 {month!r}", field="month"
        ) from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


@router.get("/finance")
def finance_page(
    request: Request,
    p: Caller,
    uow: Uow,
    seller: Annotated[str, Query(max_length=18)] = "",
    month: Annotated[str, Query(max_length=7)] = "",
    status: Annotated[str, Query(max_length=14, pattern="^(|received|partial|not_received|overdue)$")] = "",
    done: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    require_business_data(p)
    code = own_seller(uow.session, p, seller or None, **WHAT)
    start, end = month_range(month)
    figures = finance.page_figures(uow.session, code, start=start, end=end, status=status)
    keys = [k for k in CATALOGUE if k.startswith(("fx_", "cat_"))] + ["days"]
    labels = {k: translate(k, lang_of(request, p)) for k in keys}
    return render(
        request, "finance.html", p, figures=figures, figures_json=figures.model_dump_json(), seller=code,
        month=month, fx_status=status, done=query_json(done), seller_query=f"seller={code}&" if p.is_admin else "",
        labels_json=json.dumps(labels, ensure_ascii=False),
    )  # fmt: skip


@router.post("/finance/upload")
async def finance_upload(
    request: Request,
    p: Caller,
    file: Annotated[UploadFile, File()],
    seller: Annotated[str, Form(max_length=18)] = "",
    platform: Annotated[str, Form(max_length=18)] = "",
    format: Annotated[str, Form(max_length=30)] = "auto",
) -> Response:
    require_business_data(p)
    with UnitOfWork(settings_of(request)) as uow:  # another seller's books are refused, not redirected
        own_seller(uow.session, p, seller or None, **WHAT)
    data = await file.read(MAX_BYTES + 1)
    try:
        out = await run_in_threadpool(
            import_upload, request, p, data, seller=seller or None, platform=platform or None, fmt=format,
            filename=file.filename or "", channel="upload",
        )  # fmt: skip
        done = {"f": file.filename, "s": out["settlements"], "d": out["duplicate_settlements"], "r": out["receipts"],
                "e": [f"{e['document']} {e.get('line') or ''} {e['field']}: {e['message_zh']} / {e['message_en']}" for e in out["errors"][:5]],
                "n": out["error_count"]}  # fmt: skip
    except CbecError as exc:
        done = {"f": file.filename, "x": f"{exc.message_zh} / {exc.message_en}"}
    back = f"seller={quote(seller)}&" if seller else ""
    return RedirectResponse(f"/finance?{back}done={quote(json.dumps(done, ensure_ascii=False))}", status_code=303)


@router.post("/finance/reconcile")
def finance_reconcile(
    request: Request, p: Caller, uow: Uow, seller: Annotated[str, Form(max_length=18)] = ""
) -> Response:
    require_business_data(p)
    code = own_seller(uow.session, p, seller or None, **WHAT)
    out = pipeline.reconcile(settings_of(request), code)
    done = {"o": out["orders"], "u": out["unmatched_count"], "st": out["by_status"]}
    back = f"seller={quote(seller)}&" if seller else ""
    return RedirectResponse(f"/finance?{back}done={quote(json.dumps(done))}", status_code=303)


@router.get("/finance/lists/{list_id}")
def finance_list(request: Request, list_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    detail = finance.list_money(uow.session, p.scope(), list_id)
    return render(request, "finance_list.html", p, d=detail, list_id=list_id)
