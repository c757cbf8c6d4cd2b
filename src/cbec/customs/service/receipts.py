"""Receipts: customs' answers applied to the declarations they concern.

Each receipt file is applied once (by its sha256) and every transition goes through the state
machine (``customs.rules.apply_receipt``) and is recorded with the receipt's text. The files are
not moved here: the report lists them (``settle``), and the caller acknowledges them to the
transport after its unit of work commits, so a crash in between leaves them waiting (read again,
they are duplicates by sha256 and change nothing), never archived but unapplied.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cbec.ceb.envelope import open_message
from cbec.ceb.messages import Receipt, parse, parse_receipts
from cbec.customs import repository
from cbec.customs.models import DeclarationEvent
from cbec.customs.rules import QUOTA_GIVEN_BACK, State, apply_receipt, apply_request_receipt, describe
from cbec.customs.schemas import ReceiptReport
from cbec.customs.service import announce
from cbec.customs.service.movements import mark_departed
from cbec.customs.transport import Transport
from cbec.errors import CbecError
from cbec.kit import events
from cbec.orm import utcnow
from cbec.tax.schemas import ImportOrderVoided, ImportReturned
from cbec.warehouse import service as warehouse

CHINA = ZoneInfo("Asia/Shanghai")  # customs' returnTime is Beijing time

CANCEL_MESSAGES = frozenset({"CEB605", "CEB623"})
RETURN_MESSAGES = frozenset({"CEB213", "CEB625"})
REQUEST_MESSAGES = CANCEL_MESSAGES | RETURN_MESSAGES
#: a departure (CEB509) customs took in (120) or concluded (399): its parcels have left
DEPARTED = frozenset({State.STORED, State.CONCLUDED})


@dataclass(frozen=True, slots=True)
class _RequestAnswer:
    """A receipt for a cancellation or return request, which also settles the list it concerns."""

    list_id: int
    request_type: str
    status: int
    info: str
    return_time: str


def apply_receipt_bytes(session: Session, data: bytes, name: str, report: ReceiptReport) -> dict[str, int]:
    """Apply one receipt file (once: a file seen before by its sha256 changes nothing); how many
    receipts left their declaration in each state (``{"duplicate": True}`` for a file seen before)."""
    digest = hashlib.sha256(data).hexdigest()
    if repository.receipt_seen(session, digest):
        report.duplicates += 1
        return {"duplicate": True}
    inner = open_message(data)
    if b"CEB792Message" in inner[:400]:
        return _apply_summary_result(session, inner, name, digest, report)
    receipts = parse_receipts(inner, document=name)
    targets = repository.targets_by_guid(session, [r.guid for r in receipts if r.guid])
    outcome = _apply_receipts_in_bulk(session, receipts, targets, name, report)
    repository.insert_receipt_log(
        session,
        sha256=digest,
        filename=name[:255],
        message_type=receipts[0].message if receipts else "",
        outcome=dict(outcome),
    )
    session.flush()
    return dict(outcome)


@dataclass
class _Batch:
    """What one receipt file changes, written with a few bulk statements."""

    name: str
    now: Any
    status_of: dict[int, str]
    events: list[dict[str, Any]]
    updates: dict[int, dict[str, Any]]
    requests: list[_RequestAnswer]
    given_back: list[int]  # import lists whose buyer's quota comes back
    departed: list[int] = field(default_factory=list)  # departures (CEB509) customs accepted
    released: list[int] = field(default_factory=list)  # lists customs let go (the warehouse is told)


def _apply_receipts_in_bulk(
    session: Session,
    receipts: Sequence[Receipt],
    targets: dict[str, repository.ReceiptTarget],
    name: str,
    report: ReceiptReport,
) -> Counter[str]:
    """The receipts of one file as two statements: the events inserted, the declarations updated.
    A receipt for a cancellation or return request then also settles the list it concerns."""
    outcome: Counter[str] = Counter()
    batch = _Batch(name, utcnow(), {}, [], {}, [], [])
    for r in receipts:
        report.receipts += 1
        t = targets.get(r.guid)
        if t is None and r.keys.get("invtNo"):
            t = repository.target_by_invt_no(session, str(r.keys["invtNo"]))
        if t is None:
            report.unmatched += 1
            outcome["unmatched"] += 1
            continue
        outcome[_apply_one(r, t, batch, report)] += 1
    repository.insert_events(session, batch.events)
    repository.update_declarations(session, list(batch.updates.values()))
    announce.receipts_applied(session, batch.events, batch.updates)
    if batch.given_back:
        _give_quota_back(session, batch.given_back)
    if batch.departed:
        mark_departed(session, batch.departed, batch.now)
    if batch.released:
        _released_to_warehouse(session, batch.released)
    for answer in batch.requests:
        _apply_to_list(session, answer, name, report)
    return outcome


def _apply_one(r: Receipt, t: repository.ReceiptTarget, batch: _Batch, report: ReceiptReport) -> str:
    """One receipt's event and update (in the batch); the state it leaves the declaration in."""
    status = r.status if r.status is not None else 0
    step = apply_receipt(State(batch.status_of.get(t.id, t.status)), status)
    zh, en = describe(status)
    info = (r.returnInfo or f"{zh} / {en}")[:4000]
    batch.events.append(
        {
            "declaration_id": t.id,
            "at": batch.now,
            "before": step.before.value,
            "after": step.after.value,
            "return_status": status,
            "return_time": r.returnTime[:17],
            "return_info": info,
            "source": batch.name[:255],
        }
    )
    row = batch.updates.setdefault(t.id, {"id": t.id})
    row.update(return_status=status, return_info=info)
    for key, attr in (("invtNo", "invt_no"), ("preNo", "pre_no")):
        if r.keys.get(key):
            row[attr] = str(r.keys[key])
    if step.changed:
        batch.status_of[t.id] = step.after.value
        row.update(status=step.after.value, updated_at=batch.now)
        report.transitions[f"{step.before.value}->{step.after.value}"] += 1
        if t.message_type == "CEB621" and step.after in QUOTA_GIVEN_BACK:
            batch.given_back.append(t.id)
        if t.message_type == "CEB509" and step.after in DEPARTED:
            batch.departed.append(t.id)
        if t.message_type in ("CEB603", "CEB621") and step.after in LET_GO:
            batch.released.append(t.id)
    if t.message_type in REQUEST_MESSAGES and t.related_id:
        batch.requests.append(_RequestAnswer(t.related_id, t.message_type, status, info, r.returnTime[:17]))
    return step.after.value


#: the states in which a list's goods have left: released, or concluded without an 800 seen
LET_GO = frozenset({State.RELEASED, State.CONCLUDED, State.CLOSED})


def _released_to_warehouse(session: Session, list_ids: Sequence[int]) -> None:
    """Customs let these lists go: a 1210 list's held units leave the bonded account book, a 9810
    list's customs number is known to the overseas warehouse's reconciliation (decision 0012)."""
    lists = repository.lists_by_id(session, list_ids)
    warehouse.bonded.settle(session, [cop for m, mode, cop, _ in lists if m == "CEB621" and mode == "1210"])
    warehouse.shipments_released(session, {cop: invt for m, mode, cop, invt in lists if mode == "9810" and invt})


def _give_quota_back(session: Session, list_ids: Sequence[int], returned: ImportReturned | None = None) -> None:
    """These import lists were voided: their orders use none of their buyers' annual quota —
    for a return, what tax decides from ``returned``'s days (海关总署公告2020年第45号). The
    ledger's platform is the order's ebpCode, the seller when the order named none. A 1210 list's
    units held on its bonded account book are available again (or, released, come back into it)."""
    voided = [cop for _, mode, cop, _ in repository.lists_by_id(session, list_ids) if mode == "1210"]
    on = returned.returned_on if returned is not None else utcnow().astimezone(CHINA).date()
    warehouse.bonded.void(session, voided, on)
    for ebp_code, seller_code, order_no in repository.import_list_orders(session, list_ids):
        events.publish(session, ImportOrderVoided(ebp_code or seller_code, order_no, returned))


def _china_day(customs_time: str, fallback: datetime) -> date:
    """The day of a customs time (``YYYYMMDDhhmmss``, Beijing time), else of ``fallback``."""
    try:
        return date(int(customs_time[:4]), int(customs_time[4:6]), int(customs_time[6:8]))
    except ValueError:
        return fallback.astimezone(CHINA).date()


def _returned(session: Session, list_id: int, return_time: str) -> ImportReturned:
    """The release, return-request and return days of a list customs has just accepted the return of."""
    released, requested_at = repository.release_and_return_request(session, list_id)
    now = utcnow()
    return ImportReturned(
        released_on=_china_day(released.return_time, released.at) if released is not None else None,
        applied_on=(requested_at or now).astimezone(CHINA).date(),
        returned_on=_china_day(return_time, now),
    )


def _apply_summary_result(
    session: Session, data: bytes, name: str, digest: str, report: ReceiptReport
) -> dict[str, int]:
    """CEB792 汇总结果单: customs' declaration (报关单) for a summary; recorded on the summary and on
    each of its lists (entryId, sumNo), which keep their own status."""
    message = parse(data, document=name)
    outcome: Counter[str] = Counter()
    for entity in message.entities:
        head = entity.head
        info = f"汇总结果 sumNo={head.get('sumNo', '')} entryId={head.get('entryId', '')} decState={head.get('decState', '')}"
        invt_nos = sorted({str(line.get("invtNo")) for line in entity.lines if line.get("invtNo")})
        lists = repository.lists_by_invt_nos(session, invt_nos)
        summaries = {d.summary_id for d in lists if d.summary_id}
        targets = lists + [s for s in (repository.get(session, i) for i in summaries) if s is not None]
        for d in targets:
            report.receipts += 1
            repository.add(
                session,
                DeclarationEvent(
                    declaration_id=d.id, before=d.status, after=d.status, return_info=info, source=name[:255]
                ),
            )
            outcome["summary_result"] += 1
        report.unmatched += len(invt_nos) - len(lists)
    repository.insert_receipt_log(
        session, sha256=digest, filename=name[:255], message_type="CEB792", outcome=dict(outcome)
    )
    session.flush()
    return dict(outcome)


def apply_receipts(
    session: Session, transport: Transport, *, limit: int | None = None, report: ReceiptReport | None = None
) -> ReceiptReport:
    """Apply the receipts waiting in the transport (at most ``limit`` files). The files are
    listed in ``report.settle``; call ``settle_receipts`` after the commit."""
    report = report or ReceiptReport()
    for item in transport.receive(limit):
        report.files += 1
        try:
            apply_receipt_bytes(session, item.read(), item.name, report)
        except CbecError as exc:
            report.unreadable += 1
            report.settle.append((item, f"{exc.message_en}\n{exc.message_zh}\n"))
            continue
        report.settle.append((item, None))
    return report


def settle_receipts(transport: Transport, report: ReceiptReport) -> int:
    """Archive the receipt files applied (or reject the unreadable ones, with the reason) once
    the unit of work that read them has committed; returns how many were settled."""
    n = len(report.settle)
    for item, reason in report.settle:
        if reason is None:
            transport.ack(item)
        else:
            transport.reject(item, reason)
    report.settle.clear()
    return n


def _apply_to_list(session: Session, answer: _RequestAnswer, source: str, report: ReceiptReport) -> None:
    """A receipt for a cancellation/return request also settles the list it concerns."""
    target = repository.get(session, answer.list_id)
    if target is None:
        return
    step = apply_request_receipt(State(target.status), answer.status)
    if not step.changed:
        return
    target.status = step.after.value
    target.updated_at = utcnow()
    report.transitions[f"{step.before.value}->{step.after.value}"] += 1
    if target.message_type == "CEB621" and step.after in QUOTA_GIVEN_BACK:
        returned = _returned(session, target.id, answer.return_time) if step.after is State.RETURNED else None
        _give_quota_back(session, [target.id], returned)
    repository.add(
        session,
        DeclarationEvent(
            declaration_id=target.id,
            before=step.before.value,
            after=step.after.value,
            return_status=answer.status,
            return_time=answer.return_time,
            return_info=f"{answer.request_type}: {answer.info}"[:4000],
            source=source[:255],
        ),
    )
