"""An order's journey, as the seller searches it: by order number, waybill number or list number,
one answer with every step in time order — received, waybill, matching, each declaration and
receipt, release — and the steps the platform does not track yet shown as such."""

from __future__ import annotations

import pytest

from tests.e2e.web_world import World

pytestmark = pytest.mark.e2e


def _auth(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys['a']}"}


def test_the_same_journey_by_order_waybill_and_list_number(world: World) -> None:
    c = world.client()
    list_id = world.ids["A"]["list"]
    invt_no = c.get(f"/api/v1/declarations/{list_id}", headers=_auth(world)).json()["invt_no"]
    answers = [
        c.get("/api/v1/journey", params={"q": q}, headers=_auth(world)) for q in ("SO-A-0001", "LP123456785CN", invt_no)
    ]
    assert [r.status_code for r in answers] == [200, 200, 200], answers[0].text
    bodies = [r.json() for r in answers]
    assert {b["order_no"] for b in bodies} == {"SO-A-0001"}
    assert bodies[0]["steps"] == bodies[1]["steps"] == bodies[2]["steps"]
    steps = bodies[0]["steps"]
    kinds = [s["kind"] for s in steps]
    for kind in ("received", "waybill", "matching", "declaration", "released"):
        assert kind in kinds, kinds
    assert kinds.index("received") < kinds.index("matching") < kinds.index("released")
    timed = [s["at"] for s in steps if s["at"]]
    assert timed == sorted(timed)
    assert kinds[-3:] == ["departure", "fx_receipt", "refund"]
    assert [s["state"] for s in steps[-3:]] == ["not_tracked", "waiting", "not_tracked"]  # reconciled: no money yet
    fx = steps[-2]
    assert fx["title_zh"] == "收汇：未收汇" and fx["link"].startswith("/finance/lists/") and "25.00" in fx["detail_en"]
    released = next(s for s in steps if s["kind"] == "released")
    assert "CEB603" in released["title_en"] and released["state"] == "done"


def test_an_import_journey_shows_its_tax(world: World) -> None:
    r = world.client().get("/api/v1/journey", params={"q": "IO-A-0001"}, headers=_auth(world))
    assert r.status_code == 200, r.text
    kinds = [s["kind"] for s in r.json()["steps"]]
    assert "payment" in kinds and "tax" in kinds and r.json()["direction"] == "import"


def test_another_sellers_order_is_not_found_and_the_page_searches(world: World) -> None:
    r = world.client().get("/api/v1/journey", params={"q": "SO-B-0001"}, headers=_auth(world))
    assert r.status_code == 404 and r.json()["field"] == "q"
    client, _ = world.login("alice")
    page = client.get("/journey", params={"q": "SO-A-0001"})
    assert page.status_code == 200 and 'id="journey-steps"' in page.text and "尚未跟踪" in page.text
    missing = client.get("/journey", params={"q": "NO-SUCH-ORDER"})
    assert missing.status_code == 200 and 'id="journey-error"' in missing.text
