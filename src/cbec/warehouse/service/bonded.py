"""The 1210 bonded account book (保税账册, issue 18, part 2): goods entered into the bonded
warehouse, units held by declared import lists, units taken out by released ones. Customs calls
``draw`` in its declare step: a list that would overdraw the book is refused before declaring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.errors import FieldError, RuleViolation
from cbec.warehouse import repository
from cbec.warehouse.rules import BookLine, Overdraw, overdraws
from cbec.warehouse.schemas import BondedDraw, BookLineRead, BookRead, ShipmentLineIn


def _lines(totals: dict[str, dict[str, int]]) -> dict[str, BookLine]:
    return {
        sku: BookLine(sku, t.get("inbound", 0), t.get("outbound", 0), t.get("reserved", 0)) for sku, t in totals.items()
    }


def book(session: Session, ems_no: str, seller: str) -> BookRead:
    lines = _lines(repository.book_totals(session, ems_no, seller))
    return BookRead(
        ems_no=ems_no, seller=seller,
        lines=[
            BookLineRead(sku=b.sku, inbound=b.inbound, outbound=b.outbound, reserved=b.reserved, balance=b.balance,
                         available=b.available)
            for b in sorted(lines.values(), key=lambda b: b.sku)
        ],
    )  # fmt: skip


def add_inbound(
    session: Session, ems_no: str, seller: str, reference: str, day: date, lines: Sequence[ShipmentLineIn]
) -> BookRead:
    """Goods entered into the bonded warehouse under one entry document (once per document and SKU)."""
    units: dict[str, int] = {}
    for ln in lines:
        units[ln.sku] = units.get(ln.sku, 0) + ln.quantity
    known = repository.book_entry_keys(session, ems_no, seller, "inbound", [reference])
    rows = [
        {"ems_no": ems_no, "seller_code": seller, "sku": sku, "kind": "inbound", "quantity": qty,
         "reference": reference, "day": day}
        for sku, qty in units.items() if (reference, sku) not in known
    ]  # fmt: skip
    repository.insert_book_entries(session, rows)
    audit.record(
        session, "bonded.inbound", f"book:{ems_no}", {"seller": seller, "reference": reference, "skus": len(rows)}
    )
    out = book(session, ems_no, seller)
    out.added, out.duplicates = len(rows), len(units) - len(rows)
    return out


def draw(session: Session, draws: Sequence[BondedDraw], on: date) -> dict[str, RuleViolation]:
    """Hold each list's units on its book, in order; a list the book cannot cover is refused
    (copNo → the error) and holds nothing. A list held before (declaring again) holds no more."""
    refused: dict[str, RuleViolation] = {}
    for ems_no in sorted({d.ems_no for d in draws}):
        repository.lock_book(session, ems_no)
    for d in draws:
        wanted: dict[str, int] = {}
        for ln in d.lines:
            wanted[ln.sku] = wanted.get(ln.sku, 0) + ln.quantity
        if not d.ems_no:
            refused[d.cop_no] = _no_book(d)
            continue
        held = repository.book_entry_keys(session, d.ems_no, d.seller, "reserved", [d.cop_no])
        held |= repository.book_entry_keys(session, d.ems_no, d.seller, "outbound", [d.cop_no])
        if held:
            continue
        short = overdraws(_lines(repository.book_totals(session, d.ems_no, d.seller, wanted)), wanted)
        if short:
            refused[d.cop_no] = _overdraw(d, short)
            continue
        repository.insert_book_entries(
            session,
            [{"ems_no": d.ems_no, "seller_code": d.seller, "sku": sku, "kind": "reserved", "quantity": qty,
              "reference": d.cop_no, "day": on} for sku, qty in wanted.items()],
        )  # fmt: skip
    return refused


def settle(session: Session, cop_nos: Sequence[str]) -> int:
    """Customs released these lists: what they held leaves the book."""
    return repository.settle_reserved(session, cop_nos) if cop_nos else 0


def void(session: Session, cop_nos: Sequence[str], on: date) -> int:
    """These lists were not sent, or customs rejected them, or they were cancelled or returned:
    what they held is available again, and what a released one took out comes back into its
    book (once), as goods cancelled after release or returned re-enter the bonded area
    (退货入区, 海关总署公告2020年第45号)."""
    if not cop_nos:
        return 0
    dropped = repository.drop_reserved(session, cop_nos)
    back = repository.outbound_of(session, cop_nos)
    if back:
        known = {
            (ems, seller): repository.book_entry_keys(session, ems, seller, "inbound", [f"back:{c}" for c in cop_nos])
            for ems, seller, *_ in back
        }
        repository.insert_book_entries(
            session,
            [{"ems_no": ems, "seller_code": seller, "sku": sku, "kind": "inbound", "quantity": units,
              "reference": f"back:{cop}"[:60], "day": on}
             for ems, seller, cop, sku, units in back if (f"back:{cop}"[:60], sku) not in known[(ems, seller)]],
        )  # fmt: skip
    return dropped + len(back)


def _no_book(d: BondedDraw) -> RuleViolation:
    return RuleViolation(
        "a 1210 list draws on the bonded account book, and none is set (ems_no in the declaration profile)",
        "1210 清单须核减保税账册，但未设置账册编号（申报配置 ems_no）",
        field="emsNo",
        document=d.document,
    )


def _overdraw(d: BondedDraw, short: Sequence[Overdraw]) -> RuleViolation:
    details = [
        FieldError(
            "overdraw", "qty",
            f"商品 {o.sku}：清单数量 {o.wanted}，账册 {d.ems_no} 可用余额 {o.available}",
            f"SKU {o.sku}: the list takes {o.wanted}, account book {d.ems_no} has {o.available} available",
            document=d.document,
        )
        for o in short
    ]  # fmt: skip
    first = details[0]
    return RuleViolation(first.message_en, first.message_zh, field="qty", document=d.document, details=details)
