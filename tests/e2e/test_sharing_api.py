"""Webhooks over HTTP: a partner's key subscribes its own receiver and reads its own log; the
operator sees the dead letters and replays them; ``cbec serve``'s worker loop posts what the
partner's own submission queued. A private address is refused with a bilingual error."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from cbec.web.app import create_app
from cbec.web.server import PlatformWorker
from tests.e2e.web_world import World
from tests.integration.helpers import PLATFORM, SELLER, export_order
from tests.webhook_receiver import Flakiness, Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def settings(world: World):  # type: ignore[no-untyped-def]
    return world.settings.model_copy(
        update={"webhook_allow_loopback": True, "webhook_retry_base_seconds": 0.0, "webhook_max_attempts": 2}
    )


def _key(world: World, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[name]}"}


def test_a_partner_subscribes_and_its_submission_reaches_its_receiver(world: World, settings) -> None:
    client = TestClient(create_app(settings))
    with Receiver({}) as receiver:
        r = client.post(
            "/api/v1/subscriptions", headers=_key(world, "a"),
            json={"url": receiver.url, "event_types": ["document.accepted", "match.result"]},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["enterprise_code"] == SELLER.code and made["secret"].startswith("whsec_")
        receiver.secrets[SELLER.code] = made["secret"]
        listed = client.get("/api/v1/subscriptions", headers=_key(world, "a")).json()["items"]
        assert {s["enterprise_code"] for s in listed} == {SELLER.code} and all("secret" not in s for s in listed)

        pushed = client.post(
            "/api/v1/documents", params={"platform": PLATFORM.code}, json=[export_order("SO-HOOK-1")],
            headers=_key(world, "a"),
        )  # fmt: skip
        assert pushed.status_code == 201, pushed.text
        worker = PlatformWorker(settings, sandbox=False, interval=0.2)  # the loop `cbec serve --worker` runs
        worker.start()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not receiver.got.accepted:
                time.sleep(0.2)
        finally:
            worker.stop()
            worker.join(timeout=30)
        got = list(receiver.got.accepted.values())
        assert got and got[0]["type"] == "document.accepted" and got[0]["data"]["order_no"] == "SO-HOOK-1"
        assert receiver.got.bad_signatures == 0
        log = client.get(f"/api/v1/subscriptions/{made['id']}/deliveries", headers=_key(world, "a")).json()
        assert log["total"] >= 1 and log["items"][-1]["status"] == "delivered"

    refused = client.post(
        "/api/v1/subscriptions", headers=_key(world, "a"),
        json={"url": "https://10.0.0.8/hooks", "event_types": ["risk.hit"]},
    )  # fmt: skip
    assert refused.status_code == 422
    body = refused.json()
    assert body["field"] == "url" and "10.0.0.8" in body["message_en"] and "内网" in body["message_zh"]
    plain = client.post(
        "/api/v1/subscriptions", headers=_key(world, "a"),
        json={"url": "http://partner.example.com/h", "event_types": ["risk.hit"]},
    )  # fmt: skip
    assert plain.status_code == 422 and "https" in plain.json()["message_en"]
    assert client.delete(f"/api/v1/subscriptions/{made['id']}", headers=_key(world, "b")).status_code == 404
    assert client.delete(f"/api/v1/subscriptions/{made['id']}", headers=_key(world, "a")).status_code == 200


def test_the_operator_replays_dead_letters(world: World, settings) -> None:
    from cbec.sharing import service as sharing
    from cbec.sharing.dispatcher import Dispatcher
    from cbec.sharing.schemas import Released
    from cbec.unit_of_work import UnitOfWork

    operator, _ = world.login("operator")
    operator = TestClient(create_app(settings), cookies=operator.cookies)
    token = operator.get("/profile").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    csrf = {"X-CSRF-Token": token}
    with Receiver({}, Flakiness(always_fail=True)) as receiver:
        r = operator.post(
            "/api/v1/subscriptions", headers=csrf,
            json={"url": receiver.url, "event_types": ["declaration.released"], "enterprise": PLATFORM.code},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        receiver.secrets[PLATFORM.code] = r.json()["secret"]
        with UnitOfWork(settings) as uow:
            for i in range(3):
                sharing.publish(uow.session, Released(
                    seller=SELLER.code, others=(PLATFORM.code,), order_no=f"SO-R-{i}", declaration_id=i,
                    message_type="CEB603", invt_no=f"I{i}", released_at="20261205120000",
                ))  # fmt: skip
            uow.commit()
        with Dispatcher(settings) as d:
            d.dispatch_once()
            dead = operator.get("/api/v1/deliveries", params={"status": "dead"}).json()
            mine = [x["id"] for x in dead["items"] if x["subscription_id"] == r.json()["id"]]
            assert len(mine) == 3
            receiver.flaky.always_fail = False
            replayed = operator.post("/api/v1/deliveries/replay", headers=csrf, json={"delivery_ids": mine[:2]})
            assert replayed.json() == {"replayed": 2}
            again = operator.post(f"/api/v1/subscriptions/{r.json()['id']}/replay", headers=csrf)
            assert again.json() == {"replayed": 1}
            d.dispatch_once()
        assert len(receiver.got.accepted) == 3 and receiver.got.bad_signatures == 0
    trail = operator.get("/api/v1/audit", params={"action": "webhook.replay"}).json()
    assert trail["total"] == 2
