"""Issue 18's browser acceptance: seller A's clerk opens the logistics page, searches its parcel
and sees the carrier's events and the customs flows (arrival, departure, master bill) on one
timeline, and the transit times by carrier and destination; seller B's parcel is not found.
Debian's chromium through Playwright; screenshots in test-artifacts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cbec import pipeline
from cbec.logistics.schemas import FlowIn, TrackingEventIn
from cbec.sandbox import SandboxCustoms
from tests.e2e.browser import Server, shot, signed_in
from tests.e2e.web_world import World, build_world
from tests.integration.helpers import LOGISTICS

pytestmark = pytest.mark.e2e

PARCEL_A, PARCEL_B = "LP123456785CN", "LP000000015CN"


@pytest.fixture(scope="module")
def tracked_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    world = build_world(tmp_path_factory.mktemp("logistics") / "data")
    settings = world.settings
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=7, require_signatures=True)
    for kind in ("arrival", "departure", "master_bill"):
        flow = FlowIn(kind=kind, parcels=[PARCEL_A], traf_name="CA1234", voyage_no="CA1234", bill_no="999-1",
                      gross_weight="0.8")  # type: ignore[arg-type]  # fmt: skip
        pipeline.logistics_flow(settings, flow, carrier=LOGISTICS.code)
        for _ in range(3):
            pipeline.work_once(settings)
            sandbox.step()
        pipeline.work_once(settings)
    events = [
        ("EMA", "2026-12-01T09:00:00+08:00", "义乌 Yiwu", "CN"),
        ("EXA", "2026-12-01T15:00:00+08:00", "义乌 Yiwu", "CN"),
        ("EMC", "2026-12-01T23:00:00+08:00", "上海浦东 PVG", "CN"),
        ("EMD", "2026-12-03T08:00:00+00:00", "London Heathrow", "GB"),
        ("EMI", "2026-12-06T11:00:00+00:00", "London", "GB"),
    ]
    pipeline.track_events(
        settings,
        [
            (i, TrackingEventIn(waybill_no=PARCEL_A, time=t, event_code=c, location=w, country=k))
            for i, (c, t, w, k) in enumerate(events, start=1)
        ],
        carrier=LOGISTICS.code,
        channel="api",
    )
    with Server(world) as url:
        yield url, world


def test_the_parcel_track_page(tracked_site: tuple[str, World], browser: object) -> None:
    from playwright.sync_api import expect

    url, _world = tracked_site
    page, errors = signed_in(browser, url, "alice")

    page.click("a[href='/logistics']")
    expect(page.locator("h1")).to_contain_text("物流")
    page.fill("#track-q", PARCEL_A)
    page.click("#track-search button")
    expect(page.locator("#track-waybill")).to_have_text(PARCEL_A)
    expect(page.locator("#track-status")).to_have_text("已签收")
    expect(page.locator("#track-departed")).to_be_visible()
    steps = page.locator("#track-steps li")
    expect(steps.filter(has_text="运抵（CEB507）")).to_have_count(1)
    expect(steps.filter(has_text="离境（CEB509）")).to_have_count(1)
    expect(steps.filter(has_text="清单总分单（CEB607）")).to_have_count(1)
    expect(page.locator("#track-steps li[data-kind=event]")).to_have_count(5)
    expect(page.locator("#transit")).to_contain_text("GB")
    shot(page, "logistics-01-track")

    # seller B's parcel: not found, and its number is not echoed back
    page.fill("#track-q", PARCEL_B)
    page.click("#track-search button")
    expect(page.locator("#track-error")).to_be_visible()
    expect(page.locator("#track-steps")).to_have_count(0)
    assert page.locator("#track-q").input_value() == ""
    assert errors == []
    page.context.close()
