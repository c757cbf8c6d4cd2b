"""Changes after declaring, as a seller makes them: a return of a released list with its reason,
queued for customs as CEB213 and valid against the official XSD; a cancellation refused for a
list in a state it does not apply to, saying why; nothing but lists can be changed."""

from __future__ import annotations

import json

import pytest

from cbec import pipeline
from cbec.ceb.messages import check_message
from tests.e2e.web_world import World

pytestmark = pytest.mark.e2e


def _auth(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys['a']}"}


def test_a_closed_list_is_returned_not_cancelled(world: World) -> None:
    c = world.client()
    list_id = world.ids["A"]["list"]
    detail = c.get(f"/api/v1/declarations/{list_id}", headers=_auth(world)).json()
    assert detail["status"] in {"closed", "released"}
    refused = c.post(f"/api/v1/declarations/{list_id}/cancel", json={"reason": "buyer cancelled"}, headers=_auth(world))
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "invtNo" and "撤销" in refused.json()["message_zh"]
    blank = c.post(f"/api/v1/declarations/{list_id}/return", json={"reason": "  "}, headers=_auth(world))
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    r = c.post(
        f"/api/v1/declarations/{list_id}/return",
        json={
            "reason": "买家退货 customer return",
            "bill_no": "RB20261205001",
            "voyage_no": "CA931",
            "traf_name": "AIR CHINA",
        },
        headers=_auth(world),
    )
    assert r.status_code == 200, r.text
    assert r.json()["declared"] == {"CEB213": 1}
    pipeline.work_once(world.settings)  # the worker sends it
    sent = sorted((pipeline.messages_dir(world.settings) / "archive" / "sent").rglob("CEB213*.xml"))
    assert sent and check_message(sent[-1].read_bytes()) == []
    after = c.get(f"/api/v1/declarations/{list_id}", headers=_auth(world)).json()
    assert after["status"] == "return_requested"


def test_only_lists_change_and_the_page_offers_what_applies(world: World) -> None:
    c = world.client()
    decls = c.get("/api/v1/declarations", params={"page_size": 50}, headers=_auth(world)).json()["items"]
    order = next(d for d in decls if d["message_type"] == "CEB303")
    r = c.post(f"/api/v1/declarations/{order['id']}/cancel", json={"reason": "x"}, headers=_auth(world))
    assert r.status_code == 422 and r.json()["field"] == "message_type"
    client, _ = world.login("alice")
    page = client.get(f"/declarations/{world.ids['A']['import_list']}")
    assert page.status_code == 200 and 'id="changes"' in page.text
    assert ('id="return-form"' in page.text) or ('id="cancel-form"' in page.text)


def test_a_declared_order_that_changes_is_explained_on_its_lists_page(world: World) -> None:
    """After the return above the list waits for customs; the seller sends a new version of its
    order: the declaration is not repeated, the API reports the change waiting with its reason,
    and the list's page says so in the seller's language."""
    from tests.e2e.web_world import _for_seller
    from tests.integration.helpers import PLATFORM, SELLER, export_order

    c = world.client()
    r = c.post(
        "/api/v1/documents",
        params={"platform": PLATFORM.code},
        content=json.dumps([_for_seller(export_order("SO-A-0001", qty="3"), SELLER)], ensure_ascii=False).encode(),
        headers={**_auth(world), "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    out = c.post("/api/v1/declare", json={}, headers=_auth(world)).json()
    assert out["declared"] == {} and out["changes_waiting"] == 1, out
    (change,) = out["changes_examples"]
    assert change["order_no"] == "SO-A-0001" and change["route"] == "wait" and change["message_en"]
    client, _ = world.login("alice")
    page = client.get(f"/declarations/{world.ids['A']['list']}")
    assert 'id="order-changed"' in page.text and 'data-route="wait"' in page.text and "订单已变更" in page.text
