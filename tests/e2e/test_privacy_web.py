"""The operator erases a buyer over the API and on the page; a seller's clerk may not."""

from __future__ import annotations

import pytest

from tests.e2e.web_world import World
from tests.integration.helpers import BUYER

pytestmark = pytest.mark.e2e


def test_the_operator_erases_a_buyer_and_sees_the_erasure(world: World) -> None:
    seller, token = world.login("alice")
    refused = seller.post(
        "/api/v1/privacy/erasures",
        json={"buyer_id_number": BUYER["buyerIdNumber"], "reason": "x"},
        headers={"X-CSRF-Token": token},
    )
    assert refused.status_code == 403
    client, csrf = world.login("operator")
    done = client.post(
        "/api/v1/privacy/erasures",
        json={"buyer_id_number": BUYER["buyerIdNumber"], "reason": "PIPL art. 47 request"},
        headers={"X-CSRF-Token": csrf},
    )
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["counts"]["documents"] >= 2 and out["token"].startswith("E") and len(out["token"]) == 18
    assert [x["token"] for x in client.get("/api/v1/privacy/erasures").json()] == [out["token"]]
    page = client.get("/privacy")
    assert page.status_code == 200 and out["token"] in page.text and BUYER["buyerIdNumber"] not in page.text
    again = client.post(
        "/privacy/erase", data={"buyer_id": BUYER["buyerIdNumber"], "reason": "again", "csrf_token": csrf}
    )
    assert again.status_code == 404 and 'id="privacy-error"' in again.text
    trail = client.get("/api/v1/audit", params={"action": "privacy.erase"}).json()["items"]
    assert [e["target"] for e in trail] == [f"erasure:{out['token']}"] and trail[0]["actor"] == "operator"
