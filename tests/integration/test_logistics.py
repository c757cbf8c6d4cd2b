"""Logistics on SQLite and PostgreSQL: carriers' events in (mapped, deduplicated, unknown codes
queued and resolved), stalled parcels, and the physical CEB flows with the sandbox customs —
a departure of parcels that never arrived is refused, arrival then departure is accepted, and only
departed 9610 lists go into the summary and the refund; the parcel's track shows both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cbec import pipeline
from cbec.audit.models import AuditEntry
from cbec.catalogue import service as catalogue
from cbec.ceb.messages import check_message
from cbec.customs import service as customs
from cbec.customs.models import Declaration, OutboxMessage
from cbec.logistics import service as logistics
from cbec.logistics.schemas import FlowIn, TrackingEventIn
from cbec.matching import service as matching
from cbec.sandbox import SandboxCustoms
from cbec.sharing import service as sharing
from cbec.sharing.models import Delivery, SharedEvent
from cbec.sharing.schemas import EventType, SubscriptionCreate
from cbec.unit_of_work import UnitOfWork

from .helpers import LOGISTICS, PLATFORM, SELLER, as_bytes, export_order, export_waybill, register_partners

pytestmark = pytest.mark.integration

CARRIER = LOGISTICS.code
N = 6


def _event(waybill: str, code: str, at: str, **kw: str) -> TrackingEventIn:
    return TrackingEventIn(waybill_no=waybill, time=at, event_code=code, **kw)  # type: ignore[arg-type]


def test_events_are_mapped_deduplicated_and_unknown_codes_wait_for_the_operator(settings) -> None:
    register_partners(settings)
    events = [
        (1, _event("LP1", "EMA", "2026-12-01T09:00:00+08:00", location="Yiwu", country="CN")),
        (2, _event("LP1", "EMC", "2026-12-02T09:00:00+08:00")),
        (3, _event("LP1", "Delivered", "2026-12-06T09:00:00-05:00", country="us")),
        (4, _event("LP1", "EZZ", "2026-12-03T09:00:00+08:00", description="mystery scan")),
        (5, _event("LP1", "EZZ", "2026-12-03T10:00:00+08:00")),
        (6, _event("LP2", "EMA", "2026-12-01T09:00:00")),  # no zone
    ]
    with UnitOfWork(settings) as uow:
        report = logistics.ingest_events(uow.session, events, carrier=CARRIER, channel="api")
        uow.commit()
    assert (report.received, report.stored, report.in_review) == (6, 5, 2)
    assert [(e.line, e.field) for e in report.errors] == [(6, "time")]
    with UnitOfWork(settings) as uow:  # the same events again: nothing new
        again = logistics.ingest_events(uow.session, events[:5], carrier=CARRIER, channel="file")
        uow.commit()
    assert (again.stored, again.duplicates) == (0, 5)
    with UnitOfWork(settings) as uow:
        [entry] = logistics.review_queue(uow.session).items
        assert (entry.code, entry.events, entry.example) == ("EZZ", 2, "mystery scan")
        logistics.resolve_review(uow.session, entry.id, "in_transit", "a hub scan", by="operator")
        uow.commit()
    with UnitOfWork(settings) as uow:
        track = logistics.track(uow.session, None, "LP1")
        assert [s.status for s in track.steps] == ["picked_up", "departed", "in_transit", "in_transit", "delivered"]
        assert track.status == "delivered"
        assert logistics.review_queue(uow.session).items == []
        later = logistics.ingest_events(
            uow.session, [(1, _event("LP3", "EZZ", "2026-12-03T10:00:00+08:00"))], carrier=CARRIER, channel="api"
        )
        assert later.in_review == 0 and later.by_status == {"in_transit": 1}
        transit = logistics.transit_times(uow.session, None)
        assert [(r.carrier, r.country, r.parcels) for r in transit.rows] == [(CARRIER, "US", 1)]
        assert transit.rows[0].median_days == pytest.approx(5 + 13 / 24, abs=0.01)  # 01:00Z → 14:00Z five days on
        stalled = logistics.stalled_parcels(
            uow.session, None, hours=72, unseen_hours=48, now=datetime(2026, 12, 10, tzinfo=UTC)
        )
        assert [s.waybill_no for s in stalled.stalled] == ["LP3"]
        actions = uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-2:] == ["logistics.review.resolve", "logistics.events"]


@pytest.fixture
def released(settings):
    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(N):
        docs += [export_order(f"SO{i:04d}"), export_waybill(f"SO{i:04d}", logistics_no=f"LP{i:09d}CN")]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "MUG-001", "6912001000")
        uow.commit()
    with UnitOfWork(settings) as uow:
        matching.run_matching(uow.session)
        uow.commit()
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=7)
    pipeline.declare(settings)
    _round(settings, sandbox, 3)
    return settings, sandbox


def _round(settings, sandbox, n: int = 1) -> None:
    for _ in range(n):
        pipeline.work_once(settings)
        sandbox.step()
    pipeline.work_once(settings)


def _flow(settings, **kw) -> None:
    with UnitOfWork(settings) as uow:
        logistics.declare_flow(uow.session, FlowIn(**kw), carrier=CARRIER)
        uow.commit()


def _status(settings, message: str) -> list[str]:
    with UnitOfWork(settings) as uow:
        return list(uow.session.scalars(select(Declaration.status).where(Declaration.message_type == message)))


def test_departure_needs_arrival_and_only_departed_lists_are_summarised(released) -> None:
    settings, sandbox = released
    parcels = [f"LP{i:09d}CN" for i in range(N)]
    with UnitOfWork(settings) as uow:  # the platform is told of each list that departs (webhooks)
        sub = sharing.create_subscription(
            uow.session, settings,
            SubscriptionCreate(url="https://platform.example.com/h", event_types=[EventType.DEPARTURE]),
            enterprise=PLATFORM.code, created_by="t", resolver=lambda h, p: ["93.184.216.34"],
        )  # fmt: skip
        uow.commit()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    with UnitOfWork(settings) as uow:  # released but not departed: not exported yet
        assert customs.summarise(uow.session, period_start=today, period_end=today).orders == 0
        assert customs.released_export_lines(uow.session) == []
    _flow(settings, kind="departure", parcels=parcels[:2], cop_no="EARLY1")
    _round(settings, sandbox, 2)
    assert _status(settings, "CEB509") == ["rejected"]  # the sandbox: those parcels never arrived
    _flow(settings, kind="arrival", parcels=parcels[:4], domestic_traf_no="浙G12345")
    _flow(settings, kind="departure", parcels=parcels[:4], traf_name="CA1234", voyage_no="CA1234", bill_no="999-1")
    _flow(settings, kind="master_bill", parcels=parcels, traf_name="CA1234", voyage_no="CA1234", bill_no="999-1",
          gross_weight="3.5")  # fmt: skip
    _round(settings, sandbox, 3)
    assert sorted(_status(settings, "CEB509")) == ["concluded", "rejected"]
    assert _status(settings, "CEB507") == ["concluded"] and _status(settings, "CEB607") == ["concluded"]
    with UnitOfWork(settings) as uow:
        assert set(customs.departed_lists(uow.session, parcels)) == set(parcels[:4])
        report = customs.summarise(uow.session, period_start=today, period_end=today)
        assert report.orders == 4  # the two lists whose parcels have not left wait
        assert len(customs.released_export_lines(uow.session)) == 4
        track = logistics.track(uow.session, frozenset({SELLER.code}), parcels[0])
        assert [s.title_en.split(" (")[0] for s in track.steps if s.kind == "customs"] == [
            "departure", "arrival at the supervised site", "departure", "master bill",
        ]  # fmt: skip
        assert track.departed_at is not None
        for payload in uow.session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.message_type.in_(("CEB507", "CEB509", "CEB607")))
        ):
            assert check_message(payload) == []
        timeline = customs.timeline(uow.session, parcels[0])
        assert "CEB509" in {d.message_type for d in timeline.declarations}
        told = uow.session.scalars(
            select(SharedEvent.payload).join(Delivery, Delivery.event_id == SharedEvent.id)
            .where(Delivery.subscription_id == sub.id)
        ).all()  # fmt: skip
        assert sorted(p["logistics_no"] for p in told) == parcels[:4]  # once each, the refused departure not


def test_delivery_status_site_entry_and_returned_parcel_tally_are_answered(released) -> None:
    settings, sandbox = released
    _flow(settings, kind="site_entry", parcels=["IMP0001"], traf_name="MU5101", voyage_no="MU5101", bill_no="781-2")
    _flow(settings, kind="refund_tally", parcels=["LP000000001CN"], bill_no="781-3", traf_name="MU5102",
          voyage_no="MU5102")  # fmt: skip
    _flow(settings, kind="delivery", parcels=["IMP0001"], at=datetime.now(UTC) - timedelta(hours=1))
    _round(settings, sandbox, 3)
    assert _status(settings, "CEB711") == ["stored"]
    assert _status(settings, "CEB215") == ["concluded"]
    assert _status(settings, "CEB513") == ["rejected"]  # customs holds no import waybill IMP0001


def test_the_demo_moves_every_released_parcel_out_before_the_summary(released) -> None:
    from cbec import demo

    settings, sandbox = released
    moved = demo.run_logistics(settings, sandbox)
    assert (moved["parcels"], moved["flights"], moved["departed"]) == (N, 1, N)
    assert moved["tracking_events"] == 4 * N
    assert moved["movements"] == {"CEB507": {"concluded": 1}, "CEB509": {"concluded": 1}, "CEB607": {"concluded": 1}}
    today = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    with UnitOfWork(settings) as uow:
        assert customs.summarise(uow.session, period_start=today, period_end=today).orders == N
        assert [r.parcels for r in logistics.transit_times(uow.session, None).rows] == [N]


def test_arrival_and_departure_are_derived_from_the_carriers_events_at_the_site(released) -> None:
    settings, sandbox = released
    parcels = [f"LP{i:09d}CN" for i in range(N)]
    events = [(i, _event(p, "EXA", "2026-12-01T10:00:00+08:00")) for i, p in enumerate(parcels[:3], start=1)]
    events += [(9, _event(parcels[0], "EMC", "2026-12-01T22:00:00+08:00"))]
    with UnitOfWork(settings) as uow:
        logistics.ingest_events(uow.session, events, carrier=CARRIER, channel="file")
        derived = logistics.derive_flows(uow.session, CARRIER)
        uow.commit()
    assert [(m.message_type, m.parcels) for m in derived] == [("CEB507", 3), ("CEB509", 1)]
    with UnitOfWork(settings) as uow:  # nothing new: the same parcels are not sent again
        assert logistics.derive_flows(uow.session, CARRIER) == []
    _round(settings, sandbox, 3)
    with UnitOfWork(settings) as uow:
        assert list(customs.departed_lists(uow.session, parcels)) == [parcels[0]]


def test_delivery_exceptions_reach_the_sellers_credit(released) -> None:
    """Issue 19's delivery exceptions: of the seller's parcels carriers reported on, those failed,
    in exception or returned lower its ability to perform."""
    from cbec.credit import service as credit

    settings, _ = released
    now = datetime.now(UTC)
    at = (now - timedelta(days=2)).isoformat()
    events = [
        (1, _event("LP000000000CN", "Delivered", at)),
        (2, _event("LP000000001CN", "Exception", at)),
        (3, _event("LP000000002CN", "InTransit", at)),
        (4, _event("LP000000002CN", "DeliveryFailure", (now - timedelta(days=1)).isoformat())),
    ]
    with UnitOfWork(settings) as uow:
        logistics.ingest_events(uow.session, events, carrier=CARRIER, channel="api")
        uow.commit()
    with UnitOfWork(settings) as uow:
        h, dated = credit.history(uow.session, SELLER.code, now.date() + timedelta(days=1))
        assert (h.parcels_tracked, h.delivery_exceptions) == (3, 2)
        assert sum(e.count for e in dated if e.kind == "delivery_exceptions") == 2
        graded = credit.rate(uow.session, SELLER.code)
        part = {c.factor: c.points for c in graded.contributions}["delivery_exception_share"]
        assert part == 0  # 2 of 3 parcels: past the factor's worst (10%)
