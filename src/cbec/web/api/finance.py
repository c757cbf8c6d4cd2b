"""Money after release over HTTP (issue 17): settlement, payout and receipts files in, the
reconciliation run and read, one list's bridge, the period's workbook. A seller sees its own; the
operator names the seller."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cbec import pipeline
from cbec.accounts.rules import require_business_data
from cbec.finance import service as finance
from cbec.finance.schemas import FinancePageRead, ListMoneyRead, ReconcileReport, SealedPackageRead
from cbec.kit.limits import MAX_BYTES, check_size
from cbec.unit_of_work import UnitOfWork
from cbec.web.deps import Caller, Id, Uow, own_seller, settings_of

router = APIRouter(tags=["finance 收汇对账"])

Seller = Annotated[str | None, Query(max_length=18, description="the seller (operator only)")]


def _seller(request: Request, p: Any, seller: str | None) -> str:
    require_business_data(p)
    with UnitOfWork(settings_of(request)) as uow:
        return own_seller(uow.session, p, seller, what_en="settlements and receipts", what_zh="结算与收汇")


def import_upload(
    request: Request,
    p: Any,
    data: bytes,
    *,
    seller: str | None,
    platform: str | None,
    fmt: str,
    filename: str,
    channel: str,
) -> dict[str, Any]:
    """One money file into the seller's books (the page and the API share it)."""
    code = _seller(request, p, seller)
    check_size(data, "the file", "文件")
    return pipeline.import_money(
        settings_of(request), data, seller=code, platform=platform, fmt=fmt, filename=filename, channel=channel
    )


@router.post(
    "/finance/files", status_code=201, summary="Import a settlement, payout or receipts file 导入结算或收汇文件"
)
async def import_money_file(
    request: Request,
    p: Caller,
    file: Annotated[
        UploadFile, File(description="Amazon Settlement V2, Shopify transactions/payouts, or receipts CSV/JSON")
    ],
    seller: Annotated[str | None, Form(max_length=18)] = None,
    platform: Annotated[str | None, Form(max_length=18)] = None,
    format: Annotated[str, Form(max_length=30)] = "auto",
) -> dict[str, Any]:
    data = await file.read(MAX_BYTES + 1)
    return await run_in_threadpool(
        import_upload, request, p, data, seller=seller, platform=platform, fmt=format, filename=file.filename or "",
        channel="api",
    )  # fmt: skip


class ReconcileRequest(BaseModel):
    seller: str | None = Field(default=None, max_length=18)
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")
    as_of: date | None = None
    overdue_days: int | None = Field(default=None, ge=1, le=3650)


@router.post(
    "/finance/reconcile", response_model=ReconcileReport, summary="Reconcile declared exports with the money 收汇对账"
)
def reconcile(request: Request, p: Caller, body: ReconcileRequest) -> dict[str, Any]:
    code = _seller(request, p, body.seller)
    return pipeline.reconcile(
        settings_of(request), code, start=body.start, end=body.end, as_of=body.as_of, overdue_days=body.overdue_days
    )


@router.get("/finance", response_model=FinancePageRead, summary="The reconciliation's figures by month 收汇对账概览")
def figures(
    p: Caller,
    uow: Uow,
    seller: Seller = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    status: Annotated[str, Query(max_length=14, pattern="^(|received|partial|not_received|overdue)$")] = "",
) -> FinancePageRead:
    require_business_data(p)
    code = own_seller(uow.session, p, seller, what_en="settlements and receipts", what_zh="结算与收汇")
    return finance.page_figures(uow.session, code, start=start, end=end, status=status)


@router.get(
    "/finance/lists/{list_id}",
    response_model=ListMoneyRead,
    summary="One list's bridge and settlement rows 清单收汇明细",
)
def list_money(list_id: Id, p: Caller, uow: Uow) -> ListMoneyRead:
    require_business_data(p)
    return finance.list_money(uow.session, p.scope(), list_id)


@router.get(
    "/finance/report.xlsx", summary="The period's reconciliation workbook 收汇对账报表", response_class=Response
)
def report(
    request: Request,
    p: Caller,
    seller: Seller = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    code = _seller(request, p, seller)
    with UnitOfWork(settings_of(request)) as uow:
        data = finance.reconcile_workbook(uow.session, code, start=start, end=end)
    name = f"reconciliation-{code}-{start or 'all'}-{end or 'all'}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/finance/prequalification",
    response_model=SealedPackageRead,
    summary="Financing pre-qualification, signed (not a lending decision) 融资预审数据包",
)
def prequalification(request: Request, p: Caller, seller: Seller = None) -> Response:
    """The seller's score, suggested limit and every factor, as a JSON data package signed by the
    platform (Ed25519); ``cbec finance verify`` checks it."""
    code = _seller(request, p, seller)
    sealed = pipeline.prequalify(settings_of(request), code)
    return Response(
        json.dumps(sealed, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="prequalification-{code}.json"'},
    )
