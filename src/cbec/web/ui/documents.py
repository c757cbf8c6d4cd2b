"""The documents page: what an enterprise sent or is named in — a seller's orders, a platform's
orders across its sellers, a logistics company's waybills, a payment company's payments and
receipts — each with its errors. The same scoped service as ``GET /api/v1/documents``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cbec.accounts.rules import require_business_data
from cbec.intake import service as intake
from cbec.intake.documents import DocType
from cbec.kit.paging import PageRequest
from cbec.web.deps import Caller, Uow
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/documents")
def documents_page(
    request: Request,
    p: Caller,
    uow: Uow,
    type: Annotated[str, Query(max_length=20)] = "",
    valid: Annotated[str, Query(max_length=5)] = "",
    q: Annotated[str, Query(max_length=60)] = "",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> Response:
    require_business_data(p)
    is_valid = {"yes": True, "no": False}.get(valid)
    docs = intake.list_documents(
        uow.session, p.scope(), PageRequest(page, 50), doc_type=type or None, is_valid=is_valid, q=q or None
    )
    filters = {"type": type, "valid": valid, "q": q}
    return render(
        request,
        "documents.html",
        p,
        docs=docs,
        filters=filters,
        filter_query=urlencode({k: v for k, v in filters.items() if v}),
        doc_types=[t.value for t in DocType],
    )
