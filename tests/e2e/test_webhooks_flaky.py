"""Webhooks out (issue 20, item 4) against a real receiver on 127.0.0.1 that fails: 500s, answers
after the sender gave up, dropped connections, an outage of a few hundred requests, then it
recovers. Over 1,200 deliveries: none lost, none processed twice by a receiver that dedupes on
the delivery id (the raw count is higher: that is what the dedupe is for), every signature
verified by the receiver, order kept per declaration. Then a receiver that never answers well:
dead letters after the bound, and the operator's replay once it is fixed."""

from __future__ import annotations

import time

import pytest

from cbec.config import Settings, get_settings, reset_settings
from cbec.sharing import service as sharing
from cbec.sharing.dispatcher import Dispatcher
from cbec.sharing.schemas import DeclarationStatusChanged, EventType, SubscriptionCreate
from cbec.unit_of_work import UnitOfWork
from tests.webhook_receiver import Flakiness, Receiver

pytestmark = pytest.mark.e2e

SELLER, PLATFORM = "3301960ABC", "3301960XYZ"
KEYS, EVENTS_PER_KEY = 100, 6  # x 2 subscriptions (the seller's and the platform's): 1,200 deliveries


@pytest.fixture
def fast(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in {
        "WEBHOOK_ALLOW_LOOPBACK": "1", "WEBHOOK_RETRY_BASE_SECONDS": "0.02", "WEBHOOK_RETRY_CAP_SECONDS": "0.3",
        "WEBHOOK_MAX_ATTEMPTS": "12", "WEBHOOK_TIMEOUT_SECONDS": "0.3", "WEBHOOK_CONCURRENCY": "16",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"CBEC_{name}", value)
    reset_settings()
    return get_settings()


def _subscribe(settings: Settings, url: str, enterprise: str) -> str:
    with UnitOfWork(settings) as uow:
        made = sharing.create_subscription(
            uow.session, settings, SubscriptionCreate(url=url, event_types=[EventType.DECLARATION_STATUS]),
            enterprise=enterprise, created_by="test",
        )  # fmt: skip
        uow.commit()
    return made.secret


def _event(key: int, n: int) -> DeclarationStatusChanged:
    return DeclarationStatusChanged(
        seller=SELLER, others=(PLATFORM,), order_no=f"ORD-{key:04d}", declaration_id=key, message_type="CEB603",
        cop_no=f"COP{key}", invt_no="", status=f"step-{n}", previous_status=f"step-{n - 1}" if n else "",
    )  # fmt: skip


def _publish_all(settings: Settings) -> None:
    """Events of one key published in separate transactions, keys interleaved, as receipts arrive."""
    for n in range(EVENTS_PER_KEY):
        with UnitOfWork(settings) as uow:
            sharing.publish_many(uow.session, [_event(k, n) for k in range(KEYS)])
            uow.commit()


def _drain(settings: Settings, dispatcher: Dispatcher, *, deadline: float) -> None:
    while time.monotonic() < deadline:
        dispatcher.dispatch_once()
        with UnitOfWork(settings) as uow:
            page = sharing.deliveries(uow.session, None, _page(), status="pending")
        if page.total == 0:
            return
        time.sleep(0.05)
    pytest.fail("deliveries still pending at the deadline")


def _page():  # type: ignore[no-untyped-def]
    from cbec.kit.paging import PageRequest

    return PageRequest(1, 1)


def test_a_thousand_deliveries_to_a_flaky_receiver(fast: Settings) -> None:
    flaky = Flakiness(error=0.08, slow=0.02, drop=0.04, outage=range(300, 520), slow_seconds=0.6)
    with Receiver({}, flaky, seed=2026) as receiver:
        receiver.secrets[SELLER] = _subscribe(fast, receiver.url, SELLER)
        receiver.secrets[PLATFORM] = _subscribe(fast, receiver.url, PLATFORM)
        _publish_all(fast)
        started = time.monotonic()
        with Dispatcher(fast) as dispatcher:
            _drain(fast, dispatcher, deadline=started + 240)
        took = time.monotonic() - started
        time.sleep(flaky.slow_seconds)  # the slow answers still sleeping finish
        got = receiver.got

    expected = 2 * KEYS * EVENTS_PER_KEY
    with UnitOfWork(fast) as uow:
        dead = sharing.deliveries(uow.session, None, _page(), status="dead").total
        delivered = sharing.deliveries(uow.session, None, _page(), status="delivered").total
    print(
        f"\nwebhooks: {expected} deliveries in {took:.1f}s; receiver saw {got.raw} requests, "
        f"{got.failed_on_purpose} failed on purpose, {got.duplicates} duplicates dropped, "
        f"{len(got.accepted)} accepted, {got.bad_signatures} bad signatures"
    )
    assert dead == 0 and delivered == expected
    assert len(got.accepted) == expected  # none lost, none processed twice
    assert got.raw > expected and got.failed_on_purpose > 0  # it did fail, and it was retried
    assert got.duplicates > 0  # the slow answers were sent again, and the dedupe caught them
    assert got.bad_signatures == 0 and got.stale == 0
    for key, envelopes in got.order.items():  # order kept per declaration, for each receiver
        steps = [e["data"]["status"] for e in envelopes]
        assert steps == [f"step-{n}" for n in range(EVENTS_PER_KEY)], key
    assert all(e["data"].keys() >= {"order_no", "status", "seller"} for e in got.accepted.values())


def test_dead_letters_after_the_bound_and_the_operators_replay(fast: Settings, monkeypatch) -> None:
    monkeypatch.setenv("CBEC_WEBHOOK_MAX_ATTEMPTS", "4")
    reset_settings()
    settings = get_settings()
    with Receiver({}, Flakiness(always_fail=True)) as receiver:
        receiver.secrets[SELLER] = _subscribe(settings, receiver.url, SELLER)
        with UnitOfWork(settings) as uow:
            sharing.publish_many(uow.session, [_event(k, 0) for k in range(5)])
            uow.commit()
        with Dispatcher(settings) as dispatcher:
            _drain(settings, dispatcher, deadline=time.monotonic() + 30)
            assert receiver.got.raw == 5 * 4 and not receiver.got.accepted
            with UnitOfWork(settings) as uow:
                dead = sharing.deliveries(uow.session, None, _page(), status="dead")
                assert dead.total == 5
                assert {d.attempts for d in dead.items} == {4}
            receiver.flaky.always_fail = False  # the partner fixed its receiver
            with UnitOfWork(settings) as uow:
                sub = sharing.list_subscriptions(uow.session, None)[0]
                assert sub.dead == 5
                assert sharing.replay(uow.session, subscription_id=sub.id) == 5
                uow.commit()
            _drain(settings, dispatcher, deadline=time.monotonic() + 30)
        assert len(receiver.got.accepted) == 5 and receiver.got.bad_signatures == 0
    with UnitOfWork(settings) as uow:
        page = sharing.deliveries(uow.session, None, _page(), status="delivered")
        assert page.total == 5 and page.items[0].replays == 1
