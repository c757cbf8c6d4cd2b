"""The declaration lifecycle on stored data: declare (outbox), send, apply receipts, summarise.

* ``declare`` turns matched orders into declarations and their messages in ONE transaction
  (the outbox pattern): either the declarations and the messages that carry them are stored
  together, or neither is. Declaring again finds the existing declarations (unique
  ``message_type`` + ``cop_no``), so nothing is declared twice.
* ``send_pending`` hands outbox messages to the transport. The file name is fixed at build
  time, so a crash between writing the file and recording it leads to the same file being
  written again (overwritten in the out folder), never to a second message.
* ``apply_receipts`` reads receipt files, applies each once (by sha256), moves every transition
  through ``lifecycle.apply_receipt`` and records it with the receipt's text. It does not move
  the files: the report lists them (``settle``), and the caller acknowledges them to the
  transport after its unit of work commits, so a crash in between leaves them waiting (read
  again, they are duplicates by sha256 and change nothing), never archived but unapplied.
* ``summarise`` builds the CEB701 summary application for released 9610 lists with
  statisticsFlag B, per consignor (ebcCode) and period.

None of these commit; the caller's unit of work does.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.orm import Session, undefer

from cbec.accounts.rules import mask_personal, mask_xml
from cbec.catalogue.models import Product
from cbec.ceb.envelope import open_message
from cbec.ceb.messages import BaseTransfer, BuiltMessage, Entity, build, parse_receipts
from cbec.ceb.messages.excerpt import entity_excerpt
from cbec.ceb.signing import Signer
from cbec.customs import declare as rules
from cbec.customs import repository
from cbec.customs.lifecycle import State, apply_receipt, apply_request_receipt, describe
from cbec.customs.models import Declaration, DeclarationEvent, OutboxMessage, ReceiptLog
from cbec.customs.transport import Incoming, Transport
from cbec.errors import CbecError, NotFound, RuleViolation, ValidationFailed
from cbec.intake.models import Document
from cbec.kit.paging import PageRequest, page_of
from cbec.matching.models import MatchResult
from cbec.orm import utcnow
from cbec.partners.models import Enterprise
from cbec.risk.rules import Thresholds as RiskThresholds

Progress = Callable[[int, int | None], None]
BATCH = 100
#: matched orders read, built and stored together by ``declare`` (one selection)
SELECTION = BATCH * 5

#: what each declared message is, for the state machine and the timeline
LIST_MESSAGES = frozenset({"CEB603", "CEB621"})
CANCEL_MESSAGES = frozenset({"CEB605", "CEB623"})
RETURN_MESSAGES = frozenset({"CEB213", "CEB625"})
REQUEST_MESSAGES = CANCEL_MESSAGES | RETURN_MESSAGES


CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class DeclareReport:
    orders: int = 0
    declared: Counter[str] = field(default_factory=Counter)  # by message type
    already: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)
    #: import orders the tax rules refused before, unchanged since: not assessed again
    held: int = 0
    #: import orders with an open risk hit (waiting for a person), or one a reviewer refused
    held_for_review: int = 0
    refused_in_review: int = 0
    risk_hits: int = 0  # new hits stored by this declare
    messages: int = 0
    cursor: int = 0  # the last match result examined: a later call goes on after it
    more: bool = False  # stopped at ``limit`` with orders left to examine

    def add(self, other: DeclareReport) -> None:
        """Fold the report of a following chunk (``declare(after=cursor, count_already=False)``) in."""
        self.orders += other.orders
        self.declared.update(other.declared)
        self.already += other.already
        self.refused.extend(other.refused)
        self.held += other.held
        self.held_for_review += other.held_for_review
        self.refused_in_review += other.refused_in_review
        self.risk_hits += other.risk_hits
        self.messages += other.messages
        self.cursor, self.more = other.cursor, other.more

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "declared": dict(self.declared),
            "already_declared": self.already,
            "refused": len(self.refused),
            "refused_examples": self.refused[:20],
            "refused_orders": [str(r.get("order")) for r in self.refused],
            "held": self.held,
            "held_for_review": self.held_for_review,
            "refused_in_review": self.refused_in_review,
            "risk_hits": self.risk_hits,
            "messages": self.messages,
        }


def _party(session: Session, code: str) -> rules.Party:
    e = session.scalars(select(Enterprise).where(Enterprise.code == code)).one_or_none()
    return rules.Party(code, e.name if e else code)


def _transfer(session: Session, code: str) -> BaseTransfer:
    e = session.scalars(select(Enterprise).where(Enterprise.code == code)).one_or_none()
    return BaseTransfer(
        copCode=code, copName=e.name if e else code, dxpId=(e.dxp_id if e and e.dxp_id else "DXPENT0000000000")
    )


def _products(session: Session, seller: str, skus: Iterable[str]) -> dict[str, rules.ProductInfo]:
    wanted = sorted(set(skus))
    out: dict[str, rules.ProductInfo] = {}
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(Product).where(
                Product.seller_code == seller,
                Product.sku.in_(wanted[start : start + 500]),
                Product.hs_status == "confirmed",
            )
        )
        for p in rows:
            if p.hs_code:
                out[p.sku] = rules.ProductInfo(p.hs_code, p.name_zh or p.name_en, p.unit1, p.unit2, p.origin_country)
    return out


def _doc(d: Document | None) -> rules.DocIn | None:
    return None if d is None else rules.DocIn(d.id, d.head, d.lines)


def declare(
    session: Session,
    *,
    seller_code: str | None = None,
    trade_mode: str = "9610",
    agent_code: str | None = None,
    profile: rules.Profile | None = None,
    at: datetime | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    signer: Signer | None = None,
    after: int = 0,
    count_already: bool = True,
    risk_limits: RiskThresholds | None = None,
) -> DeclareReport:
    """Declare every matched, not yet declared order (export and import); messages are signed
    with ``signer`` when given (CEB.md §5.3).

    With ``limit`` it stops once that many orders were examined (``report.more`` says whether
    any are left, ``report.cursor`` where to go on: ``after=cursor, count_already=False``), so
    that an edge can commit chunk by chunk instead of holding one write transaction for all."""
    profile = profile or rules.default_profile()
    at = at or datetime.now(UTC)
    report = DeclareReport(cursor=after)
    if count_already:
        already = _count_declared(session, seller_code)  # reported, not read again
        report.orders += already
        report.already += already
    examined = 0
    while True:
        # only orders with no declaration yet: the batch path calls this after every batch, and
        # rescanning every order ever matched made it slower with each batch (quadratic in N)
        stmt = (
            select(MatchResult)
            .where(
                MatchResult.is_current.is_(True),
                MatchResult.state == "matched",
                MatchResult.id > report.cursor,
                ~exists().where(Declaration.order_doc_id == MatchResult.order_doc_id),
            )
            .order_by(MatchResult.id)
            .limit(SELECTION)
        )
        if seller_code:
            stmt = stmt.where(MatchResult.seller_code == seller_code)
        results = list(session.scalars(stmt))
        if not results:
            report.more = False
            break
        report.cursor = results[-1].id
        examined += len(results)
        _declare_batch(
            session,
            results,
            report,
            trade_mode=trade_mode,
            agent_code=agent_code,
            profile=profile,
            at=at,
            signer=signer,
            risk_limits=risk_limits,
        )
        if progress:
            progress(report.orders, None)
        if limit is not None and examined >= limit:
            report.more = len(results) == SELECTION
            break
    return report


def _count_declared(session: Session, seller_code: str | None) -> int:
    declared_before = (
        select(func.count())
        .select_from(MatchResult)
        .where(
            MatchResult.is_current.is_(True),
            MatchResult.state == "matched",
            exists().where(Declaration.order_doc_id == MatchResult.order_doc_id),
        )
    )
    if seller_code:
        declared_before = declared_before.where(MatchResult.seller_code == seller_code)
    return int(session.scalar(declared_before) or 0)


def _declare_batch(
    session: Session,
    results: Sequence[MatchResult],
    report: DeclareReport,
    *,
    trade_mode: str,
    agent_code: str | None,
    profile: rules.Profile,
    at: datetime,
    signer: Signer | None = None,
    risk_limits: RiskThresholds | None = None,
) -> None:
    from cbec.risk import service as risk
    from cbec.tax import service as tax

    ids = {i for r in results for i in (r.order_doc_id, r.waybill_doc_id, r.payment_doc_id) if i}
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
    declared_orders = set(
        session.scalars(
            select(Declaration.order_doc_id).where(Declaration.order_doc_id.in_([r.order_doc_id for r in results]))
        )
    )
    pending: dict[str, list[tuple[Declaration, Entity]]] = {}
    by_seller: dict[str, list[MatchResult]] = {}
    for r in results:
        by_seller.setdefault(r.seller_code, []).append(r)
    # customs dates (ieDate, declTime) are China's calendar day (UTC+8), whatever the server's zone
    today = at.astimezone(CHINA).date()
    export_date, tax_on = today.strftime("%Y%m%d"), today.isoformat()
    assessed: dict[int, tuple[str, str]] = {}  # import order document → (ebpCode, orderNo) in the ledger
    made_for: list[tuple[str, Document, Document | None, Document | None, rules.Declared]] = []
    for seller, group in by_seller.items():
        skus = [str(ln.get("itemNo")) for r in group for ln in docs[r.order_doc_id].lines if "kind" not in ln]
        products = _products(session, seller, skus)
        agent = _party(session, agent_code or seller)
        imports = {
            str(docs[r.order_doc_id].order_no): docs[r.order_doc_id].received_at
            for r in group
            if r.kind == "import" and r.order_doc_id not in declared_orders
        }
        held = tax.refused_orders(session, seller, imports) if imports else set()
        for r in group:
            report.orders += 1
            if r.order_doc_id in declared_orders:
                report.already += 1
                continue
            if r.kind == "import" and str(docs[r.order_doc_id].order_no) in held:
                report.held += 1
                continue
            order, waybill, payment = (
                docs[r.order_doc_id],
                docs.get(r.waybill_doc_id or 0),
                docs.get(r.payment_doc_id or 0),
            )
            try:
                if r.kind == "export":
                    assert waybill is not None
                    logistics = _party(session, str(waybill.head.get("logisticsCode")))
                    made = rules.export_declaration(
                        _doc(order),  # type: ignore[arg-type]
                        _doc(waybill),  # type: ignore[arg-type]
                        products,
                        trade_mode=trade_mode,
                        agent=agent,
                        logistics=logistics,
                        profile=profile,
                        export_date=export_date,
                    )
                else:
                    assert waybill is not None and payment is not None
                    made = rules.import_declaration(
                        _doc(order),  # type: ignore[arg-type]
                        _doc(payment),  # type: ignore[arg-type]
                        _doc(waybill),  # type: ignore[arg-type]
                        products,
                        trade_mode="9610" if trade_mode not in ("9610", "1210") else trade_mode,
                        agent=agent,
                        assure=agent,
                        profile=profile,
                        declared_on=export_date,
                    )
            except CbecError as exc:
                report.refused.append({"order": order.doc_key, **exc.as_dict()})
                continue
            made_for.append((seller, order, waybill, payment, made))
    # A new version of an order already declared carries the same numbers (copNo): it is not
    # declared a second time here (a change to a declared order goes to customs as a
    # modification or a cancellation, a person's decision; see docs/customs-messages.md), and it
    # is not assessed either, so the buyer's ledger keeps the amount of the version declared.
    keys = {(m, key[:60]) for *_, made in made_for for m, items in made.entities.items() for key, _ in items}
    existing = repository.existing_cop_nos(session, keys) if keys else set()
    fresh = []
    for seller, order, waybill, payment, made in made_for:
        if any((m, key[:60]) in existing for m, items in made.entities.items() for key, _ in items):
            report.already += 1
        else:
            fresh.append((seller, order, waybill, payment, made))
    # risk rules before tax (RULES.md §7.1): an import with an open hit waits for a person
    screening = risk.screen_imports(
        session, [(s, o, p) for s, o, _, p, m in fresh if m.direction == "import"], limits=risk_limits
    )
    report.risk_hits += screening.hits
    going = []
    for seller, order, waybill, payment, made in fresh:
        if order.id in screening.held:
            report.held_for_review += 1
        elif order.id in screening.refused:
            report.refused_in_review += 1
        else:
            going.append((seller, order, waybill, payment, made))
    # the imports' tax first: the tax rules and the buyer's annual ledger decide before customs
    # sees an order; over 5,000 an order or 26,000 a year it is refused here, not sent
    # (财关税〔2018〕49号); the assessment is stored beside the declarations
    to_tax = [
        (_tax_input(order, made, tax_on), seller, str(order.head.get("ebpCode") or seller))
        for seller, order, _, _, made in going
        if made.direction == "import"
    ]
    taxed = iter(tax.assess_import_orders(session, to_tax) if to_tax else [])
    for seller, order, waybill, payment, made in going:
        if made.direction == "import":
            outcome = next(taxed)
            if isinstance(outcome, CbecError):
                report.refused.append({"order": order.doc_key, **outcome.as_dict()})
                continue
            assessed[order.id] = (str(order.head.get("ebpCode") or seller), str(order.head.get("orderNo") or ""))
        for message, items in made.entities.items():
            for key, entity in items:
                d = Declaration(
                    message_type=message,
                    direction=made.direction,
                    trade_mode=made.trade_mode if message in LIST_MESSAGES else "",
                    cop_no=key[:60],
                    guid="",
                    seller_code=seller,
                    ebp_code=str(order.head.get("ebpCode") or ""),
                    order_no=str(order.order_no or ""),
                    logistics_no=str((waybill.logistics_no if waybill else "") or ""),
                    country=str(order.country or ""),
                    currency=str(order.currency or ""),
                    total_value=_total(entity),
                    order_doc_id=order.id,
                    waybill_doc_id=waybill.id if waybill else None,
                    payment_doc_id=payment.id if payment else None,
                    entity={},
                    status=State.QUEUED.value,
                )
                pending.setdefault(message, []).append((d, Entity(entity.head, entity.lines)))
    refused = _build_order_sets(session, pending, report, at=at, signer=signer)
    for doc_id in refused:  # assessed, then refused by the builder: it uses none of the quota
        if doc_id in assessed:
            tax.release_order(session, *assessed[doc_id])


def _tax_input(order: Document, made: rules.Declared, on: str) -> dict[str, Any]:
    """The order as the tax rules read it (CEB311 names): the head's amounts and buyer, and every
    goods line of its list(s) with the HS code and units the declaration carries; a line's
    ``qty2``/``unit2`` come from the order line when the list has none (the catalogue knows no
    second legal unit, but the price-per-ml rule of high-end cosmetics needs the content)."""
    head = order.head
    given = {ln.get("gnum"): ln for ln in order.lines if ln.get("qty2") not in (None, "")}
    lines = []
    for _, entity in made.entities.get("CEB621", []):
        for ln in entity.lines:
            line = dict(ln)
            source = given.get(line.get("gnum"))
            if source is not None and line.get("qty2") in (None, ""):
                line["qty2"], line["unit2"] = source.get("qty2"), source.get("unit2")
            lines.append(line)
    order_head = {
        "orderNo": head.get("orderNo"),
        "on": on,
        "buyerIdNumber": head.get("buyerIdNumber"),
        "freight": head.get("freight"),
        "insuredFee": head.get("insuredFee"),
        "discount": head.get("discount"),
        "tradeMode": made.trade_mode,
    }
    kept = {k: v for k, v in order_head.items() if v not in (None, "")}
    return {"OrderHead": _plain(kept), "OrderList": [_plain(ln) for ln in lines]}


def _total(entity: Entity) -> Decimal | None:
    totals = [t for ln in entity.lines if isinstance(t := ln.get("totalPrice"), Decimal)]
    if totals and len(totals) == len(entity.lines):
        return sum(totals, Decimal(0))
    value = entity.head.get("goodsValue")
    return value if isinstance(value, Decimal) else None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


Built = list[tuple[list[tuple[Declaration, Entity]], BuiltMessage]]


def _try_build(
    session: Session,
    message: str,
    items: list[tuple[Declaration, Entity]],
    *,
    at: datetime,
    signer: Signer | None,
) -> tuple[Built, list[tuple[Declaration, ValidationFailed]]]:
    """Build the messages for declarations of one type (≤100 entities each), storing nothing;
    the declarations the builder refuses come back with the reason."""
    out: Built = []
    refused: list[tuple[Declaration, ValidationFailed]] = []
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        transfer = _transfer(session, chunk[0][0].seller_code)
        try:
            built = build(message, [e for _, e in chunk], transfer, at=at, signer=signer)
        except ValidationFailed as exc:
            at_fault = exc.by_entity or {}
            if not at_fault or -1 in at_fault:  # not one entity's fault (XSD or transfer): find them one by one
                at_fault = {}
                for i, (_, e) in enumerate(chunk):
                    try:
                        build(message, [e], transfer, at=at)
                    except ValidationFailed as one:
                        at_fault[i] = one.details
            good: list[tuple[Declaration, Entity]] = []
            for i, (d, e) in enumerate(chunk):
                if i in at_fault:
                    problems = at_fault[i]
                    refused.append(
                        (
                            d,
                            ValidationFailed(
                                f"{message}: {len(problems)} field problem(s)",
                                f"{message}：{len(problems)} 处字段问题",
                                details=problems,
                            ),
                        )
                    )
                else:
                    good.append((d, e))
            if not good:
                continue
            chunk = good
            built = build(message, [e for _, e in chunk], transfer, at=at, signer=signer)
        position = 0
        for msg in built:
            out.append((chunk[position : position + len(msg.entities)], msg))
            position += len(msg.entities)
    return out, refused


#: the columns of a declaration the builders fill (the rest take their defaults)
_DECLARATION_COLUMNS = (
    "message_type", "direction", "trade_mode", "cop_no", "seller_code", "ebp_code", "order_no", "logistics_no",
    "country", "currency", "total_value", "order_doc_id", "waybill_doc_id", "payment_doc_id", "related_id", "status",
)  # fmt: skip


def _store_messages(session: Session, message: str, built: Built, report: DeclareReport, *, at: datetime) -> None:
    """Store built messages with their declarations and first events, a few statements per
    message (Core inserts: the declarations of a batch are many and never read back here)."""
    stamp = at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    now = utcnow()
    for chunk, msg in built:
        outbox_id = session.execute(
            insert(OutboxMessage)
            .values(
                message_type=message,
                guid=msg.guid,
                filename=f"{message}_{stamp}_{msg.guid}.xml",
                payload=msg.data,
                entities=len(msg.entities),
                status="pending",
                attempts=0,
                created_at=now,
            )
            .returning(OutboxMessage.id)
        ).scalar_one()
        report.messages += 1
        rows = []
        for (d, _), entity in zip(chunk, msg.entities, strict=True):
            row = {c: getattr(d, c) for c in _DECLARATION_COLUMNS}
            row.update(
                guid=str(entity.head.get("guid")),
                entity={"head": _plain(dict(entity.head)), "lines": _plain(list(entity.lines))},
                outbox_id=outbox_id,
                return_info="",
                invt_no="",
                pre_no="",
                created_at=now,
                updated_at=now,
            )
            rows.append(row)
            report.declared[message] += 1
        ids = session.execute(
            insert(Declaration).returning(Declaration.id, sort_by_parameter_order=True), rows
        ).scalars()
        session.execute(
            insert(DeclarationEvent),
            [
                {"declaration_id": i, "at": now, "before": "", "after": State.QUEUED.value, "source": "declare"}
                for i in ids
            ],
        )


def _build_messages(
    session: Session,
    message: str,
    items: list[tuple[Declaration, Entity]],
    report: DeclareReport,
    *,
    at: datetime,
    signer: Signer | None = None,
) -> None:
    """Build and store the messages for declarations of one type."""
    built, refused = _try_build(session, message, items, at=at, signer=signer)
    for d, exc in refused:
        report.refused.append({"order": d.order_no, "message": message, **exc.as_dict()})
    _store_messages(session, message, built, report, at=at)


def _build_order_sets(
    session: Session,
    pending: dict[str, list[tuple[Declaration, Entity]]],
    report: DeclareReport,
    *,
    at: datetime,
    signer: Signer | None,
) -> set[int | None]:
    """An order's declarations go out together or not at all: when the builder refuses any one
    of them (order, waybill, payment or list), the order's others are held back too. Returns the
    order documents held back."""
    refused_orders: dict[int | None, tuple[str, ValidationFailed]] = {}
    attempts: dict[str, Built] = {}
    for message, queued in pending.items():
        built, refused = _try_build(session, message, queued, at=at, signer=signer)
        attempts[message] = built
        for d, exc in refused:
            refused_orders.setdefault(d.order_doc_id, (message, exc))
    if refused_orders:
        for doc_id, (message, exc) in refused_orders.items():
            order_no = next((d.order_no for q in pending.values() for d, _ in q if d.order_doc_id == doc_id), "")
            report.refused.append({"order": order_no, "message": message, **exc.as_dict()})
        for message, built in attempts.items():
            # only the messages that carried a held-back order's declaration are built again
            rebuilt: Built = []
            for chunk, msg in built:
                kept = [(d, e) for d, e in chunk if d.order_doc_id not in refused_orders]
                if len(kept) == len(chunk):
                    rebuilt.append((chunk, msg))
                elif kept:
                    rebuilt.extend(_try_build(session, message, kept, at=at, signer=signer)[0])
            attempts[message] = rebuilt
    for message, built in attempts.items():
        _store_messages(session, message, built, report, at=at)
    return set(refused_orders)


def send_pending(session: Session, transport: Transport, *, limit: int | None = None) -> int:
    """Hand pending outbox messages to the transport; returns how many were sent."""
    stmt = select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    sent = 0
    now = utcnow()
    for msg in session.scalars(stmt).all():
        transport.send(msg.filename, msg.payload)
        msg.status = "sent"
        msg.attempts += 1
        msg.sent_at = now
        rows = session.execute(
            update(Declaration)
            .where(Declaration.outbox_id == msg.id, Declaration.status == State.QUEUED.value)
            .values(status=State.SENT.value, updated_at=now)
            .returning(Declaration.id)
        ).all()
        if rows:
            session.execute(
                insert(DeclarationEvent),
                [
                    {
                        "declaration_id": r[0],
                        "at": now,
                        "before": State.QUEUED.value,
                        "after": State.SENT.value,
                        "source": msg.filename,
                    }
                    for r in rows
                ],
            )
        sent += 1
    session.flush()
    return sent


@dataclass
class ReceiptReport:
    files: int = 0
    duplicates: int = 0
    unreadable: int = 0
    receipts: int = 0
    unmatched: int = 0
    transitions: Counter[str] = field(default_factory=Counter)
    # files read, each with None (acknowledge) or the reason to reject it; settled by the caller
    # once the unit of work that applied them has committed
    settle: list[tuple[Incoming, str | None]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "duplicates": self.duplicates,
            "unreadable": self.unreadable,
            "receipts": self.receipts,
            "unmatched": self.unmatched,
            "transitions": dict(self.transitions),
        }


def apply_receipt_bytes(session: Session, data: bytes, name: str, report: ReceiptReport) -> dict[str, Any]:
    """Apply one receipt file (once: a file seen before by its sha256 changes nothing)."""
    digest = hashlib.sha256(data).hexdigest()
    if session.scalar(select(func.count()).select_from(ReceiptLog).where(ReceiptLog.sha256 == digest)):
        report.duplicates += 1
        return {"duplicate": True}
    inner = open_message(data)
    if b"CEB792Message" in inner[:400]:
        return _apply_summary_result(session, inner, name, digest, report)
    receipts = parse_receipts(inner, document=name)
    guids = [r.guid for r in receipts if r.guid]
    targets = (
        {
            row.guid: row
            for row in session.execute(
                select(
                    Declaration.id,
                    Declaration.guid,
                    Declaration.status,
                    Declaration.message_type,
                    Declaration.related_id,
                ).where(Declaration.guid.in_(guids))
            )
        }
        if guids
        else {}
    )
    outcome = _apply_receipts_in_bulk(session, receipts, targets, name, report)
    session.add(
        ReceiptLog(
            sha256=digest,
            filename=name[:255],
            message_type=receipts[0].message if receipts else "",
            outcome=dict(outcome),
        )
    )
    session.flush()
    return dict(outcome)


def _apply_receipts_in_bulk(
    session: Session, receipts: Sequence[Any], targets: dict[str, Any], name: str, report: ReceiptReport
) -> Counter[str]:
    """The receipts of one file as two statements: the events inserted, the declarations updated.
    A receipt for a cancellation or return request then also settles the list it concerns."""
    outcome: Counter[str] = Counter()
    now = utcnow()
    status_of: dict[int, str] = {}
    events: list[dict[str, Any]] = []
    updates: dict[int, dict[str, Any]] = {}
    requests: list[tuple[int, str, int, str, str]] = []  # (list id, request type, status, info, time)
    given_back: list[int] = []  # import lists whose buyer's quota comes back
    for r in receipts:
        report.receipts += 1
        t = targets.get(r.guid)
        if t is None and r.keys.get("invtNo"):
            t = session.execute(
                select(Declaration.id, Declaration.status, Declaration.message_type, Declaration.related_id)
                .where(Declaration.invt_no == str(r.keys["invtNo"]))
                .limit(1)
            ).first()
        if t is None:
            report.unmatched += 1
            outcome["unmatched"] += 1
            continue
        status = r.status if r.status is not None else 0
        step = apply_receipt(State(status_of.get(t.id, t.status)), status)
        zh, en = describe(status)
        info = (r.returnInfo or f"{zh} / {en}")[:4000]
        events.append(
            {
                "declaration_id": t.id,
                "at": now,
                "before": step.before.value,
                "after": step.after.value,
                "return_status": status,
                "return_time": r.returnTime[:17],
                "return_info": info,
                "source": name[:255],
            }
        )
        row = updates.setdefault(t.id, {"id": t.id})
        row.update(return_status=status, return_info=info)
        for key, attr in (("invtNo", "invt_no"), ("preNo", "pre_no")):
            if r.keys.get(key):
                row[attr] = str(r.keys[key])
        if step.changed:
            status_of[t.id] = step.after.value
            row.update(status=step.after.value, updated_at=now)
            report.transitions[f"{step.before.value}->{step.after.value}"] += 1
            if t.message_type == "CEB621" and step.after in QUOTA_GIVEN_BACK:
                given_back.append(t.id)
        outcome[step.after.value] += 1
        if t.message_type in REQUEST_MESSAGES and t.related_id:
            requests.append((t.related_id, t.message_type, status, info, r.returnTime[:17]))
    if events:
        session.execute(insert(DeclarationEvent), events)
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in updates.values():
        by_shape.setdefault(tuple(sorted(row)), []).append(row)
    for rows in by_shape.values():  # one executemany per set of columns
        session.execute(update(Declaration), rows)
    if given_back:
        _give_quota_back(session, given_back)
    for list_id, request_type, status, info, return_time in requests:
        _apply_to_list(session, list_id, request_type, status, info, return_time, name, report)
    return outcome


#: An import list that ends in one of these states used none of its buyer's annual quota
#: (财关税〔2018〕49号 counts what a person bought): customs rejected it (100 退单, or a negative
#: code such as -621018 over the limit), it was cancelled (撤销, CEB623), or its goods were
#: returned (退货, CEB625: "the consumer's annual total is adjusted back", 海关总署公告2020年第45号).
#: 700 退运 (shipped back) is not here: no text says whether it gives the quota back [uncertain].
QUOTA_GIVEN_BACK = frozenset({State.REJECTED, State.CANCELLED, State.RETURNED})


def _give_quota_back(session: Session, list_ids: Sequence[int]) -> None:
    """Take the orders of these import lists out of their buyers' ledger (the platform's own
    count of each buyer's year, which the tax step reads before declaring)."""
    from cbec.tax import service as tax

    rows = session.execute(
        select(Declaration.ebp_code, Declaration.seller_code, Declaration.order_no).where(
            Declaration.id.in_(list_ids), Declaration.message_type == "CEB621"
        )
    )
    for ebp_code, seller_code, order_no in rows:
        # the ledger's platform is the order's ebpCode, the seller when the order named none
        tax.release_order(session, ebp_code or seller_code, order_no)


def _apply_summary_result(
    session: Session, data: bytes, name: str, digest: str, report: ReceiptReport
) -> dict[str, Any]:
    """CEB792 汇总结果单: customs' declaration (报关单) for a summary; recorded on the summary and on
    each of its lists (entryId, sumNo), which keep their own status."""
    from cbec.ceb.messages import parse

    message = parse(data, document=name)
    outcome: Counter[str] = Counter()
    for entity in message.entities:
        head = entity.head
        info = f"汇总结果 sumNo={head.get('sumNo', '')} entryId={head.get('entryId', '')} decState={head.get('decState', '')}"
        invt_nos = sorted({str(line.get("invtNo")) for line in entity.lines if line.get("invtNo")})
        lists = list(session.scalars(select(Declaration).where(Declaration.invt_no.in_(invt_nos)))) if invt_nos else []
        summaries = {d.summary_id for d in lists if d.summary_id}
        targets = lists + [s for s in (session.get(Declaration, i) for i in summaries) if s is not None]
        for d in targets:
            report.receipts += 1
            session.add(
                DeclarationEvent(
                    declaration_id=d.id, before=d.status, after=d.status, return_info=info, source=name[:255]
                )
            )
            outcome["summary_result"] += 1
        report.unmatched += len(invt_nos) - len(lists)
    session.add(ReceiptLog(sha256=digest, filename=name[:255], message_type="CEB792", outcome=dict(outcome)))
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


def status_counts(session: Session, seller_code: str | None = None) -> dict[str, dict[str, int]]:
    stmt = select(Declaration.message_type, Declaration.status, func.count()).group_by(
        Declaration.message_type, Declaration.status
    )
    if seller_code:
        stmt = stmt.where(Declaration.seller_code == seller_code)
    out: dict[str, dict[str, int]] = {}
    for message, status, n in session.execute(stmt):
        out.setdefault(message, {})[status] = n
    return out


def summarise(
    session: Session,
    *,
    period_start: str,
    period_end: str,
    at: datetime | None = None,
    seller_code: str | None = None,
    signer: Signer | None = None,
) -> DeclareReport:
    """CEB701 for released/closed 9610 export lists with statisticsFlag B, per consignor and period.

    ``period_start``/``period_end`` are YYYYMMDD (inclusive) of the lists' export date (ieDate).
    """
    at = at or datetime.now(UTC)
    report = DeclareReport()
    stmt = (
        select(Declaration)
        .options(undefer(Declaration.entity))
        .where(
            Declaration.message_type == "CEB603",
            Declaration.trade_mode == "9610",
            Declaration.status.in_([State.RELEASED.value, State.CONCLUDED.value, State.CLOSED.value]),
            Declaration.summary_id.is_(None),
            Declaration.invt_no != "",
        )
    )
    if seller_code:
        stmt = stmt.where(Declaration.seller_code == seller_code)
    groups: dict[str, list[Declaration]] = {}
    for d in session.scalars(stmt):
        head = d.entity.get("head", {})
        if head.get("statisticsFlag") != "B" or not (period_start <= str(head.get("ieDate", "")) <= period_end):
            continue
        groups.setdefault(d.seller_code, []).append(d)
    items: list[tuple[Declaration, Entity]] = []
    for seller, lists in sorted(groups.items()):
        first = lists[0].entity["head"]
        agent = str(first.get("agentCode"))
        cop = f"S{seller[-8:]}{period_start}{period_end[-4:]}"
        head = {
            "customsCode": first.get("customsCode"),
            "copNo": cop,
            "agentCode": agent,
            "agentName": first.get("agentName"),
            "ebcCode": seller,
            "ebcName": first.get("ebcName"),
            "declAgentCode": agent,
            "declAgentName": first.get("agentName"),
            "startTime": f"{period_start}000000",
            "endTime": f"{period_end}235959",
            "summaryFlag": "1",
            "itemNameFlag": "1",
            "msgCount": 1,
            "msgSeqNo": 1,
        }
        lines = tuple({"invtNo": d.invt_no} for d in lists)
        summary = Declaration(
            message_type="CEB701",
            direction="export",
            trade_mode="9610",
            cop_no=cop,
            guid="",
            seller_code=seller,
            entity={},
            status=State.QUEUED.value,
            total_value=sum((d.total_value or Decimal(0) for d in lists), Decimal(0)),
        )
        items.append((summary, Entity(head, lines)))
        report.orders += len(lists)
    if items:
        _build_messages(session, "CEB701", items, report, at=at, signer=signer)
        for (summary, _), lists in zip(items, [groups[s] for s in sorted(groups)], strict=True):
            for d in lists:
                d.summary_id = summary.id
    session.flush()
    return report


def _apply_to_list(
    session: Session,
    list_id: int,
    request_type: str,
    status: int,
    info: str,
    return_time: str,
    source: str,
    report: ReceiptReport,
) -> None:
    """A receipt for a cancellation/return request also settles the list it concerns."""
    target = session.get(Declaration, list_id)
    if target is None:
        return
    step = apply_request_receipt(State(target.status), status)
    if not step.changed:
        return
    target.status = step.after.value
    target.updated_at = utcnow()
    report.transitions[f"{step.before.value}->{step.after.value}"] += 1
    if target.message_type == "CEB621" and step.after in QUOTA_GIVEN_BACK:
        _give_quota_back(session, [target.id])
    session.add(
        DeclarationEvent(
            declaration_id=target.id,
            before=step.before.value,
            after=step.after.value,
            return_status=status,
            return_time=return_time,
            return_info=f"{request_type}: {info}"[:4000],
            source=source[:255],
        )
    )


#: a list customs has accepted and not closed can be cancelled (撤销) or returned (退货)
_CANCELLABLE = frozenset({State.STORED.value, State.REVIEW.value, State.CONCLUDED.value, State.RELEASED.value})
_RETURNABLE = frozenset({State.RELEASED.value, State.CONCLUDED.value, State.CLOSED.value})


def _list_by_invt_no(session: Session, invt_no: str) -> Declaration:
    d = session.scalars(
        select(Declaration).where(Declaration.invt_no == invt_no, Declaration.message_type.in_(LIST_MESSAGES))
    ).one_or_none()
    if d is None:
        raise NotFound(
            f"no declared list with invtNo {invt_no}", f"没有清单编号为 {invt_no} 的申报清单", field="invtNo"
        )
    return d


def _request(
    session: Session,
    target: Declaration,
    message: str,
    head: dict[str, Any],
    lines: tuple[dict[str, Any], ...],
    new_state: State,
    at: datetime,
    signer: Signer | None = None,
) -> DeclareReport:
    report = DeclareReport(orders=1)
    request = Declaration(
        message_type=message,
        direction=target.direction,
        trade_mode=target.trade_mode,
        cop_no=f"{target.cop_no[:27]}-{message[-3:]}",
        guid="",
        seller_code=target.seller_code,
        ebp_code=target.ebp_code,
        order_no=target.order_no,
        logistics_no=target.logistics_no,
        country=target.country,
        currency=target.currency,
        related_id=target.id,
        entity={},
        status=State.QUEUED.value,
    )
    _build_messages(session, message, [(request, Entity(head, lines))], report, at=at, signer=signer)
    if report.refused:
        first = report.refused[0]
        raise ValidationFailed(
            first.get("message_en", "refused"), first.get("message_zh", ""), document=f"{message} {target.invt_no}"
        )
    session.add(
        DeclarationEvent(
            declaration_id=target.id, before=target.status, after=new_state.value, source=f"{message} requested"
        )
    )
    target.status = new_state.value
    target.updated_at = utcnow()
    session.flush()
    return report


def request_cancel(
    session: Session, invt_no: str, reason: str, *, at: datetime | None = None, signer: Signer | None = None
) -> DeclareReport:
    """撤销申请 (CEB605 export / CEB623 import) for an accepted list; the list waits for the answer."""
    at = at or datetime.now(UTC)
    target = _list_by_invt_no(session, invt_no)
    if target.status not in _CANCELLABLE:
        raise RuleViolation(
            f"list {invt_no} is {target.status}; only a list customs has accepted and not closed can be cancelled",
            f"清单 {invt_no} 状态为 {target.status}；只有海关已接受且未结关的清单可以撤销",
            field="invtNo",
        )
    if not reason.strip():
        raise RuleViolation("a cancellation needs its reason", "撤销申请须填写原因", field="reason")
    head = dict(target.entity["head"])
    common = {
        "customsCode": head["customsCode"],
        "invtNo": invt_no,
        "reason": reason.strip()[:1000],
        "agentCode": head["agentCode"],
        "agentName": head["agentName"],
        "ebcCode": head["ebcCode"],
        "ebcName": head["ebcName"],
    }
    if target.message_type == "CEB603":
        values = {**common, "copNo": f"{target.cop_no[:26]}-605", "preNo": target.pre_no or None}
        return _request(
            session, target, "CEB605", {k: v for k, v in values.items() if v}, (), State.CANCEL_REQUESTED, at, signer
        )
    keys = (
        "orderNo",
        "ebpCode",
        "ebpName",
        "logisticsNo",
        "logisticsCode",
        "logisticsName",
        "buyerIdType",
        "buyerIdNumber",
        "buyerName",
        "buyerTelephone",
    )
    values = {**common, **{k: head[k] for k in keys}, "copNo": f"{target.cop_no[:16]}-623"}
    return _request(session, target, "CEB623", values, (), State.CANCEL_REQUESTED, at, signer)


def request_return(
    session: Session,
    invt_no: str,
    reason: str,
    *,
    bill_no: str = "",
    voyage_no: str = "",
    traf_name: str = "",
    at: datetime | None = None,
    signer: Signer | None = None,
) -> DeclareReport:
    """退货申请 (CEB213 export retail return / CEB625 import return) for a released list, all lines."""
    at = at or datetime.now(UTC)
    target = _list_by_invt_no(session, invt_no)
    if target.status not in _RETURNABLE:
        raise RuleViolation(
            f"list {invt_no} is {target.status}; only a released list can be returned",
            f"清单 {invt_no} 状态为 {target.status}；只有已放行的清单可以退货",
            field="invtNo",
        )
    if not reason.strip():
        raise RuleViolation("a return needs its reason", "退货申请须填写原因", field="reason")
    head = dict(target.entity["head"])
    lines = target.entity["lines"]
    if target.message_type == "CEB603":
        missing = [
            n for n, v in (("billNo", bill_no), ("voyageNo", voyage_no), ("trafName", traf_name)) if not v.strip()
        ]
        if missing:
            raise RuleViolation(
                f"an export return (CEB213) needs the return shipment's {', '.join(missing)}",
                f"出口退货申请（CEB213）须提供退运的 {'、'.join(missing)}",
                field=missing[0],
            )
        values = {
            "customsCode": head["customsCode"],
            "ebpCode": head["ebpCode"],
            "ebpName": head["ebpName"],
            "ebcCode": head["ebcCode"],
            "ebcName": head["ebcName"],
            "logisticsNo": head["logisticsNo"],
            "logisticsCode": head["logisticsCode"],
            "logisticsName": head["logisticsName"],
            "coElNo": f"{target.cop_no[:26]}-213",
            "invtNo": invt_no,
            "tradeMode": target.trade_mode,
            "agentCode": head["agentCode"],
            "agentName": head["agentName"],
            "billNo": bill_no,
            "ieFlag": "I",  # CEB.md §4.1: export returns (CEB213/215) use I
            "trafMode": head["trafMode"],
            "trafName": traf_name,
            "portCode": head["portCode"],
            "reason": reason.strip()[:500],
            "country": head["country"],
            "voyageNo": voyage_no,
        }
        refund_lines = tuple(
            {
                k: Decimal(ln[k]) if k in ("qty", "qty1", "qty2") else ln[k]
                for k in ("gnum", "gcode", "gname", "gmodel", "qty", "qty1", "unit", "unit1", "qty2", "unit2")
                if k in ln
            }
            for ln in lines
        )
        return _request(session, target, "CEB213", values, refund_lines, State.RETURN_REQUESTED, at, signer)
    keys = ("customsCode", "orderNo", "ebpCode", "ebpName", "ebcCode", "ebcName", "logisticsNo", "logisticsCode", "logisticsName",
            "buyerIdType", "buyerIdNumber", "buyerName", "buyerTelephone", "agentCode", "agentName")  # fmt: skip
    values = {
        **{k: head[k] for k in keys},
        "copNo": f"{target.cop_no[:16]}-625",
        "invtNo": invt_no,
        "reason": reason.strip()[:1000],
    }
    refund_lines = tuple(
        {"gnum": ln["gnum"], "gcode": ln["gcode"], "gname": ln["gname"], "qty": Decimal(ln["qty"]), "unit": ln["unit"]}
        for ln in lines
    )
    return _request(session, target, "CEB625", values, refund_lines, State.RETURN_REQUESTED, at, signer)


def timeline(session: Session, ref: str) -> dict[str, Any]:
    """Declarations named by invtNo, orderNo or id, each with every recorded event."""
    stmt = select(Declaration).where((Declaration.invt_no == ref) | (Declaration.order_no == ref))
    if ref.isdigit():
        stmt = select(Declaration).where(
            (Declaration.invt_no == ref) | (Declaration.order_no == ref) | (Declaration.id == int(ref))
        )
    found = list(session.scalars(stmt.order_by(Declaration.id)))
    if not found:
        raise NotFound(f"no declaration for {ref}", f"没有与 {ref} 对应的申报单", field="ref")
    out = []
    for d in found:
        events = session.scalars(
            select(DeclarationEvent).where(DeclarationEvent.declaration_id == d.id).order_by(DeclarationEvent.id)
        )
        out.append(
            {
                "id": d.id,
                "message_type": d.message_type,
                "cop_no": d.cop_no,
                "invt_no": d.invt_no,
                "order_no": d.order_no,
                "status": d.status,
                "events": [
                    {
                        "at": e.at.isoformat(),
                        "before": e.before,
                        "after": e.after,
                        "return_status": e.return_status,
                        "return_info": e.return_info,
                        "source": e.source,
                    }
                    for e in events
                ],
            }
        )
    return {"ref": ref, "declarations": out}


# --- read side -------------------------------------------------------------------------------


def declaration_read(d: Declaration) -> dict[str, Any]:
    return {
        "id": d.id,
        "message_type": d.message_type,
        "direction": d.direction,
        "trade_mode": d.trade_mode,
        "cop_no": d.cop_no,
        "guid": d.guid,
        "seller_code": d.seller_code,
        "ebp_code": d.ebp_code,
        "order_no": d.order_no,
        "logistics_no": d.logistics_no,
        "invt_no": d.invt_no,
        "pre_no": d.pre_no,
        "country": d.country,
        "currency": d.currency,
        "total_value": d.total_value,
        "status": d.status,
        "return_status": d.return_status,
        "return_info": d.return_info,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def list_declarations(
    session: Session, scope: frozenset[str] | None, req: PageRequest, f: repository.DeclarationFilter
) -> dict[str, Any]:
    total, rows = repository.list_declarations(session, scope, f, offset=req.offset, limit=req.page_size)
    return page_of([declaration_read(d) for d in rows], total, req)


def _scoped(session: Session, scope: frozenset[str] | None, declaration_id: int) -> Declaration:
    d = repository.get_declaration(session, scope, declaration_id)
    if d is None:
        raise NotFound(f"declaration {declaration_id} not found", f"申报单 {declaration_id} 不存在", field="id")
    return d


def declaration_detail(
    session: Session, scope: frozenset[str] | None, declaration_id: int, *, reveal: bool = False
) -> dict[str, Any]:
    """A declaration with what a person needs beside it: its order, waybill and payment, the match
    result with each rule, tax assessments, the message it went out in and every receipt."""
    from cbec.intake import service as intake
    from cbec.matching import service as matching
    from cbec.tax import service as tax

    d = _scoped(session, scope, declaration_id)
    out = declaration_read(d)
    out["entity"] = d.entity if reveal else mask_personal(d.entity)
    out["events"] = [
        {
            "at": e.at,
            "before": e.before,
            "after": e.after,
            "return_status": e.return_status,
            "return_time": e.return_time,
            "return_info": e.return_info,
            "source": e.source,
        }
        for e in repository.events(session, d.id)
    ]
    docs: dict[str, Any] = {}
    for role, doc_id in (("order", d.order_doc_id), ("waybill", d.waybill_doc_id), ("payment", d.payment_doc_id)):
        if doc_id:
            docs[role] = intake.get_document(session, None, doc_id, reveal=reveal)
    out["documents"] = docs
    out["match"] = matching.current_match_for_order(session, d.order_doc_id) if d.order_doc_id else None
    out["tax"] = tax.assessments_for_declaration(session, d.seller_code, d.order_no, d.id)
    out["related"] = [declaration_read(r) for r in repository.related(session, scope, d)]
    msg = repository.outbox_message(session, d.outbox_id) if d.outbox_id else None
    out["message"] = (
        {"filename": msg.filename, "status": msg.status, "entities": msg.entities, "sent_at": msg.sent_at}
        if msg
        else None
    )
    return out


def declaration_xml(
    session: Session, scope: frozenset[str] | None, declaration_id: int, *, reveal: bool = False
) -> tuple[str, bytes, bool]:
    """(file name, XML bytes, whole file?) of the message a declaration went out in.

    The whole file as sent when every entity in it is the caller's to see; otherwise this
    declaration's excerpt. Personal data is masked unless revealed (what was sent is unchanged
    in the outbox)."""
    d = _scoped(session, scope, declaration_id)
    msg = repository.outbox_message(session, d.outbox_id) if d.outbox_id else None
    if msg is None:
        raise NotFound(
            f"declaration {declaration_id} has no message (not built yet)",
            f"申报单 {declaration_id} 尚无报文",
            field="id",
        )
    owners = repository.sellers_in_message(session, msg.id)
    whole = scope is None or all(s in scope or p in scope for s, p in owners)
    data = msg.payload if whole else entity_excerpt(msg.payload, d.guid)
    name = msg.filename if whole else msg.filename.replace(".xml", f"_{d.cop_no}.excerpt.xml")
    if not reveal:
        data = mask_xml(data.decode("utf-8")).encode("utf-8")
    return name, data, whole
