"""Submissions (uploads, API pushes, CLI imports) as a list, and their errors as files a
spreadsheet opens: the rows that could not be read and the checks each stored document failed."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from cbec.accounts.rules import require_business_data
from cbec.intake import service as intake
from cbec.intake.schemas import SubmissionPage, SubmissionRead
from cbec.web.deps import Caller, Id, Paging, Uow

router = APIRouter(tags=["documents 单证"])

HEADER = ["document 单证", "line 行", "field 字段", "code 代码", "message_zh 说明", "message_en message"]


def error_rows(report: SubmissionRead) -> list[list[Any]]:
    """Every error of a submission, a row each: unreadable rows first, then failed documents."""
    return [
        [
            e.get("document", ""),
            e.get("line") or "",
            e.get("field", ""),
            e.get("code") or e.get("error", ""),
            e.get("message_zh", ""),
            e.get("message_en", ""),
        ]
        for e in [*report.errors, *report.document_errors]
    ]


def errors_csv(report: SubmissionRead) -> bytes:
    """The errors as CSV (UTF-8 with BOM, so a spreadsheet reads the Chinese right)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    w.writerows(error_rows(report))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def errors_xlsx(report: SubmissionRead) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "errors 错误"
    ws.append(HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in error_rows(report):
        ws.append(row)
    for column, width in zip("ABCDEF", (46, 8, 18, 16, 60, 60), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@router.get("/uploads", summary="Submissions, newest first 提交记录列表", response_model=SubmissionPage)
def list_submissions(p: Caller, uow: Uow, paging: Paging) -> SubmissionPage:
    require_business_data(p)
    return intake.list_submissions(uow.session, p.scope(), paging)


@router.get(
    "/uploads/{inbox_id}/errors.xlsx", summary="A submission's errors as XLSX 错误明细下载", response_class=Response
)
def upload_errors_xlsx(inbox_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    report = intake.submission_report(uow.session, p.scope(), inbox_id)
    return Response(
        errors_xlsx(report),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="submission-{inbox_id}-errors.xlsx"'},
    )
