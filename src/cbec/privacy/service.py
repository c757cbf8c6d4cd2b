"""Erasing one buyer's personal data (issue 21, part 3; docs/privacy.md), and opening what the
law requires to keep. The service never commits: the edge commits, then removes the blobs no
longer referred to and compacts the database (``cbec.pipeline.erase_buyer``).

Order of the work: find everything of the person, encrypt the copy to keep, then mask the
documents (every version), the declarations' entities, the outbox payloads, the tax inputs, the
raw blobs and the message files, and replace the derived keys (tax ledger, risk traces) by the
erasure's token. The audit entry holds the token and the counts, never a value."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.customs.models import Declaration, OutboxMessage
from cbec.errors import InvalidInput, NotFound
from cbec.intake.models import Document
from cbec.orm import utcnow
from cbec.privacy import files, repository
from cbec.privacy import rules as r
from cbec.privacy.keys import RetentionKey
from cbec.privacy.models import RetainedRecord
from cbec.privacy.schemas import ErasureRead, RetainedOpened, RetainedRead
from cbec.risk import rules as risk_rules


def new_token() -> str:
    """18 characters, the width of an ID number (the ledger's column): "E" and 17 random hex
    digits. A resident ID never starts with a letter, so a token is never taken for one."""
    return "E" + secrets.token_hex(9)[:17].upper()


def normalise_id(value: str) -> str:
    return value.strip().upper()


@dataclass(slots=True)
class _Found:
    id_number: str
    orders: list[Document]
    related: list[Document]
    declarations: list[Declaration]
    messages: list[OutboxMessage]
    person: r.PersonValues

    @property
    def documents(self) -> list[Document]:
        return self.orders + self.related

    @property
    def order_nos(self) -> set[str]:
        return {d.order_no for d in self.orders if d.order_no}

    @property
    def last_on(self) -> date:
        moments: list[datetime] = [d.received_at for d in self.documents]
        moments += [d.updated_at for d in self.declarations]
        return max(moments).date() if moments else utcnow().date()


def _find(session: Session, id_number: str) -> _Found:
    orders = list(repository.orders_of_buyer(session, id_number))
    if not orders:
        raise NotFound(
            "no import order names this buyer ID number",
            "没有订购人证件号码为此号码的进口订单",
            field="buyer_id_number",
        )
    order_nos = {d.order_no for d in orders if d.order_no}
    related = repository.related_documents(session, id_number, order_nos, {d.id for d in orders})
    declarations = repository.declarations_of_orders(session, order_nos)
    messages = repository.outbox_messages(session, {d.outbox_id for d in declarations if d.outbox_id})
    records: list[Any] = []
    for d in orders + related:
        records += [d.head, *d.lines]
    records += [d.entity for d in declarations]
    person = r.PersonValues.collect(x for x in records if isinstance(x, dict))
    person = r.PersonValues(person.values | {id_number})
    return _Found(id_number, orders, related, declarations, messages, person)


def _document(d: Document) -> dict[str, Any]:
    return {
        "id": d.id, "docType": d.doc_type, "version": d.version, "orderNo": d.order_no, "inboxId": d.inbox_id,
        "receivedAt": d.received_at.isoformat(), "head": d.head, "lines": d.lines,
    }  # fmt: skip


def _declaration(d: Declaration) -> dict[str, Any]:
    return {
        "id": d.id, "messageType": d.message_type, "orderNo": d.order_no, "invtNo": d.invt_no, "status": d.status,
        "entity": d.entity,
    }  # fmt: skip


def _message(m: OutboxMessage) -> dict[str, Any]:
    return {
        "id": m.id, "guid": m.guid, "filename": m.filename, "sha256": hashlib.sha256(m.payload).hexdigest(),
        "payload": base64.b64encode(m.payload).decode("ascii"),
    }  # fmt: skip


def _content(session: Session, found: _Found, token: str, reason: str) -> dict[str, Any]:
    """What is kept, as it was: the documents, the declarations and the messages as sent
    (signed), the ledger's amounts and the tax inputs."""
    return {
        "token": token,
        "buyerIdNumber": found.id_number,
        "reason": reason,
        "documents": [_document(d) for d in found.documents],
        "declarations": [_declaration(d) for d in found.declarations],
        "messages": [_message(m) for m in found.messages],
        "ledger": repository.ledger_rows(session, found.id_number),
        "taxAssessments": [
            {"id": a.id, "input": a.input, "result": a.result}
            for a in repository.import_assessments(session, found.order_nos)
        ],
    }


def _retain(
    session: Session, found: _Found, key: RetentionKey, token: str, reason: str, now: datetime
) -> RetainedRecord:
    content = json.dumps(_content(session, found, token, reason), ensure_ascii=False, default=str)
    record = RetainedRecord(
        token=token,
        erased_at=now,
        retain_until=r.retain_until(found.last_on),
        reason=reason[:500],
        counts={},
        key_id=key.key_id,
        ciphertext=key.encrypt(content.encode("utf-8")),
    )
    repository.add_retained(session, record)
    return record


def _content_sha256(head: dict[str, Any], lines: list[Any]) -> str:
    content = json.dumps({"head": head, "lines": lines}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def _erase_documents(found: _Found) -> dict[str, int]:
    fields = 0
    for d in found.documents:
        head, n = r.erase_fields(d.head)
        lines, m = r.erase_fields(d.lines)
        errors, _ = r.erase_text(d.errors, found.person)
        head, _ = r.erase_text(head, found.person)
        d.head, d.lines, d.errors = head, lines, errors
        d.content_sha256 = _content_sha256(head, lines)
        fields += n + m
    return {"documents": len(found.documents), "document_fields": fields}


def _erase_declarations(found: _Found) -> dict[str, int]:
    fields = occurrences = 0
    for d in found.declarations:
        entity, n = r.erase_fields(d.entity)
        d.entity, _ = r.erase_text(entity, found.person)
        fields += n
    for m in found.messages:
        m.payload, n = r.redact_bytes(m.payload, found.person)
        occurrences += n
    return {
        "declarations": len(found.declarations),
        "declaration_fields": fields,
        "outbox_messages": len(found.messages),
        "outbox_occurrences": occurrences,
    }


def _erase_derived(session: Session, found: _Found, token: str) -> dict[str, int]:
    """Tax inputs masked; the ledger's amounts kept under the token; risk traces' digests (an
    unkeyed SHA-256 of an ID, a phone or an address can be found again by trying every value)
    replaced by digests of the token, and the hits' free text masked."""
    assessments = repository.import_assessments(session, found.order_nos)
    for a in assessments:
        a.input, _ = r.erase_text(r.erase_fields(a.input)[0], found.person)
        a.result, _ = r.erase_text(r.erase_fields(a.result)[0], found.person)
    ids = {found.id_number} | {str(d.head.get("buyerIdNumber") or "") for d in found.orders} - {""}
    ledger = sum(repository.rekey_ledger(session, i, token) for i in sorted(ids))
    traces = repository.risk_traces(session, risk_rules.digest("id", found.id_number), {d.id for d in found.orders})
    for t in traces:
        t.buyer_key = risk_rules.digest("erased", f"{token}/buyer")
        t.phone_key = risk_rules.digest("erased", f"{token}/phone")
        t.address_key = risk_rules.digest("erased", f"{token}/address")
    hits = repository.risk_hits(session, {d.id for d in found.orders})
    for h in hits:
        h.note, _ = r.erase_text(h.note, found.person)
        h.detail, _ = r.erase_text(h.detail, found.person)
    return {"tax_assessments": len(assessments), "ledger_entries": ledger, "risk_traces": len(traces),
            "risk_hits": len(hits)}  # fmt: skip


def _erase_blobs(session: Session, found: _Found, inbox_dir: Path, now: datetime) -> tuple[dict[str, int], list[str]]:
    """Each raw submission that held the person's documents: rewritten with the values masked
    (a new blob, a new digest), or, for a binary file, removed. The old blob is removed after
    the commit (it still backs the inbox rows until then)."""
    rewritten = removed = 0
    stale: list[str] = []
    items = repository.inbox_items(session, {d.inbox_id for d in found.documents})
    for item in items:
        if item.erased_at is not None and not item.sha256:
            continue
        old = item.sha256
        outcome = files.redact_blob(inbox_dir, old, item.format, found.person)
        for same in repository.items_with_blob(session, old):
            same.sha256, same.size, same.erased_at = outcome.new or "", outcome.size, now
        rewritten, removed = rewritten + (outcome.new is not None), removed + (outcome.new is None)
        if outcome.new != old:
            stale.append(old)
    runs = repository.intake_runs(session, {i.id for i in items})
    for run in runs:
        run.errors, _ = r.erase_text(run.errors, found.person)
        run.stats, _ = r.erase_text(run.stats, found.person)
    session.flush()
    return {"inbox_blobs_rewritten": rewritten, "inbox_blobs_removed": removed, "intake_runs": len(runs)}, stale


def erase_buyer(
    session: Session,
    *,
    id_number: str,
    reason: str,
    key: RetentionKey,
    inbox_dir: Path,
    messages_dir: Path,
    token: str | None = None,
) -> ErasureRead:
    """Erase one buyer (by the ID number on import orders) everywhere; keep the encrypted copy.
    Flushed, not committed; message files are rewritten now (idempotent), old blobs are listed
    for removal after the commit."""
    id_number, reason = normalise_id(id_number), reason.strip()
    if not id_number or not reason:
        raise InvalidInput(
            "give the buyer's ID number and the reason", "请提供订购人证件号码和删除理由", field="reason"
        )
    repository.secure_delete(session)
    found = _find(session, id_number)
    reason, _ = r.erase_text(reason, found.person)
    token, now = token or new_token(), utcnow()
    record = _retain(session, found, key, token, reason, now)
    counts = _erase_documents(found) | _erase_declarations(found) | _erase_derived(session, found, token)
    blob_counts, stale = _erase_blobs(session, found, inbox_dir, now)
    message_files = files.redact_messages(messages_dir, found.person)
    counts |= blob_counts | {"message_files": message_files.files, "message_occurrences": message_files.occurrences}
    counts |= {f"message_files_{folder}": n for folder, n in sorted(message_files.folders.items())}
    record.counts = counts
    session.flush()
    audit.record(session, "privacy.erase", f"erasure:{token}", {"counts": counts, "reason": reason})
    return ErasureRead(
        token=token, counts=counts, retain_until=record.retain_until, key_id=key.key_id, stale_blobs=stale
    )


def remove_stale_blobs(session: Session, inbox_dir: Path, digests: list[str]) -> int:
    """After the erasure committed: remove the old blobs no inbox item refers to any more."""
    unused = [d for d in digests if d and not repository.blob_in_use(session, d)]
    return files.remove_blobs(inbox_dir, unused)


def compact(engine: Engine) -> dict[str, Any]:
    return repository.compact(engine)


def _read(rec: RetainedRecord) -> RetainedRead:
    return RetainedRead(
        token=rec.token, erased_at=rec.erased_at, retain_until=rec.retain_until, reason=rec.reason,
        counts=rec.counts, key_id=rec.key_id,
    )  # fmt: skip


def retained_records(session: Session, limit: int = 100) -> list[RetainedRead]:
    return [_read(rec) for rec in repository.retained_list(session, limit)]


def open_retained(session: Session, token: str, key: RetentionKey, reason: str) -> RetainedOpened:
    """Decrypt one retention record for a purpose the law names (a customs audit, a court);
    the opening is recorded in the audit trail with its reason (PIPL 第47条: nothing but storage
    and protection otherwise)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the record is opened", "请说明打开理由", field="reason")
    rec = repository.retained(session, token.strip().upper())
    if rec is None:
        raise NotFound(f"no retention record {token}", f"没有保留记录 {token}", field="token")
    content = json.loads(key.decrypt(rec.ciphertext))
    person = r.PersonValues(frozenset({str(content.get("buyerIdNumber") or "")}) - {""})
    for doc in content.get("documents", []):
        person = r.PersonValues(person.values | r.PersonValues.collect([doc["head"], *doc["lines"]]).values)
    reason, _ = r.erase_text(reason, person)
    audit.record(session, "retention.open", f"erasure:{rec.token}", {"reason": reason[:200], "key_id": key.key_id})
    return RetainedOpened(**_read(rec).model_dump(), content=content)
