"""The webhooks page in a real browser: seller A's clerk subscribes a receiver and is shown the
secret once; the receiver is down, the worker beside the server dead-letters what A's events
queued; the operator sees the dead letters and replays one with the button, then the rest, and
the receiver (up again) gets them signed. Debian's chromium; screenshots in test-artifacts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from cbec.sharing import service as sharing
from cbec.sharing.schemas import DocumentAccepted
from cbec.unit_of_work import UnitOfWork
from tests.e2e.browser import Server, shot, signed_in
from tests.e2e.web_world import World, build_world
from tests.integration.helpers import SELLER
from tests.webhook_receiver import Flakiness, Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World, Receiver]]:
    world = build_world(tmp_path_factory.mktemp("webhooks") / "data")
    world.settings = world.settings.model_copy(
        update={"webhook_allow_loopback": True, "webhook_max_attempts": 1, "webhook_timeout_seconds": 2.0}
    )
    with Receiver({}, Flakiness(always_fail=True)) as receiver, Server(world) as url:
        yield url, world, receiver


def _wait(settings, status: str, n: int) -> None:  # type: ignore[no-untyped-def]
    from cbec.kit.paging import PageRequest

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with UnitOfWork(settings) as uow:
            done = sharing.deliveries(uow.session, None, PageRequest(1, 1), status=status).total
            waiting = sharing.deliveries(uow.session, None, PageRequest(1, 1), status="pending").total
        if done >= n and not waiting:
            return
        time.sleep(0.2)
    pytest.fail(f"fewer than {n} deliveries {status}")


def test_subscribe_then_the_operator_replays_dead_letters(
    site: tuple[str, World, Receiver],
    browser: object,
) -> None:
    from playwright.sync_api import expect

    url, world, receiver = site
    page, _errors = signed_in(browser, url, "alice")
    page.click("a[href='/webhooks']")
    expect(page.locator("h1")).to_contain_text("事件回调")
    page.fill("#webhooks-form input[name=url]", receiver.url)
    page.check("#webhooks-form input[value='document.accepted']")
    page.click("#webhooks-form button")
    secret = page.locator("#webhooks-secret code").inner_text()
    assert secret.startswith("whsec_")
    receiver.secrets[SELLER.code] = secret
    expect(page.locator("#webhooks-subscriptions")).to_contain_text(receiver.url)
    shot(page, "webhooks-01-subscribed")

    with UnitOfWork(world.settings) as uow:  # three of A's documents accepted
        sharing.publish_many(uow.session, [
            DocumentAccepted(seller=SELLER.code, order_no=f"SO-W-{i}", doc_type="export_order", doc_key=f"k{i}",
                             version=1, inbox_id=1)
            for i in range(3)
        ])  # fmt: skip
        uow.commit()
    # the receiver is down: one attempt each (the bound here); the world's two subscriptions to
    # hooks.example.com (no receiver there) are dead letters too
    _wait(world.settings, "dead", 3)

    operator, _errors = signed_in(browser, url, "operator")
    operator.goto(f"{url}/webhooks")
    ours = operator.locator("#webhooks-dead tbody tr", has_text="SO-W-")
    expect(ours).to_have_count(3)
    shot(operator, "webhooks-02-dead-letters")
    receiver.flaky.always_fail = False  # the partner fixed its receiver
    ours.first.locator("button.replay").click()
    expect(operator.locator("#webhooks-replayed")).to_contain_text("1")
    row = operator.locator("#webhooks-subscriptions tbody tr", has_text=receiver.url)
    row.locator("button.replay-all").click()
    expect(operator.locator("#webhooks-replayed")).to_contain_text("2")
    _wait(world.settings, "delivered", 3)
    operator.goto(f"{url}/webhooks")
    expect(operator.locator("#webhooks-log")).to_contain_text("delivered")
    shot(operator, "webhooks-03-replayed")
    assert len(receiver.got.accepted) == 3 and receiver.got.bad_signatures == 0
    page.reload()
    expect(page.locator("#webhooks-log tr.wh-delivered")).to_have_count(3)
