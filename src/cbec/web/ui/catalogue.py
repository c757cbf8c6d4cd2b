"""The catalogue page (商品备案): a seller's SKUs with the suggested HS code, its score and the
words that matched; filters; one bulk accept ("every suggestion above 0.7 in this filter"); a
correction by HS search; a catalogue file. Each decision says how many orders it released."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cbec.accounts.rules import require_business_data
from cbec.catalogue import service as catalogue
from cbec.errors import CbecError
from cbec.kit.paging import PageRequest
from cbec.matching import service as matching
from cbec.web.api.catalogue import (
    catalogue_page,
    catalogue_seller,
    import_file,
    product_filter,
    released,
)
from cbec.web.deps import Caller, Uow
from cbec.web.ui.pages import query_json, render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Query(max_length=100)]


def _back(filters: dict[str, str], done: dict[str, Any]) -> RedirectResponse:
    query = urlencode({k: v for k, v in filters.items() if v} | {"done": json.dumps(done)})
    return RedirectResponse(f"/catalogue?{query}", status_code=303)


@router.get("/catalogue")
def catalogue_view(
    request: Request,
    p: Caller,
    uow: Uow,
    seller: Annotated[str, Query(max_length=18)] = "",
    state: Annotated[str, Query(max_length=12)] = "unconfirmed",
    min_score: Annotated[str, Query(max_length=5)] = "",
    q: Text = "",
    waiting: Annotated[str, Query(max_length=3)] = "",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
    hs_q: Text = "",
    for_sku: Annotated[str, Query(max_length=30)] = "",
    done: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """The seller's SKUs, those holding the most orders first."""
    require_business_data(p)
    code = catalogue_seller(uow.session, p, seller or None)
    score = float(min_score) if min_score.replace(".", "", 1).isdigit() else None
    products = catalogue_page(
        uow.session, code, PageRequest(page, 50), state=state, min_score=score, q=q, waiting_only=bool(waiting)
    )
    hits = catalogue.search_hs(hs_q, limit=10) if hs_q.strip() else []
    filters = {"seller": seller, "state": state, "min_score": min_score, "q": q, "waiting": waiting}
    return render(
        request,
        "catalogue.html",
        p,
        seller=code,
        products=products,
        filters=filters,
        filter_query=urlencode({k: v for k, v in filters.items() if v}),
        hs_q=hs_q,
        for_sku=for_sku,
        hits=hits,
        done=query_json(done),
    )


@router.post("/catalogue/confirm")
def confirm(
    request: Request,
    p: Caller,
    uow: Uow,
    seller: Annotated[str, Form(max_length=18)] = "",
    sku: Annotated[list[str] | None, Form()] = None,
    bulk_min_score: Annotated[str, Form(max_length=5)] = "",
    state: Annotated[str, Form(max_length=12)] = "unconfirmed",
    q: Annotated[str, Form(max_length=100)] = "",
    waiting: Annotated[str, Form(max_length=3)] = "",
    min_score: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Confirm the ticked SKUs, or every suggestion of the filter at or above a score."""
    code = catalogue_seller(uow.session, p, seller or None)
    if sku:
        decision = catalogue.confirm_skus(uow.session, code, sku, by=p.name)
    else:
        threshold = float(bulk_min_score) if bulk_min_score.replace(".", "", 1).isdigit() else 0.7
        waits = matching.waiting_by_sku(uow.session, code) if waiting else None
        flt = product_filter(state, threshold, None, q, waits)
        decision = catalogue.confirm_filtered(uow.session, code, flt, by=p.name)
    out = released(uow.session, code, decision)
    uow.commit()
    filters = {"seller": seller, "state": state, "min_score": min_score, "q": q, "waiting": waiting}
    return _back(
        filters, {"c": len(out.confirmed), "x": 0, "r": out.released, "w": out.still_waiting, "s": len(out.skipped)}
    )


@router.post("/catalogue/correct")
def correct(
    request: Request,
    p: Caller,
    uow: Uow,
    sku: Annotated[str, Form(max_length=30)],
    hs_code: Annotated[str, Form(max_length=14)],
    seller: Annotated[str, Form(max_length=18)] = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Give one SKU the code the seller chose (from the HS search or typed)."""
    code = catalogue_seller(uow.session, p, seller or None)
    try:
        out = released(uow.session, code, catalogue.correct_skus(uow.session, code, [sku], hs_code, by=p.name))
    except CbecError as exc:
        uow.rollback()
        failed = {"e": f"{sku}: {exc.message_zh} / {exc.message_en}"}
        return RedirectResponse(f"/catalogue?{back}&done={quote(json.dumps(failed))}", status_code=303)
    uow.commit()
    done = {"c": len(out.confirmed), "x": len(out.corrected), "r": out.released, "w": out.still_waiting, "s": 0}
    return RedirectResponse(f"/catalogue?{back}&done={quote(json.dumps(done))}", status_code=303)


@router.post("/catalogue/import")
def import_catalogue(
    request: Request,
    p: Caller,
    uow: Uow,
    file: Annotated[UploadFile, File()],
    seller: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    """Take in the seller's catalogue file; its rows' errors are shown, the good rows kept."""
    code = catalogue_seller(uow.session, p, seller or None)
    try:
        report = import_file(uow.session, code, file, p.name)
    except CbecError as exc:
        uow.rollback()
        products = catalogue_page(uow.session, code, PageRequest(1, 50), state="unconfirmed")
        response: HTMLResponse = render(
            request, "catalogue.html", p, seller=code, products=products, filters={"state": "unconfirmed"},
            filter_query="state=unconfirmed", hs_q="", hits=[], done=None, form_error=exc,
        )  # fmt: skip
        response.status_code = exc.http_status
        return response
    uow.commit()
    products = catalogue_page(uow.session, code, PageRequest(1, 50), state="unconfirmed")
    return render(
        request, "catalogue.html", p, seller=code, products=products, filters={"state": "unconfirmed"},
        filter_query="state=unconfirmed", hs_q="", hits=[], done=None, imported=report,
    )  # fmt: skip
