"""9810 reconciliation (issue 18, part 2): what customs declared towards overseas warehouses
against what the warehouses received. Customs hands each declared 9810 list down as a
``DeclaredShipment`` (decision 0012); it is kept as expected inbound."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy.orm import Session

from cbec.warehouse import repository
from cbec.warehouse.rules import STATUS_TEXT, TRANSIT_DAYS, DeclaredLine, Receipt, reconcile_9810
from cbec.warehouse.schemas import DeclaredShipment, LineRead, ReconcileRead, UnexplainedRead


def expect_shipments(session: Session, shipments: Sequence[DeclaredShipment]) -> int:
    """Keep each declared 9810 list's SKUs as expected inbound (once: declaring again adds nothing)."""
    rows = []
    by_seller: dict[str, list[DeclaredShipment]] = {}
    for s in shipments:
        by_seller.setdefault(s.seller, []).append(s)
    for seller, mine in by_seller.items():
        known = repository.expected_keys(session, seller, [s.list_no for s in mine])
        for s in mine:
            units: dict[str, int] = {}
            for ln in s.lines:
                units[ln.sku] = units.get(ln.sku, 0) + ln.quantity
            for sku, qty in units.items():
                if (s.list_no, sku) in known:
                    continue
                known.add((s.list_no, sku))
                rows.append(
                    {"seller_code": seller, "list_no": s.list_no[:30], "warehouse": s.warehouse[:20],
                     "destination": s.destination[:3], "sku": sku[:60], "quantity": qty, "declared_on": s.declared_on}
                )  # fmt: skip
    repository.insert_expected(session, rows)
    return len(rows)


def shipments_released(session: Session, invt_nos: Mapping[str, str]) -> None:
    """Customs released these 9810 lists: copNo → invtNo, so that a receipt may name either."""
    for list_no, invt_no in invt_nos.items():
        repository.set_invt_no(session, list_no, invt_no)


def reconcile(session: Session, seller: str, as_of: date, *, transit_days: int = TRANSIT_DAYS) -> ReconcileRead:
    declared = [
        DeclaredLine(e.list_no, e.invt_no, e.sku, e.quantity, e.declared_on, e.warehouse)
        for e in repository.expected_of(session, seller)
        if e.declared_on <= as_of
    ]
    receipts = [Receipt(*r) for r in repository.receipts_of(session, seller) if r[3] <= as_of]
    lines, unexplained = reconcile_9810(declared, receipts, as_of, transit_days)
    return ReconcileRead(
        seller=seller, as_of=as_of, transit_days=transit_days, lists=len({ln.list_no for ln in lines}),
        declared=sum(ln.declared for ln in lines), received=sum(ln.received for ln in lines),
        in_transit=sum(ln.in_transit for ln in lines), short=-sum(ln.variance for ln in lines if ln.variance < 0),
        over=sum(ln.variance for ln in lines if ln.variance > 0), unexplained_units=sum(u.units for u in unexplained),
        lines=[LineRead(**{f: getattr(ln, f) for f in ln.__slots__}, status_zh=STATUS_TEXT[ln.status][0]) for ln in lines],
        unexplained=[
            UnexplainedRead(**{f: getattr(u, f) for f in u.__slots__}, reason_zh=STATUS_TEXT[u.reason][0])
            for u in unexplained
        ],
    )  # fmt: skip
