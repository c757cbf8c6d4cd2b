"""Stock per SKU and warehouse as lots, and its ageing, as of any day (issue 18, part 2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy.orm import Session

from cbec.warehouse import repository
from cbec.warehouse.rules import BUCKET_NAMES, Kind, Ledger, Movement, StockReport
from cbec.warehouse.schemas import PositionRead, ShortfallRead, StockRead, WarehouseTotalRead
from cbec.warehouse.service.warehouses import names


def movements(session: Session, seller: str, until: date | None = None) -> Iterator[Movement]:
    for wh, sku, kind, qty, day, ref, list_no, to_wh, row in repository.movements_of(session, seller, until=until):
        yield Movement(wh, sku, Kind(kind), qty, day, ref, list_no, to_wh, row)


def lots_as_of(session: Session, seller: str, as_of: date) -> tuple[StockReport, int]:
    """The seller's lots after every movement up to ``as_of``, and how many movements that was."""
    ledger, count = Ledger(), 0
    for m in movements(session, seller, as_of):
        ledger.apply(m)
        count += 1
    return ledger.report(as_of), count


def _buckets(values: tuple[int, ...] | list[int]) -> dict[str, int]:
    return dict(zip(BUCKET_NAMES, values, strict=True))


def stock(session: Session, seller: str, as_of: date, *, warehouse: str | None = None) -> StockRead:
    """On hand by warehouse and SKU, units per ageing bucket; shortfalls listed, never negative."""
    report, count = lots_as_of(session, seller, as_of)
    positions = [p for p in report.positions if warehouse is None or p.warehouse == warehouse]
    named = names(session, {p.warehouse for p in positions})
    totals: dict[str, list[int]] = {}
    for p in positions:
        acc = totals.setdefault(p.warehouse, [0] * len(BUCKET_NAMES))
        for i, units in enumerate(p.buckets):
            acc[i] += units
    overall = [sum(t[i] for t in totals.values()) for i in range(len(BUCKET_NAMES))]
    return StockRead(
        seller=seller, as_of=as_of, on_hand=sum(overall), buckets=_buckets(overall),
        warehouses=[
            WarehouseTotalRead(warehouse=w, name=named.get(w, ""), on_hand=sum(t), buckets=_buckets(t))
            for w, t in sorted(totals.items())
        ],
        positions=[
            PositionRead(warehouse=p.warehouse, warehouse_name=named.get(p.warehouse, ""), sku=p.sku,
                         on_hand=p.on_hand, buckets=_buckets(p.buckets), oldest=p.oldest)
            for p in positions
        ],
        shortfalls=[
            ShortfallRead(warehouse=s.warehouse, sku=s.sku, day=s.day, movement=s.kind.value, reference=s.reference,
                          units=s.units, row=s.row)
            for s in report.shortfalls if warehouse is None or s.warehouse == warehouse
        ],
        transfers_open=dict(report.transfers_open), movements=count,
    )  # fmt: skip
