"""The operator reads the audit trail and its verification over HTTP and on the page: the world's
submissions by the partners' API keys and the sellers' clerks, with where they came from."""

from __future__ import annotations

import pytest

from tests.e2e.web_world import World

pytestmark = pytest.mark.e2e


def test_the_operator_sees_who_did_what_and_that_the_chain_holds(world: World) -> None:
    client, _ = world.login("operator")
    verified = client.get("/api/v1/audit/verify").json()
    assert verified["intact"] is True and verified["entries"] > 10
    page = client.get("/api/v1/audit", params={"action": "submission", "page_size": 100}).json()
    assert any(e["actor_kind"] == "api_key" and e["origin"] for e in page["items"])  # a partner, from its address
    assert all(len(e["hash"]) == 64 for e in page["items"])
    html = client.get("/audit")
    assert html.status_code == 200 and 'id="audit-intact"' in html.text and "submission" in html.text
    seller, _ = world.login("alice")
    assert seller.get("/audit").status_code == 403  # the operator's page only
