"""The read side of declarations: counts, pages, one declaration with what a person needs
beside it, its message and its timeline. Every read takes the caller's scope; personal data is
masked unless the caller opened it (a recorded use case of its own)."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cbec.accounts.rules import mask_personal, mask_xml
from cbec.ceb.messages.excerpt import entity_excerpt
from cbec.customs import repository
from cbec.customs.models import Declaration
from cbec.customs.rules import (
    CHANGE_TEXT,
    EXPORTED_ONLY_AFTER_DEPARTURE,
    FINAL,
    LIST_MESSAGES,
    MONEY_STATES,
    change_route,
    latest_lists,
)
from cbec.customs.schemas import (
    ChangeRead,
    DeclarationDetailRead,
    DeclarationEventRead,
    DeclarationPage,
    DeclarationRead,
    DeclaredList,
    OutboxMessageRead,
    TimelineEntryRead,
    TimelineEventRead,
    TimelineRead,
)
from cbec.errors import NotFound
from cbec.intake import service as intake
from cbec.kit.paging import PageRequest
from cbec.matching import service as matching
from cbec.tax import service as tax
from cbec.tax.position import ReleasedLine


def status_counts(session: Session, seller_code: str | None = None) -> dict[str, dict[str, int]]:
    """Declarations by message type and status."""
    out: dict[str, dict[str, int]] = {}
    for message, status, n in repository.status_counts(session, seller_code):
        out.setdefault(message, {})[status] = n
    return out


def timeline(session: Session, ref: str, scope: frozenset[str] | None = None) -> TimelineRead:
    """Declarations named by invtNo, orderNo, copNo or id (in the scope), and the movements of
    their parcels (arrival, departure, master bill …), each with every recorded event."""
    found = list(repository.by_reference(session, ref, scope))
    # the movements (运抵, 离境, 总分单 …) of the lists' parcels belong on their timeline, whoever
    # declared them; a waybill number alone names them for the unscoped (the operator)
    parcels = {d.logistics_no for d in found if d.message_type in LIST_MESSAGES and d.logistics_no}
    if scope is None:
        parcels.add(ref)
    known = {d.id for d in found}
    found += [m for m in repository.movements_of(session, sorted(parcels)) if m.id not in known]
    if not found:
        raise NotFound(f"no declaration for {ref}", f"没有与 {ref} 对应的申报单", field="ref")
    return TimelineRead(
        ref=ref,
        declarations=[
            TimelineEntryRead(
                id=d.id,
                message_type=d.message_type,
                cop_no=d.cop_no,
                invt_no=d.invt_no,
                order_no=d.order_no,
                status=d.status,
                events=[
                    TimelineEventRead(
                        at=e.at.isoformat(),
                        before=e.before,
                        after=e.after,
                        return_status=e.return_status,
                        return_info=e.return_info,
                        source=e.source,
                    )
                    for e in repository.events(session, d.id)
                ],
            )
            for d in found
        ],
    )


CHINA = ZoneInfo("Asia/Shanghai")

#: the list states in which goods have left: released, and what follows release
RELEASED = ("released", "concluded", "closed")


def released_export_lines(session: Session) -> list[ReleasedLine]:
    """Every goods line of the released export lists (CEB603), as declared — a 9610 list only once
    its parcel departed (rules.EXPORTED_ONLY_AFTER_DEPARTURE): the lines the export refund counts."""
    return [
        ReleasedLine(
            gcode=str(line["gcode"]),
            export_on=str(entity["head"].get("ieDate")),
            item_no=str(line.get("itemNo", "")),
            name=str(line.get("gname") or line.get("itemName") or ""),
            qty=Decimal(str(line["qty"])),
            total_price=Decimal(str(line["totalPrice"])),
        )
        for entity in repository.released_export_entities(session, RELEASED, sorted(EXPORTED_ONLY_AFTER_DEPARTURE))
        for line in entity["lines"]
    ]


def declared_exports(session: Session, seller_code: str) -> list[DeclaredList]:
    """The seller's export lists customs accepted and did not cancel or refuse (stored, released,
    concluded, closed, returned or under a request), each with the day it was released (China's
    calendar), for the finance area to reconcile money against."""
    statuses = [s.value for s in MONEY_STATES]
    return [
        DeclaredList(i, ebp, order_no, invt, status, mode, value, currency, at.astimezone(CHINA).date() if at else None)
        for i, ebp, order_no, invt, status, mode, value, currency, at in repository.export_lists(
            session, seller_code, statuses
        )
    ]


def lists_waiting(session: Session) -> int:
    """Export lists not in a final state yet (a released list still waits to be closed)."""
    return repository.count_lists_not_in(session, "CEB603", [s.value for s in FINAL])


def message_count(session: Session) -> int:
    return repository.count_messages(session)


def receipt_count(session: Session, message_type: str) -> int:
    return repository.count_receipts(session, message_type)


def declaration_read(d: Declaration) -> DeclarationRead:
    return DeclarationRead.model_validate(d, from_attributes=True)


def list_declarations(
    session: Session, scope: frozenset[str] | None, req: PageRequest, f: repository.DeclarationFilter
) -> DeclarationPage:
    total, rows = repository.list_declarations(session, scope, f, offset=req.offset, limit=req.page_size)
    return DeclarationPage(
        items=[declaration_read(d) for d in rows],
        total=total,
        page=req.page,
        page_size=req.page_size,
        pages=max(1, -(-total // req.page_size)),
    )


def _scoped(session: Session, scope: frozenset[str] | None, declaration_id: int) -> Declaration:
    d = repository.get_declaration(session, scope, declaration_id)
    if d is None:
        raise NotFound(f"declaration {declaration_id} not found", f"申报单 {declaration_id} 不存在", field="id")
    return d


def declaration_detail(
    session: Session, scope: frozenset[str] | None, declaration_id: int, *, reveal: bool = False
) -> DeclarationDetailRead:
    """A declaration with what a person needs beside it: its order, waybill and payment, the match
    result with each rule, tax assessments, the message it went out in and every receipt."""
    d = _scoped(session, scope, declaration_id)
    documents = {
        role: intake.get_document(session, None, doc_id, reveal=reveal)
        for role, doc_id in (("order", d.order_doc_id), ("waybill", d.waybill_doc_id), ("payment", d.payment_doc_id))
        if doc_id
    }
    msg = repository.outbox_message(session, d.outbox_id) if d.outbox_id else None
    return DeclarationDetailRead(
        **declaration_read(d).model_dump(),
        entity=d.entity if reveal else mask_personal(d.entity),
        events=[DeclarationEventRead.model_validate(e, from_attributes=True) for e in repository.events(session, d.id)],
        documents=documents,
        match=matching.current_match_for_order(session, d.order_doc_id) if d.order_doc_id else None,
        tax=tax.assessments_for_declaration(session, d.seller_code, d.order_no, d.id),
        related=[declaration_read(r) for r in repository.related(session, scope, d)],
        message=OutboxMessageRead.model_validate(msg, from_attributes=True) if msg else None,
        change=pending_change(session, d),
    )


def pending_change(session: Session, d: Declaration) -> ChangeRead | None:
    """When the order behind a declaration changed after it was declared and the change is not
    declared yet: the route the change needs and why (rules.change_route)."""
    newer = intake.newer_version(session, d.order_doc_id) if d.order_doc_id else None
    if newer is None or repository.declared_orders(session, [newer.id]):
        return None
    mine = repository.lists_of_orders(session, {(d.ebp_code, d.order_no)}, LIST_MESSAGES).get(
        (d.ebp_code, d.order_no), []
    )
    _, latest = latest_lists(mine)
    route = change_route([s for s, _, _ in latest])
    zh, en = CHANGE_TEXT[route]
    return ChangeRead(
        order_doc_id=newer.id,
        version=newer.version,
        route=route.value,
        message_zh=zh,
        message_en=en,
        lists=[{"id": i, "invt_no": invt, "status": s.value} for s, invt, i in latest],
    )


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
