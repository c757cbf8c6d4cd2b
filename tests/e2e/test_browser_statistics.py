"""Issue 20's browser acceptance: the regulator opens the statistics page, sees the world map of
destinations drawn from the npm world GeoJSON (no map file fetched from the internet), filters
by trade mode and drills from a country row down to the lists behind it, where no buyer and no
order number appear. Debian's chromium through Playwright; screenshots in test-artifacts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.browser import Server, new_page, shot, sign_in
from tests.e2e.web_world import World, build_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    world = build_world(tmp_path_factory.mktemp("statistics") / "data")
    with Server(world) as url:
        yield url, world


def test_the_regulator_maps_filters_and_drills_down(
    site: tuple[str, World],
    browser: object,
) -> None:
    from playwright.sync_api import expect

    url, _world = site
    page, errors = new_page(browser)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    sign_in(page, url, "regina")

    page.click("#nav-statistics")
    expect(page.locator("h1")).to_contain_text("统计监测")
    lists = int(page.locator("#kpi-lists").inner_text())
    assert lists > 0
    expect(page.locator("#chart-map")).to_have_attribute("data-ready", "map")
    expect(page.locator("#chart-map svg path").first).to_be_visible()
    expect(page.locator("#chart-chapters svg")).to_be_visible()
    shot(page, "statistics-01-map")

    # filter one trade mode: the export lists of 9610 only
    page.select_option("#filter-mode", "9610")
    page.click("#stats-filters button")
    expect(page.locator("#filter-mode")).to_have_value("9610")
    filtered = int(page.locator("#kpi-lists").inner_text())
    assert 0 < filtered <= lists
    shot(page, "statistics-02-filtered")

    # drill from the first country row to the lists behind it
    row = page.locator("#table-country tr.cell").first
    count = int(row.locator("td").nth(1).inner_text())
    row.click()
    expect(page.locator("#drill-count")).to_contain_text(str(count))
    expect(page.locator("#drill-table tr")).to_have_count(count + 1)
    drill = page.locator("#drill").inner_text()
    assert "SO-" not in drill  # no order number in the regulator's view
    shot(page, "statistics-03-drill")
    assert not errors, errors
    assert not outside, outside
    page.context.close()
