"""The warehouse stock page (issue 18, part 2): units on hand by warehouse, stacked by ageing
bucket (ECharts), the table by SKU, and the movement-file upload."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from cbec.accounts.rules import require_business_data
from cbec.errors import CbecError
from cbec.kit.limits import MAX_BYTES
from cbec.unit_of_work import UnitOfWork
from cbec.warehouse import service as warehouse
from cbec.warehouse.rules import BUCKET_NAMES
from cbec.web.api.warehouse import WHAT, acting_for, import_upload
from cbec.web.deps import Caller, Uow, own_seller, settings_of
from cbec.web.ui.i18n import translate
from cbec.web.ui.pages import lang_of, query_json, render

router = APIRouter(include_in_schema=False)


@router.get("/warehouse")
def warehouse_page(
    request: Request,
    p: Caller,
    uow: Uow,
    seller: Annotated[str, Query(max_length=18)] = "",
    as_of: Annotated[date | None, Query()] = None,
    done: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    require_business_data(p)
    code = own_seller(uow.session, p, seller or None, **WHAT)
    figures = warehouse.stock(uow.session, code, as_of or datetime.now(UTC).date())
    lang = lang_of(request, p)
    labels = {b: translate("wh_bucket", lang, b=b) for b in BUCKET_NAMES} | {
        "wh_on_hand": translate("wh_on_hand", lang)
    }
    return render(
        request, "warehouse.html", p, s=figures, figures_json=figures.model_dump_json(), seller=code,
        buckets=BUCKET_NAMES, done=query_json(done), labels_json=json.dumps(labels, ensure_ascii=False),
    )  # fmt: skip


@router.post("/warehouse/upload")
async def warehouse_upload(
    request: Request,
    p: Caller,
    file: Annotated[UploadFile, File()],
    seller: Annotated[str, Form(max_length=18)] = "",
    format: Annotated[str, Form(max_length=30)] = "auto",
) -> Response:
    with UnitOfWork(settings_of(request)) as uow:  # another seller's stock is refused, not redirected
        acting_for(uow.session, p, seller or None)
    data = await file.read(MAX_BYTES + 1)
    try:
        out = await run_in_threadpool(
            import_upload, request, p, data, seller=seller or None, fmt=format, filename=file.filename or "",
            channel="upload",
        )  # fmt: skip
        done = {"f": file.filename, "m": out["movements"], "d": out["duplicates"], "n": out["error_count"],
                "e": [f"{e.get('line') or ''} {e['field']}: {e['message_zh']} / {e['message_en']}" for e in out["errors"][:5]]}  # fmt: skip
    except CbecError as exc:
        done = {"f": file.filename, "x": f"{exc.message_zh} / {exc.message_en}"}
    back = f"seller={quote(seller)}&" if seller else ""
    return RedirectResponse(f"/warehouse?{back}done={quote(json.dumps(done, ensure_ascii=False))}", status_code=303)
