"""Logistics over the API, in-process over the two-seller world: the carrier pushes its events
(a retry with the same Idempotency-Key replays the first answer, the same events again are
duplicates, an unknown code is queued), a seller may not push them, the operator resolves the
code; the carrier declares arrival and departure of seller A's parcel, and A reads its track."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cbec import pipeline
from cbec.sandbox import SandboxCustoms
from tests.e2e.web_world import World, build_world
from tests.integration.helpers import LOGISTICS

pytestmark = pytest.mark.e2e

PARCEL_A = "LP123456785CN"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Path(tmp_path_factory.mktemp("logistics-api")) / "data")


def _auth(world: World, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[key]}"}


def test_events_flows_review_and_track_over_the_api(world: World) -> None:
    client: TestClient = world.client()
    events = {
        "events": [
            {"waybill_no": PARCEL_A, "time": "2026-12-01T09:00:00+08:00", "event_code": "EMA", "location": "Yiwu"},
            {"waybill_no": PARCEL_A, "time": "2026-12-02T09:00:00+08:00", "event_code": "XQ1", "code_system": "cbec"},
            {"waybill_no": PARCEL_A, "time": "2026-12-02 09:00", "event_code": "EMC"},
        ]
    }
    headers = {**_auth(world, "logistics"), "Idempotency-Key": "track-batch-1"}
    first = client.post("/api/v1/logistics/events", json=events, headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["stored"], body["in_review"], [e["field"] for e in body["errors"]]) == (2, 1, ["time"])
    assert body["inbox_id"]  # the request as received is kept in the inbox
    retry = client.post("/api/v1/logistics/events", json=events, headers=headers)
    assert retry.json() == body and retry.headers["Idempotent-Replayed"] == "true"
    again = client.post("/api/v1/logistics/events", json=events, headers=_auth(world, "logistics"))
    assert again.json()["duplicates"] == 2 and again.json()["stored"] == 0
    # a seller may not push a carrier's events, nor a carrier another carrier's
    assert client.post("/api/v1/logistics/events", json=events, headers=_auth(world, "a")).status_code == 403
    other = {"events": [{**events["events"][0], "carrier": "91330782MA2DEMN016"}]}
    assert client.post("/api/v1/logistics/events", json=other, headers=_auth(world, "logistics")).status_code == 403

    operator, csrf = world.login("operator")
    [entry] = operator.get("/api/v1/logistics/review").json()["items"]
    assert (entry["code"], entry["carrier"]) == ("XQ1", LOGISTICS.code)
    resolved = operator.post(
        "/api/v1/logistics/review/resolve",
        json={"review_id": entry["id"], "status": "in_transit", "note": "hub scan"},
        headers={"X-CSRF-Token": csrf},
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "in_transit"

    sandbox = SandboxCustoms(pipeline.messages_dir(world.settings), seed=7, require_signatures=True)
    for kind in ("arrival", "departure"):
        r = client.post(
            "/api/v1/logistics/flows", json={"kind": kind, "parcels": [PARCEL_A]}, headers=_auth(world, "logistics")
        )
        assert r.status_code == 201 and r.json()["created"] is True, r.text
        for _ in range(3):
            pipeline.work_once(world.settings)
            sandbox.step()
        pipeline.work_once(world.settings)
    seller, _ = world.login("alice")
    track = seller.get("/api/v1/logistics/track", params={"q": PARCEL_A}).json()
    assert [s["status"] for s in track["steps"] if s["kind"] == "event"] == ["picked_up", "in_transit"]
    assert {s["title_en"] for s in track["steps"] if s["kind"] == "customs"} == {
        "arrival at the supervised site (CEB507)", "departure (CEB509)",
    }  # fmt: skip
    assert track["departed_at"]
    bob, _ = world.login("bob")
    assert bob.get("/api/v1/logistics/track", params={"q": PARCEL_A}).status_code == 404
    regulator, _ = world.login("regina")
    assert regulator.get("/api/v1/logistics/transit").status_code == 200
    assert regulator.get("/api/v1/logistics/track", params={"q": PARCEL_A}).status_code == 403
