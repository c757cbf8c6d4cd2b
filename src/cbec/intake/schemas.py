"""Intake's read models: a stored document, a page of them and a submission, as the partner API
and the pages show them (``response_model``). Personal data in them is masked unless opened."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cbec.kit.read import Amount, Timestamp


class DocumentSummaryRead(BaseModel):
    id: int
    type: str
    key: str
    version: int
    is_current: bool
    is_valid: bool
    seller_code: str
    sender_code: str
    received_at: Timestamp
    order_no: str | None
    logistics_no: str | None
    country: str | None
    currency: str | None
    goods_value: Amount | None
    line_count: int
    inbox_id: int | None
    source_ref: str | None
    errors: list[dict[str, Any]]


class DocumentVersionRead(BaseModel):
    id: int
    version: int
    is_current: bool
    is_valid: bool
    received_at: Timestamp


class DocumentRead(DocumentSummaryRead):
    """A document with its head and lines (CEB field names) and every version of its key."""

    head: dict[str, Any]
    lines: list[dict[str, Any]]
    versions: list[DocumentVersionRead] = []


class DocumentPage(BaseModel):
    items: list[DocumentSummaryRead]
    total: int
    page: int
    page_size: int
    pages: int


class SubmissionRead(BaseModel):
    """What became of one submission: its format, counts and per-row errors."""

    inbox_id: int
    filename: str
    format: str
    sha256: str
    size: int
    channel: str
    received_at: Timestamp
    seller_code: str
    sender_code: str
    status: str
    stats: dict[str, Any]
    errors: list[dict[str, Any]]
    #: the checks each stored document failed (document, line, field, messages), beside the
    #: rows that could not be read at all (``errors``)
    document_errors: list[dict[str, Any]] = []


class SubmissionSummaryRead(BaseModel):
    """One line of the submissions list."""

    inbox_id: int
    filename: str
    format: str
    channel: str
    received_at: Timestamp
    seller_code: str
    sender_code: str
    status: str
    documents: int
    invalid: int
    row_errors: int


class SubmissionPage(BaseModel):
    items: list[SubmissionSummaryRead]
    total: int
    page: int
    page_size: int
    pages: int


class MatchSummaryRead(BaseModel):
    orders: int
    by_state: dict[str, int]
    by_reason: dict[str, int]


class ImportReportRead(BaseModel):
    """What one submission made: documents stored, new, duplicate, new versions, invalid (each
    with its errors), the SKUs it registered and the re-matching of the orders it touched."""

    status: str
    error: dict[str, Any] | None
    inbox_id: int | None
    format: str
    sha256: str
    documents: int
    new: int
    duplicates: int
    new_versions: int
    invalid: int
    by_type: dict[str, int]
    parser: dict[str, Any]
    row_errors: list[dict[str, Any]]
    row_error_count: int
    invalid_documents: list[dict[str, Any]]
    seconds: float
    new_skus: int | None = None
    matching: MatchSummaryRead | None = None
