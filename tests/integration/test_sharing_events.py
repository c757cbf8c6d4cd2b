"""The areas tell partners what happened (issue 20, item 4): a seller's orders and waybills
accepted, matched, declared, answered and released by the sandbox customs, and reconciled; each
step queues its events in its own unit of work, in order per order, and no payload names a buyer."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cbec import pipeline
from cbec.catalogue import service as catalogue
from cbec.kit.paging import PageRequest
from cbec.sandbox import SandboxCustoms
from cbec.sharing import service as sharing
from cbec.sharing.models import Delivery, SharedEvent
from cbec.sharing.schemas import EventType, SubscriptionCreate
from cbec.unit_of_work import UnitOfWork

from .helpers import BUYER, PLATFORM, SELLER, as_bytes, export_order, export_waybill, register_partners

pytestmark = pytest.mark.integration


def _subscribe(settings, enterprise: str, types: list[EventType]) -> int:
    with UnitOfWork(settings) as uow:
        made = sharing.create_subscription(
            uow.session, settings, SubscriptionCreate(url="https://partner.example.com/h", event_types=types),
            enterprise=enterprise, created_by="t", resolver=lambda h, p: ["93.184.216.34"],
        )  # fmt: skip
        uow.commit()
    return made.id


def _events(settings, sub_id: int) -> list[tuple[str, str, dict]]:
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(Delivery.ordering_key, SharedEvent.type, SharedEvent.payload)
            .join(SharedEvent, Delivery.event_id == SharedEvent.id)
            .where(Delivery.subscription_id == sub_id)
            .order_by(Delivery.id)
        ).all()
    return [(k, t, p) for k, t, p in rows]


def test_the_journey_of_an_order_reaches_the_seller_and_its_platform(settings) -> None:
    register_partners(settings)
    seller = _subscribe(settings, SELLER.code, list(EventType))
    platform = _subscribe(settings, PLATFORM.code, [EventType.DECLARATION_RELEASED])
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(3):
        docs += [export_order(f"SO{i:04d}"), export_waybill(f"SO{i:04d}", logistics_no=f"LP{i:09d}CN")]
    bad = export_order("SO-BAD")
    bad["head"]["currency"] = "XXX"  # refused: not a currency
    pipeline.import_bytes(settings, as_bytes(*docs, bad), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "MUG-001", "6912001000")
        uow.commit()
    pipeline.import_bytes(settings, as_bytes(*docs[:2]), ctx, fmt="json", rematch=True)  # duplicates: rematch only
    from cbec.matching import service as matching

    with UnitOfWork(settings) as uow:
        matching.run_matching(uow.session, order_nos=[f"SO{i:04d}" for i in range(3)])
        uow.commit()
    pipeline.declare(settings)
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=7)
    for _ in range(4):
        pipeline.work_once(settings)
        sandbox.step()
    pipeline.work_once(settings)
    pipeline.reconcile(settings, SELLER.code)

    events = _events(settings, seller)
    types = {t for _, t, _ in events}
    assert {"document.accepted", "document.refused", "match.result", "declaration.receipt"} <= types
    assert {"declaration.status", "declaration.released", "fx.reconciled"} <= types
    refused = next(p for _, t, p in events if t == "document.refused")
    assert refused["order_no"] == "SO-BAD" and "currency" in refused["fields"]
    for i in range(3):  # per order: accepted, then matched, then declared … then released, in that order
        mine = [t for k, t, _ in events if k == f"{SELLER.code}/SO{i:04d}"]
        assert mine.index("document.accepted") < mine.index("match.result") < mine.index("declaration.status")
        assert mine.index("declaration.status") < mine.index("declaration.released")
    released = [p for _, t, p in _events(settings, platform)]
    assert len(released) == 3 and {p["message_type"] for p in released} == {"CEB603"}
    assert all(p["invt_no"] for p in released)
    text = json.dumps([p for _, _, p in events], ensure_ascii=False)
    for personal in (BUYER["buyerIdNumber"], BUYER["buyerTelephone"], BUYER["buyerName"]):
        assert personal not in text
    with UnitOfWork(settings) as uow:
        assert sharing.deliveries(uow.session, None, PageRequest(1, 1), status="pending").total == len(events) + 3
