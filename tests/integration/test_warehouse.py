"""Issue 18 (part 2) on the database: declared 9810 lists reach the warehouse area as expected
inbound and are reconciled against receipts (in transit, received, short, over, stock no
declaration explains); the 1210 bonded account book is drawn on by customs' declare step, a
list that would overdraw it is refused before declaring, and released lists leave the book."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cbec import pipeline
from cbec.catalogue import service as catalogue
from cbec.customs import builders
from cbec.customs import service as customs
from cbec.customs.models import Declaration
from cbec.matching import service as matching
from cbec.sandbox import SandboxCustoms
from cbec.unit_of_work import UnitOfWork
from cbec.warehouse import service as warehouse
from cbec.warehouse.models import ExpectedInbound
from cbec.warehouse.schemas import ShipmentLineIn, WarehouseCreate

from .helpers import PLATFORM, SELLER, as_bytes, import_order, import_payment, import_waybill, register_partners
from .test_customs import _round, matched  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration

EMS = "T2933W000001"


def _moves(rows: list[str]) -> bytes:
    return ("warehouse,sku,movement,quantity,date,reference,list_no\n" + "\n".join(rows) + "\n").encode()


def test_9810_lists_against_warehouse_receipts(matched) -> None:  # noqa: F811
    settings = matched
    out = pipeline.declare(settings, trade_mode="9810")
    assert out["declared"]["CEB603"] == 150
    with UnitOfWork(settings) as uow:
        expected = uow.session.scalars(select(ExpectedInbound).order_by(ExpectedInbound.list_no)).all()
        assert len(expected) == 150 and {(e.sku, e.quantity) for e in expected} == {("MUG-001", 2)}
        declared_on = expected[0].declared_on
        last = expected[-1].list_no
    again = pipeline.declare(settings, trade_mode="9810")  # nothing new: nothing expected twice
    assert again["declared"] == {}
    _round(settings, SandboxCustoms(pipeline.messages_dir(settings), seed=7), 3)
    with UnitOfWork(settings) as uow:
        invt = uow.session.scalar(select(Declaration.invt_no).where(Declaration.cop_no == last))
        assert (
            invt and uow.session.scalar(select(ExpectedInbound.invt_no).where(ExpectedInbound.list_no == last)) == invt
        )
    day = declared_on + timedelta(days=5)
    data = _moves(
        [
            f"LAX1,MUG-001,inbound,200,{day},GRN-1,",  # fills the oldest 100 lists
            f"LAX1,MUG-001,inbound,3,{day + timedelta(days=1)},GRN-2,{invt}",  # names the last list: 1 over
            f"LAX1,LAMP-9,inbound,7,{day},GRN-3,",  # nothing declared explains it
            f"LAX1,MUG-001,sale,5,{day + timedelta(days=2)},SO-1,",
        ]
    )
    assert pipeline.import_movements(settings, data, seller=SELLER.code, filename="grn.csv")["movements"] == 4
    with UnitOfWork(settings) as uow:
        early = warehouse.reconcile(uow.session, SELLER.code, declared_on + timedelta(days=10))
        late = warehouse.reconcile(uow.session, SELLER.code, declared_on + timedelta(days=90))
        stock = warehouse.stock(uow.session, SELLER.code, declared_on + timedelta(days=10))
    assert (early.lists, early.declared, early.received) == (150, 300, 203)
    assert (early.in_transit, early.short, early.over, early.unexplained_units) == (98, 0, 1, 7)
    assert [(u.sku, u.units, u.reason) for u in early.unexplained] == [("LAMP-9", 7, "no_declaration")]
    over = next(ln for ln in early.lines if ln.status == "over")
    assert (over.list_no, over.invt_no, over.received, over.variance) == (last, invt, 3, 1)
    assert (late.in_transit, late.short, late.over) == (0, 98, 1)
    assert {p.sku: p.on_hand for p in stock.positions} == {"MUG-001": 198, "LAMP-9": 7}


def _book(settings) -> dict[str, tuple[int, int, int, int]]:
    with UnitOfWork(settings) as uow:
        b = warehouse.bonded.book(uow.session, EMS, SELLER.code)
    return {ln.sku: (ln.inbound, ln.reserved, ln.outbound, ln.available) for ln in b.lines}


def _declare_1210(settings) -> customs.DeclareReport:
    profile = dataclasses.replace(
        builders.default_profile(), ems_no=EMS, area_code="3301W60001", area_name="示范综保区仓储有限公司"
    )
    with UnitOfWork(settings) as uow:
        report = customs.declare(uow.session, trade_mode="1210", profile=profile, at=datetime(2026, 1, 10, tzinfo=UTC))
        uow.commit()
    return report


def _bonded_orders(settings, n: int) -> None:
    """``n`` matched 1210 orders of one jar each, the line naming its item record in the book."""
    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(n):
        no = f"IO2026{i:04d}"
        order = import_order(no, price="100.00", tax="0")
        order["head"]["orderTime"] = (datetime(2026, 1, 2, 10) + timedelta(days=i)).strftime("%Y%m%d%H%M%S")
        order["lines"][0]["itemRecordNo"] = "1001"  # 账册备案料号
        docs += [
            order,
            import_payment(no, amount="110.00"),
            import_waybill(no, logisticsNo=f"EE{i:09d}JP", billNo="784-12345675", trafNo="CA930", voyageNo="CA930"),
        ]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "CREAM-50", "3304990099")
        assert matching.run_matching(uow.session).by_state == {"matched": n}
        uow.commit()


def test_the_bonded_book_refuses_a_list_that_would_overdraw_it(settings) -> None:
    _bonded_orders(settings, 3)  # three orders of one jar of CREAM-50 each
    with UnitOfWork(settings) as uow:
        warehouse.register_warehouse(
            uow.session, WarehouseCreate(code="ZB-HZ1", name="示范综保区一号仓", country="142", kind="bonded", ems_no=EMS),
            SELLER.code, by=SELLER.code,
        )  # fmt: skip
        warehouse.bonded.add_inbound(
            uow.session, EMS, SELLER.code, "ENTRY-1", date(2026, 1, 5), [ShipmentLineIn(sku="CREAM-50", quantity=2)]
        )
        again = warehouse.bonded.add_inbound(
            uow.session, EMS, SELLER.code, "ENTRY-1", date(2026, 1, 5), [ShipmentLineIn(sku="CREAM-50", quantity=2)]
        )
        uow.commit()
    assert (again.added, again.duplicates) == (0, 1)  # the same entry document twice adds nothing
    first = _declare_1210(settings)
    assert first.declared.get("CEB621") == 2 and len(first.refused) == 1, first.refused
    refusal = first.refused[0]
    assert refusal["field"] == "qty" and EMS in refusal["message_zh"] and "has 0 available" in refusal["message_en"]
    assert _book(settings) == {"CREAM-50": (2, 2, 0, 0)}
    _round(settings, SandboxCustoms(pipeline.messages_dir(settings), seed=3), 3)
    with UnitOfWork(settings) as uow:
        states = set(uow.session.scalars(select(Declaration.status).where(Declaration.message_type == "CEB621")))
    assert states <= {"released", "closed", "concluded"}, states
    assert _book(settings) == {"CREAM-50": (2, 0, 2, 0)}  # released: out of the book
    with UnitOfWork(settings) as uow:
        warehouse.bonded.add_inbound(
            uow.session, EMS, SELLER.code, "ENTRY-2", date(2026, 1, 11), [ShipmentLineIn(sku="CREAM-50", quantity=1)]
        )
        uow.commit()
    second = _declare_1210(settings)  # the refused order goes now that the book holds its jar
    assert second.declared.get("CEB621") == 1 and not second.refused
    assert _book(settings) == {"CREAM-50": (3, 1, 2, 0)}
    with UnitOfWork(settings) as uow:  # a released list cancelled or returned: its jar comes back, once
        released = uow.session.scalars(
            select(Declaration.cop_no).where(Declaration.message_type == "CEB621", Declaration.status != "queued")
        ).first()
        assert released is not None
        warehouse.bonded.void(uow.session, [released], date(2026, 2, 1))
        warehouse.bonded.void(uow.session, [released], date(2026, 2, 2))
        uow.commit()
    assert _book(settings) == {"CREAM-50": (4, 1, 2, 1)}


def test_a_file_that_is_no_movement_file_is_kept_and_named(settings) -> None:
    from cbec.errors import InvalidInput
    from cbec.intake.models import InboxItem

    register_partners(settings)
    with pytest.raises(InvalidInput) as exc:
        pipeline.import_movements(settings, b"hello,world\n1,2\n", seller=SELLER.code, filename="odd.csv")
    assert exc.value.field == "header" and exc.value.inbox_id is not None
    with UnitOfWork(settings) as uow:
        item = uow.session.get(InboxItem, exc.value.inbox_id)
        assert item is not None and (item.filename, item.format) == ("odd.csv", "unrecognised")
