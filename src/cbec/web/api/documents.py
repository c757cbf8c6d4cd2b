"""Submitting and reading documents, and the submissions (uploads) they came in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cbec.accounts.rules import require_business_data
from cbec.accounts.service import request_digest
from cbec.intake import service as intake
from cbec.intake.schemas import DocumentPage, DocumentRead, ImportReportRead, SubmissionRead
from cbec.kit.limits import MAX_BYTES
from cbec.web import submit
from cbec.web.api.submissions import errors_csv
from cbec.web.deps import Caller, Id, Paging, Uow, settings_of
from cbec.web.present import json_response

router = APIRouter(tags=["documents 单证"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
                },
                "example": [{"type": "export_order", "head": {"orderNo": "SO1"}, "lines": []}],
            },
            "application/xml": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/documents",
    openapi_extra=_BODY,
    status_code=201,
    summary="Submit documents (JSON or CEB XML) 提交单证",
    response_model=ImportReportRead,
    responses={403: {"description": "not within the key's roles"}},
)
async def submit_documents(
    request: Request,
    p: Caller,
    seller: Annotated[
        str | None, Query(max_length=18, description="seller ebcCode (a seller's own key may omit it)")
    ] = None,
    platform: Annotated[str | None, Query(max_length=18, description="platform ebpCode")] = None,
    format: Annotated[
        str,
        Query(max_length=20, description="auto, json, ceb, csv, xlsx, amazon-orders, shopify-orders, online-retail"),
    ] = "auto",
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> Response:
    """The JSON and XML formats of intake. Resubmitting identical documents never duplicates
    them; an ``Idempotency-Key`` replays the first answer to a retried request."""
    settings = settings_of(request)
    data = await request.body()
    digest = request_digest(data, str(request.url.path) + "?" + str(request.url.query))
    # intake is blocking work (parsing, the database): it runs in the thread pool, not on the event
    # loop, where it held every other request and, waiting for a pooled connection that only
    # those requests could give back, deadlocked the server under 16 concurrent submissions
    status, body, replayed = await run_in_threadpool(
        submit.idempotent,
        settings,
        p,
        idempotency_key,
        digest,
        lambda: submit.submit(
            settings, p, data, seller=seller, platform=platform, fmt=format, filename="", channel="api"
        ),
    )
    return json_response(body, status, {"Idempotent-Replayed": "true"} if replayed else None)


@router.post("/uploads", status_code=201, summary="Upload a file 上传文件", response_model=ImportReportRead)
async def upload_file(
    request: Request,
    p: Caller,
    file: Annotated[UploadFile, File(description="Amazon/Shopify report, template CSV/XLSX, JSON or CEB XML")],
    seller: Annotated[str | None, Form(max_length=18)] = None,
    platform: Annotated[str | None, Form(max_length=18)] = None,
    format: Annotated[str, Form(max_length=20)] = "auto",
) -> Response:
    settings = settings_of(request)
    data = await file.read(MAX_BYTES + 1)
    out = await run_in_threadpool(
        submit.submit,
        settings,
        p,
        data,
        seller=seller,
        platform=platform,
        fmt=format,
        filename=file.filename or "",
        channel="upload",
    )
    return json_response(out, 201)


@router.get("/uploads/{inbox_id}", summary="A submission and its errors 提交记录", response_model=SubmissionRead)
def get_upload(inbox_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    return json_response(intake.submission_report(uow.session, p.scope(), inbox_id).model_dump())


@router.get("/uploads/{inbox_id}/errors.csv", summary="Per-row errors as CSV 错误明细下载", response_class=Response)
def get_upload_errors(inbox_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    report = intake.submission_report(uow.session, p.scope(), inbox_id)
    return Response(
        errors_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="submission-{inbox_id}-errors.csv"'},
    )


@router.get("/documents", summary="List documents 单证列表", response_model=DocumentPage)
def list_documents(
    p: Caller,
    uow: Uow,
    paging: Paging,
    type: Annotated[str | None, Query(max_length=20)] = None,
    valid: bool | None = None,
    q: Annotated[str | None, Query(max_length=60, description="order, waybill or key prefix")] = None,
    current: bool = True,
) -> Response:
    require_business_data(p)
    page = intake.list_documents(
        uow.session, p.scope(), paging, doc_type=type, is_valid=valid, q=q, current_only=current
    )
    return json_response(page.model_dump())


@router.get("/documents/{doc_id}", summary="A document with its versions 单证详情", response_model=DocumentRead)
def get_document(doc_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    return json_response(intake.get_document(uow.session, p.scope(), doc_id).model_dump())
