"""Issue 18's CLI acceptance: after the sandbox released a seller's lists, the carrier's tracking
file goes in with ``cbec logistics events import`` (an unknown code waits in review and the
operator resolves it), a departure of parcels that never arrived is refused by customs, arrival
then departure and the master bill are accepted, only the departed lists are summarised, and
``cbec logistics track|stalled|transit --json`` show the parcel's timeline and the figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.e2e.cli import PLATFORM, SELLER, cbec
from tests.integration.helpers import LOGISTICS, as_bytes, export_order, export_waybill

pytestmark = pytest.mark.e2e

N = 4
PARCELS = [f"LP{i:09d}CN" for i in range(N)]


def _answer(data: Path, rounds: int = 3) -> None:
    for _ in range(rounds):
        cbec(data, "worker", "--once")
        cbec(data, "sandbox", "--once")
    cbec(data, "worker", "--once")


def test_tracking_file_flows_and_the_departure_rule(registered: Path, tmp_path: Path) -> None:
    data = registered
    cbec(data, "partner", "add", "--code", LOGISTICS.code, "--name", LOGISTICS.name, "--role", "logistics")
    docs = []
    for i, number in enumerate(PARCELS):
        docs += [export_order(f"SO{i:04d}"), export_waybill(f"SO{i:04d}", logistics_no=number)]
    (tmp_path / "docs.json").write_bytes(as_bytes(*docs))
    cbec(data, "import", str(tmp_path / "docs.json"), "--seller", SELLER, "--platform", PLATFORM, "--format", "json")
    (tmp_path / "catalogue.csv").write_text("SKU,HS编码\nMUG-001,6912001000\n", encoding="utf-8")
    cbec(data, "catalogue", "import", str(tmp_path / "catalogue.csv"), "--seller", SELLER)
    cbec(data, "match")
    assert cbec(data, "declare")["declared"]["CEB603"] == N
    _answer(data)

    track_csv = tmp_path / "track.csv"
    track_csv.write_text(
        "waybill_no,time,location,event_code,description\n"
        f"{PARCELS[0]},2026-12-01T09:00:00+08:00,义乌 Yiwu,EMA,Posted\n"
        f"{PARCELS[0]},2026-12-01T20:00:00+08:00,上海 PVG,EMC,Departed\n"
        f"{PARCELS[0]},2026-12-08T10:00:00+00:00,London,Delivered,Signed\n"
        f"{PARCELS[1]},2026-12-01T09:00:00+08:00,义乌 Yiwu,ZZ9,odd scan\n"
        f"{PARCELS[2]},2026-12-01 09:00,Yiwu,EMA,no zone\n",
        encoding="utf-8",
    )
    got = cbec(data, "logistics", "events", "import", str(track_csv), "--carrier", LOGISTICS.code)
    assert (got["received"], got["stored"], got["in_review"]) == (5, 4, 1) and got["inbox_id"]
    assert [(e["line"], e["field"]) for e in got["errors"]] == [(6, "time")]
    again = cbec(data, "logistics", "events", "import", str(track_csv), "--carrier", LOGISTICS.code)
    assert (again["stored"], again["duplicates"]) == (0, 4)
    bad = tmp_path / "bad.csv"
    bad.write_text("parcel,when\nX,Y\n", encoding="utf-8")
    refused = cbec(data, "logistics", "events", "import", str(bad), "--carrier", LOGISTICS.code, ok=False)
    assert (refused["field"], refused["inbox_id"] > got["inbox_id"]) == ("header", True)  # kept all the same
    [entry] = cbec(data, "logistics", "events", "review")["items"]
    assert entry["code"] == "ZZ9"
    cbec(data, "logistics", "events", "resolve", str(entry["id"]), "--status", "picked_up", "--note", "hub scan")
    assert cbec(data, "logistics", "events", "review")["items"] == []

    carrier = ("--carrier", LOGISTICS.code)
    early = cbec(data, "logistics", "flows", "declare", "departure", *carrier, "--parcels", PARCELS[3])
    _answer(data)
    assert cbec(data, "timeline", early["cop_no"])["declarations"][0]["status"] == "rejected"
    some = ",".join(PARCELS[:3])
    cbec(data, "logistics", "flows", "declare", "arrival", *carrier, "--parcels", some, "--domestic-traf-no", "浙G1")
    transport = ("--traf-name", "CA1234", "--voyage-no", "CA1234", "--bill-no", "999-1")
    cbec(data, "logistics", "flows", "declare", "departure", *carrier, "--parcels", some, *transport)
    cbec(data, "logistics", "flows", "declare", "master_bill", *carrier, "--parcels", ",".join(PARCELS), *transport,
         "--gross-weight", "2.0")  # fmt: skip
    _answer(data)
    statuses = cbec(data, "declarations")
    assert statuses["CEB507"] == {"concluded": 1} and statuses["CEB607"] == {"concluded": 1}
    assert statuses["CEB509"] == {"concluded": 1, "rejected": 1}

    month = date.today().strftime("%Y-%m")
    summary = cbec(data, "summarise", "--period", month)
    assert summary["orders"] == 3  # the fourth parcel has not left: its list waits

    track = cbec(data, "logistics", "track", PARCELS[0])
    kinds = [(s["kind"], s["status"]) for s in track["steps"]]
    assert ("event", "picked_up") in kinds and ("event", "delivered") in kinds
    assert {s["title_en"].split(" (")[0] for s in track["steps"] if s["kind"] == "customs"} >= {
        "arrival at the supervised site", "departure", "master bill",
    }  # fmt: skip
    assert track["departed_at"] and track["status"] == "delivered"
    transit = cbec(data, "logistics", "transit")["rows"]
    assert [(r["carrier"], r["parcels"]) for r in transit] == [(LOGISTICS.code, 1)]
    stalled = cbec(data, "logistics", "stalled", "--hours", "1", "--unseen-hours", "0.0001")
    # released, no carrier event (the third one's only event had no zone: refused)
    assert {s["waybill_no"] for s in stalled["never_seen"]} == {PARCELS[2], PARCELS[3]}
    assert PARCELS[1] in {s["waybill_no"] for s in stalled["stalled"]}
