"""Declaration lifecycle on SQLite and PostgreSQL: outbox, folders, receipts, no doubles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import func, select, update

from cbec import pipeline
from cbec.catalogue import service as catalogue
from cbec.ceb.messages import check_message, parse
from cbec.customs.models import Declaration, DeclarationEvent, OutboxMessage
from cbec.customs.rules import State
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, as_bytes, export_order, export_waybill, register_partners

pytestmark = pytest.mark.integration


@pytest.fixture
def matched(settings):
    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(150):  # more than one message's 100 entities
        docs += [export_order(f"SO{i:04d}"), export_waybill(f"SO{i:04d}", logistics_no=f"LP{i:09d}CN")]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "MUG-001", "6912001000")
        uow.commit()
    pipeline.import_bytes(settings, b"[]", ctx, fmt="json")  # nothing new
    from cbec.matching import service as matching

    with UnitOfWork(settings) as uow:
        assert matching.run_matching(uow.session).by_state == {"matched": 150}
        uow.commit()
    return settings


def test_declare_builds_valid_messages_once(matched) -> None:
    first = pipeline.declare(matched)
    again = pipeline.declare(matched)
    assert first["declared"] == {"CEB303": 150, "CEB505": 150, "CEB603": 150}
    assert first["messages"] == 6  # 100 + 50 entities per message type
    assert again["declared"] == {} and again["already_declared"] == 150
    with UnitOfWork(matched) as uow:
        payloads = uow.session.scalars(select(OutboxMessage.payload)).all()
        list_orders = set(uow.session.scalars(select(Declaration.order_no).where(Declaration.message_type == "CEB603")))
    for data in payloads:
        assert check_message(data) == []  # valid against the official XSD
    parsed = [parse(p) for p in payloads if b"CEB603Message" in p[:200]]
    entities = [e for m in parsed for e in m.entities]
    assert len(entities) == 150
    assert {e.head["orderNo"] for e in entities} == list_orders
    line = entities[0].lines[0]
    assert (line["gcode"], str(line["totalPrice"])) == ("6912001000", "25")


def test_declare_commits_chunk_by_chunk_and_a_worker_goes_on_from_its_cursor(matched, monkeypatch) -> None:
    """150 orders in chunks of 20 (selected and built 10 at a time): every order declared once,
    with its three declarations, the report the same as one transaction's; a worker's cursor
    then finds nothing new."""
    from cbec.customs.service import declaring

    monkeypatch.setattr(declaring, "SELECTION", 10)
    monkeypatch.setattr(pipeline, "DECLARE_CHUNK", 20)
    report = pipeline.declare(matched)
    assert report["orders"] == 150 and report["already_declared"] == 0 and report["refused"] == 0
    assert report["declared"] == {"CEB303": 150, "CEB505": 150, "CEB603": 150}
    assert report["messages"] == 3 * 15  # messages are built for each selection of 10 orders
    with UnitOfWork(matched) as uow:
        per_order = uow.session.execute(select(Declaration.order_no, func.count()).group_by(Declaration.order_no)).all()
        outbox = uow.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert len(per_order) == 150 and {n for _, n in per_order} == {3} and outbox == 45
    out, cursor = pipeline.declare_after(matched, 0)  # everything is declared: nothing to do
    assert out["declared"] == {} and out["orders"] == 0 and cursor == 0
    ctx = pipeline.context_for(matched, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(150, 155):
        docs += [export_order(f"SO{i:04d}"), export_waybill(f"SO{i:04d}", logistics_no=f"LP{i:09d}CN")]
    pipeline.import_bytes(matched, as_bytes(*docs), ctx, fmt="json")  # five new orders, matched on arrival
    out, cursor = pipeline.declare_after(matched, cursor)
    assert out["declared"] == {"CEB303": 5, "CEB505": 5, "CEB603": 5} and cursor > 0
    assert pipeline.declare_after(matched, cursor)[0]["orders"] == 0


def test_each_declare_transaction_builds_all_its_orders_before_its_first_write(matched, monkeypatch) -> None:
    """SQLite has one writer: a declare transaction that built (signed, XSD-checked) more orders
    after its first INSERT would hold intake and the worker back for that long. With the
    default chunk every message of a transaction is built before it writes anything."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from cbec.customs.service import declaring, outbox

    monkeypatch.setattr(declaring, "SELECTION", 10)
    trace: list[str] = []
    real_build = outbox.build

    def traced_build(*args, **kwargs):
        trace.append("build")
        return real_build(*args, **kwargs)

    def on_execute(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            trace.append("insert")

    def on_commit(conn) -> None:
        trace.append("commit")

    monkeypatch.setattr(outbox, "build", traced_build)
    event.listen(Engine, "before_cursor_execute", on_execute)
    event.listen(Engine, "commit", on_commit)
    try:
        report = pipeline.declare(matched)
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        event.remove(Engine, "commit", on_commit)
    assert report["declared"] == {"CEB303": 150, "CEB505": 150, "CEB603": 150}
    transactions = "".join("b" if t == "build" else "i" if t == "insert" else "|" for t in trace).split("|")
    writing = [t for t in transactions if "i" in t]
    assert len(writing) == 15  # 150 orders, 10 a transaction
    assert all("b" not in t[t.index("i") :] for t in writing), transactions


def test_worker_sends_through_the_folders_and_keeps_a_copy(matched) -> None:
    pipeline.declare(matched)
    result = pipeline.work_once(matched)
    assert result["sent"] == 6
    root = pipeline.messages_dir(matched)
    out = sorted(p.name for p in (root / "out").iterdir())
    archived = sorted(p.name for p in (root / "archive" / "sent").rglob("*.xml"))
    assert len(out) == 6 and out == archived
    assert not list((root / "out").glob("*.part"))
    with UnitOfWork(matched) as uow:
        assert set(uow.session.scalars(select(Declaration.status)).all()) == {State.SENT.value}
        assert uow.session.scalar(select(func.count()).select_from(DeclarationEvent)) == 450 * 2
    assert pipeline.work_once(matched)["sent"] == 0  # nothing sent twice


def _receipt(guid: str, status: str, invt_no: str = "") -> bytes:
    ns = "http://www.chinaport.gov.cn/ceb"
    root = etree.Element(
        f"{{{ns}}}CEB604Message", nsmap={"ceb": ns}, guid="0" * 8 + "-0000-0000-0000-" + "0" * 12, version="1.0"
    )
    ret = etree.SubElement(root, f"{{{ns}}}InventoryReturn")
    for name, value in [
        ("guid", guid), ("agentCode", SELLER.code), ("copNo", "X"), ("preNo", "B20261123000000001"), ("invtNo", invt_no or "x"),
        ("ebcCode", SELLER.code), ("ebpCode", PLATFORM.code), ("orderNo", "SO0000"), ("statisticsFlag", "B"),
        ("returnStatus", status), ("returnTime", "20261123120000000"), ("returnInfo", "放行"),
    ]:  # fmt: skip
        etree.SubElement(ret, f"{{{ns}}}{name}").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _sent_list(settings):
    """Declare and send everything; the guid of one list and the inbox receipts arrive in."""
    pipeline.declare(settings)
    pipeline.work_once(settings)
    with UnitOfWork(settings) as uow:
        guid = uow.session.scalars(select(Declaration.guid).where(Declaration.message_type == "CEB603")).first()
    inbox = pipeline.messages_dir(settings) / "in"
    inbox.mkdir(parents=True, exist_ok=True)
    return guid, inbox


def test_receipts_move_a_list_forward_only_and_are_applied_once(matched) -> None:
    guid, inbox = _sent_list(matched)
    # the second 120 is the same file again (the e-port resends): applied once
    for n, status in enumerate(["2", "120", "800", "120", "899"]):
        (inbox / f"r{n}.xml").write_bytes(_receipt(guid, status, invt_no="29332026E000000001"))
        pipeline.work_once(matched)
    (inbox / "again.xml").write_bytes(_receipt(guid, "899", invt_no="29332026E000000001"))
    (inbox / "junk.xml").write_bytes(b"<not-a-receipt")
    result = pipeline.work_once(matched)
    assert result["receipts"]["duplicates"] == 1 and result["receipts"]["unreadable"] == 1
    with UnitOfWork(matched) as uow:
        d = uow.session.scalars(select(Declaration).where(Declaration.guid == guid)).one()
        status, invt_no = d.status, d.invt_no
        events = uow.session.scalars(
            select(DeclarationEvent.after).where(DeclarationEvent.declaration_id == d.id).order_by(DeclarationEvent.id)
        ).all()
    assert status == "closed" and invt_no == "29332026E000000001"
    assert list(events) == ["queued", "sent", "declaring", "stored", "released", "closed"]
    rejected = list((pipeline.messages_dir(matched) / "archive" / "rejected").rglob("junk*"))
    assert len(rejected) == 2 and any(p.name.endswith(".why.txt") for p in rejected)


def test_a_receipt_is_archived_only_after_the_transaction_that_applied_it_commits(matched) -> None:
    """A crash between applying a receipt and committing must not leave it archived but
    unapplied: the file waits in the inbox, and the next pass applies it."""
    from cbec.customs import service as customs
    from cbec.customs.transport import FolderTransport

    guid, inbox = _sent_list(matched)
    (inbox / "r1.xml").write_bytes(_receipt(guid, "120"))
    transport = FolderTransport(pipeline.messages_dir(matched))
    with UnitOfWork(matched) as uow:  # applied, then the process dies: no commit, no settle
        report = customs.apply_receipts(uow.session, transport)
        assert report.receipts == 1 and len(report.settle) == 1
    assert (inbox / "r1.xml").exists()
    result = pipeline.work_once(matched)
    assert result["receipts"]["receipts"] == 1 and result["receipts"]["duplicates"] == 0
    assert not (inbox / "r1.xml").exists()
    with UnitOfWork(matched) as uow:
        assert uow.session.scalars(select(Declaration.status).where(Declaration.guid == guid)).one() == "stored"


def test_the_worker_applies_receipts_between_rounds_of_sending(matched, monkeypatch) -> None:
    """With messages still queued (declaring goes on beside the worker), receipts that arrived
    are applied after each round of sends, not only once the outbox is empty."""
    from cbec.customs import service as customs

    monkeypatch.setattr(pipeline, "SEND_ROUND", 2)
    pipeline.declare(matched)  # 6 messages: three rounds of two
    pending_when_applied: list[int] = []
    apply = customs.apply_receipts

    def watched(session, transport, **kw):
        pending_when_applied.append(
            session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))
        )
        return apply(session, transport, **kw)

    monkeypatch.setattr(customs, "apply_receipts", watched)
    assert pipeline.work_once(matched)["sent"] == 6
    assert pending_when_applied[0] == 4 and pending_when_applied[-1] == 0
    monkeypatch.setattr(pipeline, "SEND_ROUND", 50)
    assert pipeline.work_once(matched, limit=0)["sent"] == 0


def _round(settings, sandbox, n: int = 1) -> None:
    for _ in range(n):
        pipeline.work_once(settings)
        sandbox.step()
    pipeline.work_once(settings)


def _lists(settings) -> dict[str, str]:
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(Declaration.invt_no, Declaration.status).where(Declaration.message_type == "CEB603")
        )
        return {invt: status for invt, status in rows}


def test_sandbox_releases_then_a_cancellation_and_a_return_settle_lists(matched) -> None:
    from cbec.customs import service as customs
    from cbec.sandbox import SandboxCustoms

    sandbox = SandboxCustoms(pipeline.messages_dir(matched), seed=7)
    pipeline.declare(matched)
    _round(matched, sandbox, 3)  # 2 → 120 (invtNo) → 800
    lists = _lists(matched)
    assert set(lists.values()) == {"released"} and len(lists) == 150
    assert all(len(invt) == 18 and invt[8] == "E" for invt in lists)
    first, second = sorted(lists)[:2]
    with UnitOfWork(matched) as uow:
        customs.request_cancel(uow.session, first, "买家取消订单 buyer cancelled")
        uow.commit()
    assert _lists(matched)[first] == "cancel_requested"
    _round(matched, sandbox, 2)
    assert _lists(matched)[first] == "cancelled"
    _round(matched, sandbox, 2)  # the others close (899)
    with UnitOfWork(matched) as uow, pytest.raises(Exception) as exc:
        customs.request_return(uow.session, second, "客户退货 customer return")
    assert "billNo" in str(exc.value.message_en)
    with UnitOfWork(matched) as uow:
        customs.request_return(
            uow.session,
            second,
            "客户退货 customer return",
            bill_no="MAWB-784-1234",
            voyage_no="CA1234",
            traf_name="AIR CHINA",
        )
        uow.commit()
    _round(matched, sandbox, 3)
    final = _lists(matched)
    assert final[second] == "returned" and final[first] == "cancelled"
    assert sum(1 for s in final.values() if s == "closed") == 148
    timeline = None
    with UnitOfWork(matched) as uow:
        timeline = customs.timeline(uow.session, second).model_dump()
    events = [e["after"] for d in timeline["declarations"] if d["message_type"] == "CEB603" for e in d["events"]]
    assert events[:4] == ["queued", "sent", "declaring", "stored"] and events[-1] == "returned"


def _import_orders(settings, n: int, price: str = "4800.00", *, hours_apart: int = 24) -> None:
    """``n`` matched retail-import orders of one buyer, one 50 ml jar of cream each (HS 3304,
    high-end at CNY 10 or more per ml), plus 10 CNY freight, ordered ``hours_apart`` apart (a
    day by default: orders of one buyer within the hour that together pass the single limit are
    a split purchase, which risk screening holds)."""
    from cbec.matching import service as matching

    from .helpers import import_order, import_payment, import_waybill

    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(n):
        no = f"IO2026{i:04d}"
        order = import_order(no, price=price, tax="0")
        order["head"]["orderTime"] = (datetime(2026, 1, 2, 10) + timedelta(hours=hours_apart * i)).strftime(
            "%Y%m%d%H%M%S"
        )
        docs += [
            order,
            import_payment(no, amount=str(Decimal(price) + 10)),
            import_waybill(no, logisticsNo=f"EE{i:09d}JP", billNo="784-12345675", trafNo="CA930", voyageNo="CA930"),
        ]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "CREAM-50", "3304990099")
        assert matching.run_matching(uow.session).by_state == {"matched": n}
        uow.commit()


def test_import_tax_is_assessed_and_a_buyer_over_the_annual_limit_is_refused_before_customs(settings) -> None:
    """6 × (4,800 + 10 freight) = 28,860 CNY in one year: the platform's tax step (the buyer's
    ledger, 财关税〔2018〕49号) declares five and refuses the sixth, which never reaches customs;
    each declared order's tax is the one ``cbec tax import`` computes, to the fen."""
    from cbec.sandbox import SandboxCustoms
    from cbec.tax.models import BuyerLedgerEntry, TaxAssessment

    _import_orders(settings, 6)
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=3)
    declared = pipeline.declare(settings)
    assert declared["declared"].get("CEB621") == 5 and declared["refused"] == 1, declared["refused_examples"]
    refusal = declared["refused_examples"][0]
    assert refusal["order"].endswith("orderNo=IO20260005") and "26000" in refusal["message_zh"].replace(",", "")
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(TaxAssessment.reference, TaxAssessment.is_refused, TaxAssessment.tax_total, TaxAssessment.result)
            .where(TaxAssessment.kind == "import")
            .order_by(TaxAssessment.reference)
        ).all()
        ledger = uow.session.scalars(select(BuyerLedgerEntry.amount)).all()
    # within the limits: tariff 0, consumption tax 15% (≥ CNY 10 a ml, 财税〔2016〕103号) and VAT 13%,
    # each at 70%: CT 4,810 / 0.85 × 0.15 × 0.7 = 594.18, VAT (4,810 + 848.82…) × 0.13 × 0.7 = 514.95
    assert [(r, refused, t) for r, refused, t, _ in rows] == [
        *[(f"IO2026{i:04d}", False, Decimal("1109.13")) for i in range(5)],
        ("IO20260005", True, Decimal(0)),
    ]
    first = rows[0].result
    assert (first["consumptionTax"], first["valueAddedTax"], first["customsTax"]) == ("594.18", "514.95", "0.00")
    assert sum(ledger) == Decimal("24050.00") and len(ledger) == 5
    again = pipeline.declare(settings)  # the refused order has not changed: not assessed again
    assert again["held"] == 1 and again["refused"] == 0 and again["declared"] == {}
    with UnitOfWork(settings) as uow:
        assert uow.session.scalar(select(func.count()).select_from(TaxAssessment)) == 6
    _round(settings, sandbox, 4)
    with UnitOfWork(settings) as uow:
        lists = uow.session.execute(
            select(Declaration.order_no, Declaration.status).where(Declaration.message_type == "CEB621")
        ).all()
    assert sorted(lists) == [(f"IO2026{i:04d}", "closed") for i in range(5)]


def test_import_buyer_over_the_annual_limit_elsewhere_is_refused_by_customs_with_the_reason(settings) -> None:
    """Customs counts the buyer's purchases on every platform; ours knows only its own. A buyer
    with 22,000 CNY bought elsewhere this year passes the platform's ledger with a 4,810 order,
    and customs rejects the list (-621018) with the reason, shown in the timeline."""
    from cbec.customs import service as customs
    from cbec.sandbox import SandboxCustoms
    from cbec.sandbox.rules import digest
    from cbec.tax.models import TaxAssessment

    from .helpers import BUYER

    _import_orders(settings, 1)
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=3)
    year = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year
    sandbox.state.count_quota("OTHERPLATFORM|OTHER-1", digest(BUYER["buyerIdNumber"]), year, Decimal("22000"))
    declared = pipeline.declare(settings)
    assert declared["declared"].get("CEB621") == 1, declared["refused_examples"]
    with UnitOfWork(settings) as uow:
        assert uow.session.scalar(select(TaxAssessment.tax_total)) == Decimal("1109.13")
    _round(settings, sandbox, 4)
    with UnitOfWork(settings) as uow:
        status, return_status = uow.session.execute(
            select(Declaration.status, Declaration.return_status).where(Declaration.message_type == "CEB621")
        ).one()
        refused = customs.timeline(uow.session, "IO20260000").model_dump()
    assert (status, return_status) == ("rejected", -621018)
    shown = [
        e
        for d in refused["declarations"]
        if d["message_type"] == "CEB621"
        for e in d["events"]
        if e["return_status"] == -621018
    ]
    assert shown and "26000" in shown[0]["return_info"].replace(",", "")


def _ledger(settings) -> dict[str, Decimal]:
    from cbec.tax.models import BuyerLedgerEntry

    with UnitOfWork(settings) as uow:
        return dict(uow.session.execute(select(BuyerLedgerEntry.order_no, BuyerLedgerEntry.amount)).all())


def test_a_returned_import_gives_its_buyer_quota_back(settings) -> None:
    """Five closed imports of 4,810 use 24,050 of the buyer's 26,000; one is returned (CEB625,
    海关总署公告2020年第45号: the annual total is adjusted back), so a new 4,810 order that the
    ledger refused before (28,860 > 26,000, 财关税〔2018〕49号) is declared now."""
    from cbec.customs import service as customs
    from cbec.matching import service as matching
    from cbec.sandbox import SandboxCustoms

    from .helpers import import_order, import_payment, import_waybill

    _import_orders(settings, 5)
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=3)
    assert pipeline.declare(settings)["declared"]["CEB621"] == 5
    _round(settings, sandbox, 4)
    assert sum(_ledger(settings).values()) == Decimal("24050.00")
    with UnitOfWork(settings) as uow:
        invt_no, status = uow.session.execute(
            select(Declaration.invt_no, Declaration.status).where(
                Declaration.message_type == "CEB621", Declaration.order_no == "IO20260000"
            )
        ).one()
        assert status == "closed"
        customs.request_return(uow.session, invt_no, "客户退货 customer return")
        uow.commit()
    _round(settings, sandbox, 3)
    with UnitOfWork(settings) as uow:
        assert uow.session.scalar(select(Declaration.status).where(Declaration.invt_no == invt_no)) == "returned"
    ledger = _ledger(settings)
    assert "IO20260000" not in ledger and sum(ledger.values()) == Decimal("19240.00")

    no = "IO20260099"
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = [
        import_order(no, price="4800.00", tax="0"),
        import_payment(no, amount="4810.00"),
        import_waybill(no, logisticsNo="EE000000099JP", billNo="784-12345675", trafNo="CA930", voyageNo="CA930"),
    ]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        matching.run_matching(uow.session)
        uow.commit()
    again = pipeline.declare(settings)
    assert again["declared"].get("CEB621") == 1 and again["refused"] == 0, again["refused_examples"]
    assert sum(_ledger(settings).values()) == Decimal("24050.00")


def _return_list(settings, sandbox, order_no: str, *, released_days_ago: int | None = None) -> str:
    """Ask customs to take back the goods of ``order_no``'s closed list (CEB625) and let it answer;
    ``released_days_ago`` moves the recorded release back that many days first."""
    from cbec.customs import service as customs

    with UnitOfWork(settings) as uow:
        list_id, invt_no = uow.session.execute(
            select(Declaration.id, Declaration.invt_no).where(
                Declaration.message_type == "CEB621", Declaration.order_no == order_no
            )
        ).one()
        if released_days_ago is not None:
            at = datetime.now(UTC) - timedelta(days=released_days_ago)
            china = at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d%H%M%S")
            for event in uow.session.scalars(
                select(DeclarationEvent).where(
                    DeclarationEvent.declaration_id == list_id, DeclarationEvent.after.in_(("released", "closed"))
                )
            ):
                event.at, event.return_time = at, china
        customs.request_return(uow.session, invt_no, "客户退货 customer return")
        uow.commit()
    _round(settings, sandbox, 3)
    with UnitOfWork(settings) as uow:
        assert uow.session.scalar(select(Declaration.status).where(Declaration.id == list_id)) == "returned"
    return invt_no


def test_a_return_within_30_days_refunds_the_tax_and_a_later_one_does_not(settings) -> None:
    """海关总署公告2020年第45号: a retail import returned within 30 days of its list's release is
    not taxed — its assessment's tax is reversed by an ``import_return`` row dated the return —
    and its buyer's quota comes back; returned 40 days after release, neither (the shipped
    policy ``retail.late_return_quota_back`` is false: RULES.md is silent on a late return)."""
    from cbec.sandbox import SandboxCustoms
    from cbec.tax.models import TaxAssessment

    _import_orders(settings, 2)
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=3)
    assert pipeline.declare(settings)["declared"]["CEB621"] == 2
    _round(settings, sandbox, 4)
    assert sum(_ledger(settings).values()) == Decimal("9620.00")

    _return_list(settings, sandbox, "IO20260000")
    _return_list(settings, sandbox, "IO20260001", released_days_ago=40)

    ledger = _ledger(settings)
    assert "IO20260000" not in ledger and ledger["IO20260001"] == Decimal("4810.00")
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    with UnitOfWork(settings) as uow:
        rows = {r.reference: r for r in uow.session.scalars(select(TaxAssessment))}
        settled = {
            r.reference: r
            for r in uow.session.scalars(select(TaxAssessment).where(TaxAssessment.kind == "import_return"))
        }
        assessed = {
            r.reference: r for r in uow.session.scalars(select(TaxAssessment).where(TaxAssessment.kind == "import"))
        }
    assert set(rows) == {"IO20260000", "IO20260001"}
    within, late = settled["IO20260000"], settled["IO20260001"]
    assert assessed["IO20260000"].tax_total > 0
    assert within.tax_total == -assessed["IO20260000"].tax_total and within.tax_on == today
    assert within.result["taxRefunded"] and within.result["quotaGivenBack"] and within.result["withinWindow"]
    assert within.result["refund"]["taxTotal"] == f"{-assessed['IO20260000'].tax_total:.2f}"
    assert within.result["assessmentId"] == assessed["IO20260000"].id
    assert late.tax_total == 0 and not late.result["taxRefunded"] and not late.result["quotaGivenBack"]
    assert late.result["releasedOn"] == (today - timedelta(days=40)).isoformat()
    assert "30" in late.result["reason"]["message_en"] and "税款不退" in late.result["reason"]["message_zh"]
    from cbec.tax.service.explain import explain

    with UnitOfWork(settings) as uow:
        assert explain(uow.session, within.id).reproduced.matches


def test_a_list_customs_rejects_uses_none_of_the_buyer_quota(settings) -> None:
    """Customs rejects the list of a buyer over the annual limit on other platforms (-621018):
    the order's entry leaves the platform's ledger, which counts what the buyer bought here."""
    from cbec.sandbox import SandboxCustoms
    from cbec.sandbox.rules import digest

    from .helpers import BUYER

    _import_orders(settings, 2)
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=3)
    year = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year
    sandbox.state.count_quota("OTHERPLATFORM|OTHER-1", digest(BUYER["buyerIdNumber"]), year, Decimal("19000"))
    assert pipeline.declare(settings)["declared"]["CEB621"] == 2
    assert sum(_ledger(settings).values()) == Decimal("9620.00")
    _round(settings, sandbox, 4)
    with UnitOfWork(settings) as uow:
        lists = dict(
            uow.session.execute(
                select(Declaration.order_no, Declaration.status).where(Declaration.message_type == "CEB621")
            ).all()
        )
    # 19,000 + 4,810 fits customs' count; the second order takes it to 28,620
    assert lists == {"IO20260000": "closed", "IO20260001": "rejected"}
    assert _ledger(settings) == {"IO20260000": Decimal("4810.00")}


def test_a_new_version_of_a_declared_import_is_not_assessed_again(settings) -> None:
    """A declared order cannot be declared a second time with the same numbers; its new version
    (here a lower price, paid again) is not assessed either, so the buyer's ledger keeps the
    amount customs was told."""
    from cbec.intake.models import Document
    from cbec.matching.models import MatchResult
    from cbec.tax.models import TaxAssessment

    from .helpers import import_order, import_payment

    _import_orders(settings, 1)
    assert pipeline.declare(settings)["declared"]["CEB621"] == 1
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    changed = [import_order("IO20260000", price="3000.00", tax="0"), import_payment("IO20260000", amount="3010.00")]
    pipeline.import_bytes(settings, as_bytes(*changed), ctx, fmt="json")  # matched on arrival
    with UnitOfWork(settings) as uow:
        current = uow.session.execute(
            select(MatchResult.state, Document.version)
            .join(Document, Document.id == MatchResult.order_doc_id)
            .where(MatchResult.is_current.is_(True))
        ).all()
    assert [tuple(r) for r in current] == [("matched", 2)]
    again = pipeline.declare(settings)
    assert again["declared"] == {} and again["already_declared"] == 1 and again["refused"] == 0
    assert _ledger(settings) == {"IO20260000": Decimal("4810.00")}
    with UnitOfWork(settings) as uow:
        assert uow.session.scalar(select(func.count()).select_from(TaxAssessment)) == 1


@pytest.mark.parametrize(("trade_mode", "order_type", "flag"), [("9710", "B", "A"), ("9810", "W", "A")])
def test_b2b_and_overseas_warehouse_trade_modes(matched, trade_mode: str, order_type: str, flag: str) -> None:
    result = pipeline.declare(matched, trade_mode=trade_mode)
    assert result["declared"]["CEB603"] == 150
    with UnitOfWork(matched) as uow:
        payloads = uow.session.scalars(select(OutboxMessage.payload)).all()
    orders = [e for p in payloads if b"CEB303Message" in p[:200] for e in parse(p).entities]
    lists = [e for p in payloads if b"CEB603Message" in p[:200] for e in parse(p).entities]
    assert {e.head["orderType"] for e in orders} == {order_type}
    assert {(e.head["tradeMode"], e.head["statisticsFlag"]) for e in lists} == {(trade_mode, flag)}
    assert all(check_message(p) == [] for p in payloads)


def test_an_unsigned_import_list_is_refused_and_a_signed_one_accepted(settings, tmp_path) -> None:
    from datetime import UTC, datetime

    from cbec.customs import service as customs
    from cbec.customs.builders import default_profile
    from cbec.customs.keys import sandbox_key, signer_for
    from cbec.customs.service import declaring
    from cbec.matching import service as matching
    from cbec.matching.models import MatchResult
    from cbec.sandbox import SandboxCustoms

    from .helpers import import_order, import_payment, import_waybill

    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(2):
        no = f"IOS{i:04d}"
        docs += [
            import_order(no),
            import_payment(no),
            import_waybill(no, logisticsNo=f"ES{i:09d}JP", billNo="784-1", trafNo="CA930", voyageNo="CA930"),
        ]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "CREAM-50", "3304990099")
        matching.run_matching(uow.session)
        uow.commit()
    key, cert = sandbox_key(tmp_path / "keys", "test")
    signed_settings = settings.model_copy(update={"signing_key": key, "signing_cert": cert})
    with UnitOfWork(settings) as uow:  # the first order is declared unsigned …
        first = uow.session.scalars(
            select(MatchResult).where(MatchResult.is_current.is_(True)).order_by(MatchResult.order_key)
        ).first()
        declaring._declare_batch(
            uow.session,
            [first],
            customs.DeclareReport(),
            declaring.Options("9610", None, default_profile(), datetime.now(UTC), signer=None, risk_limits=None),
        )
        uow.commit()
    pipeline.declare(signed_settings)  # … the second signed
    assert signer_for(signed_settings) is not None
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=5, require_signatures=True)
    _round(settings, sandbox, 4)
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(Declaration.order_no, Declaration.status, Declaration.return_status).where(
                Declaration.message_type == "CEB621"
            )
        )
        lists = {o: (s, r) for o, s, r in rows}
    assert lists["IOS0000"] == ("rejected", -621029)
    assert lists["IOS0001"][0] == "closed"


def test_an_order_goes_out_whole_or_not_at_all(matched) -> None:
    from dataclasses import replace

    from cbec.customs import service as customs
    from cbec.customs.builders import default_profile

    bad = replace(default_profile(), port_code="29330")  # five characters: the XSD allows four
    with UnitOfWork(matched) as uow:
        report = customs.declare(uow.session, profile=bad)
        uow.commit()
    assert report.declared == {} and len(report.refused) == 150  # not even the order or waybill went out
    assert "portCode" in str(report.refused[0])
    assert pipeline.declare(matched)["declared"] == {"CEB303": 150, "CEB505": 150, "CEB603": 150}


def test_a_summary_takes_each_released_list_once_and_its_result_reaches_them(matched) -> None:
    """汇总申报 (CEB701) of the released 9610 lists of the day: every list names its summary, a
    second summary of the same period finds none left, and customs' 汇总结果单 (CEB792) is
    recorded on the summary and on each of its lists."""
    from cbec.customs import service as customs
    from cbec.sandbox import SandboxCustoms

    sandbox = SandboxCustoms(pipeline.messages_dir(matched), seed=7)
    pipeline.declare(matched)
    _round(matched, sandbox, 3)  # released
    today = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    with UnitOfWork(matched) as uow:
        assert customs.summarise(uow.session, period_start=today, period_end=today).orders == 0  # not departed
        # the parcels left (the departure flow itself is tests/integration/test_logistics.py)
        uow.session.execute(update(Declaration).values(departed_at=datetime.now(UTC)))
        uow.commit()
    with UnitOfWork(matched) as uow:
        first = customs.summarise(uow.session, period_start=today, period_end=today)
        uow.commit()
    with UnitOfWork(matched) as uow:
        again = customs.summarise(uow.session, period_start=today, period_end=today)
        summary_ids = set(
            uow.session.scalars(select(Declaration.summary_id).where(Declaration.message_type == "CEB603"))
        )
        [summary] = uow.session.scalars(select(Declaration).where(Declaration.message_type == "CEB701")).all()
    assert first.orders == 150 and first.declared["CEB701"] == 1
    assert again.orders == 0 and not again.declared
    assert summary_ids == {summary.id}
    _round(matched, sandbox, 4)  # 2 → 120 (sumNo) → CEB792
    with UnitOfWork(matched) as uow:
        results = {
            d: info
            for d, info in uow.session.execute(
                select(DeclarationEvent.declaration_id, DeclarationEvent.return_info).where(
                    DeclarationEvent.return_info.startswith("汇总结果")
                )
            )
        }
    assert summary.id in results and len(results) == 151
