"""Issue 18 (part 2) in the browser: seller A's clerk opens the warehouse stock page, uploads an
FBA Inventory Ledger through it, and sees units on hand stacked by ageing bucket per fulfillment
centre (ECharts) and the table by SKU; an earlier day shows the stock of that day. Debian's
chromium through Playwright; screenshots in test-artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from cbec.generate.ledger import Sale, fba_ledger, ledger_events
from tests.e2e.browser import Server, shot, signed_in
from tests.e2e.web_world import World, build_world

pytestmark = pytest.mark.e2e

START = date.today() - timedelta(days=700)


@pytest.fixture(scope="module")
def stock_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World, Path]]:
    root = tmp_path_factory.mktemp("warehouse")
    world = build_world(root / "data")
    sales = [
        Sale(sku, 1 + (i * 7) % 5, date(2011, 1, 1) + timedelta(days=i % 300), f"113-{i:07d}", f"Item {sku}")
        for i in range(600)
        for sku in (("MUG-001", "LAMP-02", "VASE-03")[i % 3],)
    ]
    (root / "ledger.tsv").write_bytes(fba_ledger(ledger_events(sales, seed=4, start=START)))
    with Server(world) as url:
        yield url, world, root


def test_the_stock_page_from_upload_to_ageing(
    stock_site: tuple[str, World, Path],
    browser: object,
) -> None:
    from playwright.sync_api import expect

    url, _world, root = stock_site
    page, errors = signed_in(browser, url, "alice")

    page.click("a[href='/warehouse']")
    expect(page.locator("h1")).to_contain_text("仓库库存")
    expect(page.locator("#warehouse-empty")).to_be_visible()
    page.set_input_files("#movement-upload input[name=file]", str(root / "ledger.tsv"))
    page.click("#movement-upload button")
    expect(page.locator("#warehouse-done")).to_contain_text("新增变动")
    expect(page.locator("#warehouse-done")).to_contain_text("错误 0 条")
    expect(page.locator("#chart-ageing svg")).to_be_visible()
    expect(page.locator("#warehouse-skus")).to_contain_text("MUG-001")
    on_hand = int(page.locator("#kpi-on-hand").inner_text())
    buckets = [int(page.locator(f"#kpi-b-{i}").inner_text()) for i in range(5)]
    assert on_hand > 0 and sum(buckets) == on_hand
    shot(page, "warehouse-01-stock")

    # the same file again changes nothing
    page.set_input_files("#movement-upload input[name=file]", str(root / "ledger.tsv"))
    page.click("#movement-upload button")
    expect(page.locator("#warehouse-done")).to_contain_text("新增变动 0 条")
    assert int(page.locator("#kpi-on-hand").inner_text()) == on_hand

    # a day before the first receipt: nothing was there yet
    page.fill("#warehouse-as-of", (START - timedelta(days=400)).isoformat())
    page.click("#warehouse-filter button")
    expect(page.locator("#warehouse-empty")).to_be_visible()
    shot(page, "warehouse-02-earlier")
    assert not errors, errors
    page.context.close()
