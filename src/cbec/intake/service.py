"""One-point intake: store raw, parse, validate, keep every document and its versions.

The raw bytes are stored (blob + inbox row) before anything is parsed, so a file that cannot be
read is still kept and its failure recorded. Documents that break rules are stored with their
errors (``is_valid`` false) and can be corrected and resubmitted: the corrected submission becomes
the next version of the same document.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec.accounts.rules import mask_personal
from cbec.audit import service as audit
from cbec.config import Settings
from cbec.errors import CbecError, Conflict, FieldError, InvalidInput, NotFound
from cbec.intake import announce, blobs, repository
from cbec.intake.documents import DocType, ParseContext, ParsedDocument
from cbec.intake.formats import Format, detect, parse_format, parser_for
from cbec.intake.models import Document, InboxItem
from cbec.intake.parsers.base import ParseResult
from cbec.intake.rules import StoredVersion, VersionOutcome, convert_to_cny, decide_version, validate
from cbec.intake.schemas import (
    DocumentPage,
    DocumentRead,
    DocumentSummaryRead,
    SubmissionPage,
    SubmissionRead,
    SubmissionSummaryRead,
)
from cbec.kit.codes import CodeLists, code_lists
from cbec.kit.fx import FxTable, fx_table
from cbec.kit.money import fits_n19_5
from cbec.kit.paging import PageRequest
from cbec.kit.read import Page
from cbec.orm import utcnow

Progress = Callable[[int, int], None]
#: decides whether the submitter may send a document: None to admit, or the reason it may not
Admit = Callable[[ParsedDocument], str | None]


class NotPermitted(CbecError):
    """The submitter's roles do not cover a document in its submission (HTTP 403)."""

    code = "forbidden"
    http_status = 403


_ORDER_TYPES = {DocType.EXPORT_ORDER.value, DocType.IMPORT_ORDER.value}


@dataclass
class ImportReport:
    inbox_id: int
    format: str
    sha256: str
    documents: int = 0
    new: int = 0
    duplicates: int = 0
    new_versions: int = 0
    invalid: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    parser_stats: dict[str, int] = field(default_factory=dict)
    row_errors: list[dict[str, Any]] = field(default_factory=list)
    invalid_documents: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    stored_order_nos: set[str] = field(default_factory=set)
    failure: CbecError | None = None
    #: (seller, SKU) → (item name, HS code the sender gave or "") of goods lines, for the catalogue
    skus: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def as_dict(self, *, max_errors: int = 50) -> dict[str, Any]:
        return {
            "status": "failed" if self.failure else "done",
            "error": self.failure.as_dict() if self.failure else None,
            "inbox_id": self.inbox_id,
            "format": self.format,
            "sha256": self.sha256,
            "documents": self.documents,
            "new": self.new,
            "duplicates": self.duplicates,
            "new_versions": self.new_versions,
            "invalid": self.invalid,
            "by_type": dict(self.by_type),
            "parser": self.parser_stats,
            "row_errors": self.row_errors[:max_errors],
            "row_error_count": len(self.row_errors),
            "invalid_documents": self.invalid_documents[:max_errors],
            "seconds": round(self.seconds, 3),
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def _plain(values: dict[str, Any] | Any) -> Any:
    """Head/lines as JSON-able values: Decimals become their exact text."""
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in values.items()}


def _fits(value: Any, length: int) -> str | None:
    text = str(value or "")
    return text if 0 < len(text) <= length else None


def _key_column(key: str) -> str:
    """Document keys longer than the column keep a prefix and a hash of the whole key."""
    if len(key) <= 200:
        return key
    return key[:150] + "#" + blobs.sha256_hex(key.encode())


def _row_for(
    doc: ParsedDocument, errors: list[FieldError], *, inbox_id: int, ctx: ParseContext, now: Any
) -> dict[str, Any]:
    head = _plain(doc.head)
    lines = [_plain(line) for line in doc.lines]
    content = json.dumps({"head": head, "lines": lines}, sort_keys=True, ensure_ascii=False, default=_json_default)
    gv = doc.head.get("goodsValue")
    ebc = str(doc.head.get("ebcCode") or "")
    return {
        "doc_type": doc.doc_type.value,
        "doc_key": _key_column(doc.key),
        "is_valid": not errors,
        "content_sha256": blobs.sha256_hex(content.encode()),
        "inbox_id": inbox_id,
        "source_ref": doc.source_ref[:100],
        "seller_code": ebc if 0 < len(ebc) <= 18 else ctx.seller_code,
        "sender_code": ctx.sender_code or ctx.seller_code,
        "received_at": now,
        # index columns hold a value only when it fits; an invalid document keeps the value as
        # received in ``head`` (its errors say what is wrong), never loses the row
        "order_no": _fits(doc.head.get("orderNo"), 60),
        "logistics_no": _fits(doc.head.get("logisticsNo"), 60),
        "country": _fits(doc.head.get("destinationCountry") or doc.head.get("country"), 3),
        "currency": _fits(doc.head.get("currency"), 3),
        "goods_value": gv if isinstance(gv, Decimal) and fits_n19_5(gv) else None,
        "line_count": sum(1 for line in doc.lines if "kind" not in line),
        "head": head,
        "lines": lines,
        "errors": [e.as_dict() for e in errors],
    }


def accept(
    session: Session,
    settings: Settings,
    data: bytes,
    ctx: ParseContext,
    *,
    fmt: str = "auto",
    filename: str = "",
    channel: str = "cli",
) -> InboxItem:
    """Keep a submission exactly as received (blob + inbox row). Does not commit.

    The edge commits this on its own before reading the submission, so a file that cannot be
    read is never lost.
    """
    chosen = parse_format(fmt)
    if chosen is Format.AUTO:
        try:
            chosen = detect(data, filename)
        except CbecError:
            chosen = Format.AUTO  # kept as received; reading it will fail with the reason
    return keep_raw(
        session, settings, data, seller_code=ctx.seller_code, sender_code=ctx.sender_code,
        format_name=chosen.value, filename=filename, channel=channel,
    )  # fmt: skip


def _audit_submission(session: Session, item: InboxItem) -> None:
    keys = ("seller_code", "sender_code", "format", "filename", "size", "sha256", "channel")
    audit.record(session, "submission", f"inbox:{item.id}", {k: getattr(item, k) for k in keys})


def keep_raw(
    session: Session,
    settings: Settings,
    data: bytes,
    *,
    seller_code: str,
    sender_code: str,
    format_name: str,
    filename: str = "",
    channel: str = "cli",
) -> InboxItem:
    """Keep a submission another area reads (a settlement, a receipts ledger) exactly as received,
    in the same inbox as orders. Does not commit; the edge commits it before reading."""
    digest, _ = blobs.put(settings.inbox_dir, data)
    item = repository.add_inbox_item(
        session,
        sender_code=sender_code or seller_code,
        seller_code=seller_code,
        format=format_name[:30],
        filename=Path(filename).name[:255],
        sha256=digest,
        size=len(data),
        channel=channel,
    )
    _audit_submission(session, item)
    return item


def raw_bytes(settings: Settings, item: InboxItem) -> bytes:
    """The bytes of a kept submission."""
    return blobs.get(settings.inbox_dir, item.sha256)


def record_run(
    session: Session, inbox_id: int, *, status: str, stats: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    """What reading a kept submission gave (the submissions page shows it)."""
    repository.add_intake_run(session, inbox_id=inbox_id, status=status, stats=stats, errors=errors[:1000])


def process(
    session: Session,
    settings: Settings,
    item: InboxItem,
    ctx: ParseContext,
    *,
    progress: Progress | None = None,
    admit: Admit | None = None,
) -> ImportReport:
    """Read an accepted submission into documents. Does not commit; never raises for bad input:
    a submission that cannot be read gets a failed intake run and ``report.failure``."""
    started = time.perf_counter()
    report = ImportReport(inbox_id=item.id, format=item.format, sha256=item.sha256)
    try:
        if item.format == Format.AUTO.value:
            detect(b"", item.filename)  # raises the "cannot tell the format" error
        data = blobs.get(settings.inbox_dir, item.sha256)
        parsed: ParseResult = parser_for(Format(item.format))(data, ctx)
    except CbecError as exc:
        report.failure = exc
        report.seconds = time.perf_counter() - started
        repository.add_intake_run(session, inbox_id=item.id, status="failed", stats={}, errors=[exc.as_dict()])
        return report
    try:
        store_documents(
            session,
            parsed.documents,
            ctx,
            inbox_id=item.id,
            report=report,
            progress=progress,
            size_hint=parsed.size_hint,
            admit=admit,
        )
    except CbecError as exc:  # a streaming parser met something it cannot read: keep nothing half-stored
        session.rollback()
        report.failure = exc
        report.seconds = time.perf_counter() - started
        repository.add_intake_run(session, inbox_id=item.id, status="failed", stats={}, errors=[exc.as_dict()])
        return report
    # a streaming parser completes its stats and errors only once its documents are consumed
    report.parser_stats = dict(parsed.stats)
    report.row_errors = [e.as_dict() for e in parsed.errors]
    report.seconds = time.perf_counter() - started
    repository.add_intake_run(
        session,
        inbox_id=item.id,
        status="done",
        stats={k: v for k, v in report.as_dict(max_errors=0).items() if isinstance(v, int | float | dict)},
        errors=report.row_errors[:1000],
    )
    return report


def _another_sellers(row: dict[str, Any]) -> Conflict:
    """Refused, nothing of the file stored: one tenant never replaces another's document under the
    same platform order or waybill number."""
    return Conflict(
        f"{row['doc_type']} {row['doc_key']} ({row['source_ref']}) belongs to another seller; "
        "it cannot be replaced by this submission",
        f"{row['doc_type']} {row['doc_key']}（{row['source_ref']}）属于其他电商企业，本次提交不能替换它",
        document=f"{row['doc_type']} {row['doc_key']}",
        field="doc_key",
    )


def _count_stored(report: ImportReport, row: dict[str, Any]) -> None:
    """What the report says about a stored document: invalid ones, order numbers, SKUs seen."""
    if not row["is_valid"]:
        report.invalid += 1
        if len(report.invalid_documents) < 200:
            report.invalid_documents.append(
                {
                    "document": row["doc_key"],
                    "type": row["doc_type"],
                    "source": row["source_ref"],
                    "errors": row["errors"][:10],
                }
            )
    if row["order_no"] and row["doc_type"] != DocType.ORDER_CANCEL.value:
        report.stored_order_nos.add(row["order_no"])
    if row["doc_type"] in _ORDER_TYPES:
        for line in row["lines"]:
            if "kind" not in line and line.get("itemNo"):
                report.skus.setdefault(
                    (row["seller_code"], str(line["itemNo"])),
                    (str(line.get("itemName") or ""), str(line.get("hsCode") or line.get("gcode") or "")),
                )


def _checked_row(
    doc: ParsedDocument,
    codes: CodeLists,
    rates: FxTable,
    admit: Admit | None,
    *,
    inbox_id: int,
    ctx: ParseContext,
    now: Any,
) -> dict[str, Any]:
    """The row of one admitted, validated document; one the sender may not send stops the file."""
    if admit is not None and (reason := admit(doc)) is not None:
        raise NotPermitted(
            f"{doc.label}: not accepted from this sender: {reason}",
            f"{doc.label}：提交方无权提交此单证：{reason}",
            document=doc.label,
            field="sender",
        )
    converted, fx_errors = convert_to_cny(doc, rates)
    checked, errors = validate(converted, codes)
    if fx_errors:  # the currency is not a customs code until a rate converts it: say that, once
        errors = [*fx_errors, *(e for e in errors if e.field != "currency")]
    return _row_for(checked, errors, inbox_id=inbox_id, ctx=ctx, now=now)


def store_documents(
    session: Session,
    documents: Iterable[ParsedDocument],
    ctx: ParseContext,
    *,
    inbox_id: int,
    report: ImportReport,
    progress: Progress | None = None,
    batch: int = 2000,
    size_hint: int | None = None,
    admit: Admit | None = None,
) -> None:
    """Validate and store documents in batches; duplicates are skipped, changes versioned.

    With ``admit``, a document the submitter may not send stops the whole submission (nothing
    of it is stored; the raw submission stays in the inbox with the refusal recorded)."""
    codes = code_lists()
    rates = fx_table()  # read once a submission, not once a document
    total = len(documents) if isinstance(documents, Sized) else size_hint
    now = utcnow()
    stream = iter(documents)
    done = 0
    while chunk := list(islice(stream, batch)):
        done += len(chunk)
        rows = [_checked_row(doc, codes, rates, admit, inbox_id=inbox_id, ctx=ctx, now=now) for doc in chunk]
        existing = repository.current_by_keys(session, {(r["doc_type"], r["doc_key"]) for r in rows})
        to_insert: list[dict[str, Any]] = []
        superseded: list[int] = []
        pending: dict[tuple[str, str], dict[str, Any]] = {}
        for row in rows:
            key = (row["doc_type"], row["doc_key"])
            report.documents += 1
            report.by_type[row["doc_type"]] += 1
            earlier = pending.get(key)
            old = existing.get(key)
            decision = decide_version(
                row["content_sha256"],
                row["seller_code"],
                earlier_in_batch=StoredVersion(None, earlier["version"], earlier["content_sha256"], row["seller_code"])
                if earlier is not None
                else None,
                stored=StoredVersion(*old) if old is not None else None,
            )
            if decision.outcome is VersionOutcome.CONFLICT:
                raise _another_sellers(row)
            if decision.outcome is VersionOutcome.DUPLICATE:
                report.duplicates += 1
                continue
            if earlier is not None:
                earlier["is_current"] = False
            if decision.supersedes is not None:
                superseded.append(decision.supersedes)
            if decision.outcome is VersionOutcome.NEW:
                report.new += 1
            else:
                report.new_versions += 1
            row["version"] = decision.version
            row["is_current"] = True
            pending[key] = row
            to_insert.append(row)
            _count_stored(report, row)
        if superseded:
            repository.supersede(session, superseded)
        repository.insert_documents(session, to_insert)
        announce.stored(session, to_insert)
        if progress:
            progress(done, max(total or done, done))


# --- read side -------------------------------------------------------------------------------


def _document_dict(d: Document, *, reveal: bool = False) -> dict[str, Any]:
    """A stored document as partners and people see it; personal data masked unless revealed."""
    out = {
        "id": d.id,
        "type": d.doc_type,
        "key": d.doc_key,
        "version": d.version,
        "is_current": d.is_current,
        "is_valid": d.is_valid,
        "seller_code": d.seller_code,
        "sender_code": d.sender_code,
        "received_at": d.received_at,
        "order_no": d.order_no,
        "logistics_no": d.logistics_no,
        "country": d.country,
        "currency": d.currency,
        "goods_value": d.goods_value,
        "line_count": d.line_count,
        "inbox_id": d.inbox_id,
        "source_ref": d.source_ref,
        "head": d.head,
        "lines": d.lines,
        "errors": d.errors,
    }
    return out if reveal else mask_personal(out)


def list_documents(
    session: Session,
    scope: frozenset[str] | None,
    req: PageRequest,
    *,
    doc_type: str | None = None,
    is_valid: bool | None = None,
    q: str | None = None,
    current_only: bool = True,
) -> DocumentPage:
    if doc_type and doc_type not in {t.value for t in DocType}:
        allowed = ", ".join(t.value for t in DocType)
        raise InvalidInput(
            f"unknown document type {doc_type!r}; allowed: {allowed}",
            f"未知单证类型 {doc_type!r}；可选：{allowed}",
            field="type",
        )
    total, rows = repository.list_documents(
        session,
        scope,
        doc_type=doc_type,
        is_valid=is_valid,
        q=q,
        current_only=current_only,
        offset=req.offset,
        limit=req.page_size,
    )
    items = [DocumentSummaryRead.model_validate(_document_dict(d)) for d in rows]
    return DocumentPage(
        items=items, total=total, page=req.page, page_size=req.page_size, pages=max(1, -(-total // req.page_size))
    )


def document_counts(session: Session, seller_code: str | None = None) -> dict[str, dict[str, int]]:
    """Current documents by type, valid and invalid."""
    docs: dict[str, dict[str, int]] = {}
    for t, valid, n in repository.counts_by_type(session, seller_code):
        d = docs.setdefault(t, {"valid": 0, "invalid": 0})
        d["valid" if valid else "invalid"] += n
    return docs


def submission_count(session: Session) -> int:
    return repository.inbox_count(session)


def current_order_heads(session: Session, doc_type: DocType, seller_code: str) -> list[tuple[str, dict[str, Any], int]]:
    """(order number, head, line count) of a seller's current orders of a type, oldest first."""
    return repository.current_heads(session, doc_type.value, seller_code)


def value_by_country(session: Session, doc_type: DocType) -> list[tuple[str, int, Decimal | None]]:
    """(country, orders, goods value) of the current orders of a type, the largest value first."""
    return repository.value_by_country(session, doc_type.value)


def documents_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Document]:
    """Stored documents by id (the declaration path reads a selection's orders, waybills and
    payments at once)."""
    return repository.documents_by_ids(session, ids)


def newer_version(session: Session, doc_id: int) -> Document | None:
    """The current, valid version of a document when it is not ``doc_id`` itself: an order that
    changed after it was declared."""
    current = repository.current_version_of(session, doc_id)
    return current if current is not None and current.id != doc_id and current.is_valid else None


def get_document(session: Session, scope: frozenset[str] | None, doc_id: int, *, reveal: bool = False) -> DocumentRead:
    d = repository.get_scoped_document(session, scope, doc_id)
    if d is None:
        raise NotFound(f"document {doc_id} not found", f"单证 {doc_id} 不存在", field="id")
    out = _document_dict(d, reveal=reveal)
    out["versions"] = [
        {
            "id": v.id,
            "version": v.version,
            "is_current": v.is_current,
            "is_valid": v.is_valid,
            "received_at": v.received_at,
        }
        for v in repository.history(session, d.doc_type, d.doc_key)
    ]
    return DocumentRead.model_validate(out)


def submission_report(session: Session, scope: frozenset[str] | None, inbox_id: int) -> SubmissionRead:
    """What became of one submission: its format, counts and per-row errors."""
    item = repository.get_inbox_item(session, scope, inbox_id)
    if item is None:
        raise NotFound(f"submission {inbox_id} not found", f"提交 {inbox_id} 不存在", field="id")
    run = repository.last_run(session, inbox_id)
    return SubmissionRead.model_validate(
        {
            "inbox_id": item.id,
            "filename": item.filename,
            "format": item.format,
            "sha256": item.sha256,
            "size": item.size,
            "channel": item.channel,
            "received_at": item.received_at,
            "seller_code": item.seller_code,
            "sender_code": item.sender_code,
            "status": run.status if run else "received",
            "stats": run.stats if run else {},
            "errors": mask_personal(run.errors) if run else [],
            "document_errors": _document_errors(repository.invalid_documents_of(session, item.id)),
        }
    )


def _document_errors(docs: Iterable[Document]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for d in docs:
        where = f"{d.doc_type} {d.doc_key}" + (f" ({d.source_ref})" if d.source_ref else "")
        out.extend({**e, "document": e.get("document") or where} for e in mask_personal(d.errors))
    return out


def list_submissions(session: Session, scope: frozenset[str] | None, req: PageRequest) -> SubmissionPage:
    """The submissions (uploads, API pushes, CLI imports) in the scope, newest first, each with
    what became of it."""
    total, items = repository.list_inbox_items(session, scope, offset=req.offset, limit=req.page_size)
    runs = repository.last_runs(session, [i.id for i in items])
    rows = []
    for item in items:
        run = runs.get(item.id)
        stats = run.stats if run else {}
        rows.append(
            SubmissionSummaryRead(
                inbox_id=item.id,
                filename=item.filename,
                format=item.format,
                channel=item.channel,
                received_at=item.received_at,
                seller_code=item.seller_code,
                sender_code=item.sender_code,
                status=run.status if run else "received",
                documents=int(stats.get("documents", 0) or 0),
                invalid=int(stats.get("invalid", 0) or 0),
                row_errors=len(run.errors) if run else 0,
            )
        )
    page = Page.of(rows, total, req)
    return SubmissionPage(**page.model_dump(exclude={"items"}), items=rows)


def documents_of_order(session: Session, scope: frozenset[str] | None, number: str) -> list[DocumentSummaryRead]:
    """Every version of the documents of the order named by ``number`` (its order number or a
    waybill number of it): the order, its waybills and payments, oldest first, in the scope."""
    found = repository.documents_by_number(session, scope, number)
    order_nos = sorted({d.order_no for d in found if d.order_no})
    rows = repository.documents_by_order_nos(session, scope, order_nos) if order_nos else found
    return [DocumentSummaryRead.model_validate(_document_dict(d)) for d in rows]
