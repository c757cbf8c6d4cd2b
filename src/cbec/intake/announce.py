"""What intake tells partners (issue 20, item 4): each stored document, accepted or refused, as a
webhook event to the enterprises it names. Built only when some subscription listens, so a bulk
import with no subscriber pays one dictionary look-up per batch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from cbec.sharing import service as sharing
from cbec.sharing.schemas import DocumentAccepted, DocumentRefused, Event, EventType

#: the head fields that name an enterprise besides the seller (CEB.md: platform, logistics, payer)
_OTHERS = ("ebpCode", "logisticsCode", "payCode")


def _event(row: dict[str, Any]) -> Event:
    head = row["head"]
    common: dict[str, Any] = {
        "seller": row["seller_code"],
        "others": (*(str(head.get(f) or "") for f in _OTHERS), row["sender_code"]),
        "order_no": row["order_no"] or row["logistics_no"] or row["doc_key"],
        "doc_type": row["doc_type"],
        "doc_key": row["doc_key"],
        "inbox_id": row["inbox_id"],
    }
    if row["is_valid"]:
        return DocumentAccepted(**common, version=row["version"])
    errors = row["errors"]
    return DocumentRefused(
        **common, fields=tuple(e.get("field") or "" for e in errors), codes=tuple(e.get("code") or "" for e in errors)
    )


def stored(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    if sharing.listens(session, EventType.DOCUMENT_ACCEPTED, EventType.DOCUMENT_REFUSED):
        sharing.publish_many(session, [_event(row) for row in rows])
