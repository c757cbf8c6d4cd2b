"""What customs tells partners (issue 20, item 4): each receipt applied to a declaration, the
status change it caused, and the release (800), as webhook events to the seller and its
platform, in the order the receipts were applied (one ordering key per order)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cbec.customs import repository
from cbec.customs.rules import State
from cbec.sharing import service as sharing
from cbec.sharing.schemas import (
    DeclarationStatusChanged,
    Departed,
    Event,
    EventType,
    ReceiptReceived,
    Released,
)

TYPES = (EventType.DECLARATION_RECEIPT, EventType.DECLARATION_STATUS, EventType.DECLARATION_RELEASED)


def _of(receipt: dict[str, Any], d: Any, invt_no: str) -> list[Event]:
    who: dict[str, Any] = {"seller": d.seller_code, "others": (d.ebp_code,), "order_no": d.order_no or d.logistics_no}
    about = {**who, "declaration_id": d.id, "message_type": d.message_type}
    out: list[Event] = [
        ReceiptReceived(
            **about, return_status=str(receipt["return_status"]), return_info=receipt["return_info"][:500],
            return_time=receipt["return_time"],
        )
    ]  # fmt: skip
    if receipt["before"] != receipt["after"]:
        out.append(
            DeclarationStatusChanged(
                **about, cop_no=d.cop_no, invt_no=invt_no, status=receipt["after"], previous_status=receipt["before"]
            )
        )
        if receipt["after"] == State.RELEASED.value:
            out.append(Released(**about, invt_no=invt_no, released_at=receipt["return_time"]))
    return out


def receipts_applied(session: Session, receipts: Sequence[dict[str, Any]], updates: dict[int, dict[str, Any]]) -> None:
    """``receipts``: the declaration events a receipt file wrote, in order; ``updates``: the new
    numbers customs gave (``invt_no``)."""
    if not receipts or not sharing.listens(session, *TYPES):
        return
    facts = repository.event_facts(session, sorted({r["declaration_id"] for r in receipts}))
    events: list[Event] = []
    for r in receipts:
        d = facts[r["declaration_id"]]
        events.extend(_of(r, d, str(updates.get(d.id, {}).get("invt_no") or d.invt_no)))
    sharing.publish_many(session, events)


def departed(session: Session, list_ids: Sequence[int], at: datetime) -> None:
    """Export lists whose parcels customs let depart (CEB509 accepted): one ``logistics.departure``
    event each, to the seller and its platform and carrier."""
    if not list_ids or not sharing.listens(session, EventType.DEPARTURE):
        return
    facts = repository.event_facts(session, list_ids)
    sharing.publish_many(
        session,
        [
            Departed(
                seller=d.seller_code, others=(d.ebp_code,), logistics_no=d.logistics_no or "",
                order_no=d.order_no or "", departed_at=at.isoformat(),
            )
            for d in (facts[i] for i in sorted(facts))
        ],
    )  # fmt: skip
