"""Tracking rules: every listed UPU code and 17TRACK status maps to exactly one internal status,
unknown codes map to none (they go to review), stalled parcels and percentiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cbec.logistics import rules
from cbec.logistics.mappings import status_tables, tables
from cbec.logistics.parsers import read_events_csv
from cbec.logistics.rules import Status

UPU_CODES = [
    "EMA",
    "EMB",
    "EMC",
    "EMD",
    "EME",
    "EMF",
    "EMG",
    "EMH",
    "EMI",
    "EMJ",
    "EMK",
    "EML",
    "EXA",
    "EXB",
    "EXC",
    "EXD",
    "EXX",
    "EDA",
    "EDB",
    "EDC",
    "EDD",
    "EDE",
    "EDF",
    "EDG",
    "EDH",
    "EDX",
]
TRACK17_MAIN = [
    "NotFound",
    "InfoReceived",
    "InTransit",
    "AvailableForPickup",
    "OutForDelivery",
    "DeliveryFailure",
    "Delivered",
    "Exception",
    "Expired",
]


@pytest.mark.parametrize("code", UPU_CODES)
def test_every_upu_code_maps_to_one_status(code: str) -> None:
    assert rules.code_system(code) == "upu"
    assert isinstance(rules.map_code("upu", code, status_tables()), Status)


@pytest.mark.parametrize("code", sorted(tables()["17track"]))
def test_every_17track_status_and_sub_status_maps_to_one_status(code: str) -> None:
    assert rules.code_system(code) == "17track"
    assert isinstance(rules.map_code("17track", code, status_tables()), Status)


def test_the_tables_hold_every_listed_code_and_no_code_is_in_two_systems() -> None:
    t = tables()
    assert set(UPU_CODES) == set(t["upu"])
    assert set(TRACK17_MAIN) <= set(t["17track"])
    assert not (set(t["upu"]) & set(t["17track"])) and not (set(t["17track"]) & set(t["cbec"]))
    # the meanings that decide a parcel's journey
    assert t["upu"]["EMA"].status is Status.PICKED_UP and t["upu"]["EMI"].status is Status.DELIVERED
    assert t["upu"]["EMC"].status is Status.DEPARTED and t["upu"]["EXA"].status is Status.EXPORT_CUSTOMS
    assert t["17track"]["Delivered"].status is Status.DELIVERED
    assert t["17track"]["Exception_Returned"].status is Status.RETURNED
    assert any(r.uncertain for r in t["upu"].values())  # marked, replaceable


def test_our_own_statuses_are_codes_too() -> None:
    for s in Status:
        assert rules.code_system(s.value) == "cbec"
        assert rules.map_code("cbec", s.value, status_tables()) is s


@pytest.mark.parametrize(
    ("system", "code"), [("upu", "EZZ"), ("17track", "InTransit_Teleported"), ("cbec", "lost_in_space")]
)
def test_an_unknown_code_maps_to_nothing_until_the_operator_decides(system: str, code: str) -> None:
    assert rules.code_system(code) == system
    assert rules.map_code(system, code, status_tables()) is None
    assert rules.map_code(system, code, status_tables(), {(system, code): Status.IN_TRANSIT}) is Status.IN_TRANSIT


def test_an_event_needs_a_time_with_its_zone() -> None:
    assert rules.event_problems("LP1", "EMA", rules.parse_time("2026-12-05T10:00:00+08:00")) == []
    assert rules.event_problems("LP1", "EMA", rules.parse_time("2026-12-05T02:00:00Z")) == []
    [p] = rules.event_problems("LP1", "EMA", rules.parse_time("2026-12-05T10:00:00"))
    assert p.field == "time" and "时区" in p.zh
    assert [p.field for p in rules.event_problems("", "", None)] == ["waybill_no", "event_code", "time"]


def test_stalled_and_never_seen() -> None:
    now = datetime(2026, 12, 5, 12, tzinfo=UTC)
    last = [
        ("A", "C", Status.IN_TRANSIT, now - timedelta(hours=100)),
        ("B", "C", Status.DELIVERED, now - timedelta(hours=500)),
        ("D", "C", Status.IN_TRANSIT, now - timedelta(hours=10)),
    ]
    assert [s.waybill_no for s in rules.stalled(last, now, 72)] == ["A"]
    released = [("X", "", now - timedelta(hours=50)), ("Y", "", now - timedelta(hours=50)), ("Z", "", now)]
    assert [s.waybill_no for s in rules.never_seen(released, {"Y"}, now, 48)] == ["X"]


def test_percentiles() -> None:
    assert rules.percentile([], 50) is None
    assert rules.percentile([3, 1, 2], 50) == 2
    assert rules.percentile(list(range(1, 11)), 90) == pytest.approx(9.1)


def test_a_carrier_file_is_read_row_by_row() -> None:
    data = (
        "\ufeffwaybill_no,time,location,event_code,description\n"
        "LP1,2026-12-05T10:00:00+08:00,Yiwu,EMA,Posted\n"
        ",2026-12-05T10:00:00+08:00,Yiwu,EMA,no waybill\n"
    ).encode()
    events, errors = read_events_csv(data, "C1")
    assert [(n, e.waybill_no, e.carrier) for n, e in events] == [(2, "LP1", "C1")]
    assert [(e.line, e.field) for e in errors] == [(3, "waybill_no")]
