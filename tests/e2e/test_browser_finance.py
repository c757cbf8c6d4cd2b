"""Issue 17's browser acceptance: seller A's clerk opens the 收汇对账 page, uploads the
marketplace's settlement report and the payment institution's receipts through the page,
reconciles, filters the month of the release and drills into one list's bridge down to its
settlement rows. Debian's chromium through Playwright; screenshots in test-artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cbec.generate.settlements import SoldLine, SoldOrder, amazon_settlements
from tests.e2e.browser import Server, shot, signed_in
from tests.e2e.web_world import World, build_world
from tests.integration.helpers import PLATFORM

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def money_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World, Path]]:
    root = tmp_path_factory.mktemp("finance")
    world = build_world(root / "data")
    # seller A's export order SO-A-0001 (2 mugs at 12.50 USD) was declared and released today
    sold = [SoldOrder("SO-A-0001", date.today(), "USD", (SoldLine("MUG-001", 2, Decimal("12.50")),))]
    money = amazon_settlements(sold, subscription=Decimal(0))  # one order: no monthly fee to eat it
    (root / "settlement.txt").write_bytes(money.amazon[0])
    (root / "receipts.csv").write_bytes(money.receipts)
    with Server(world) as url:
        yield url, world, root


def test_the_reconciliation_page_from_upload_to_one_lists_bridge(
    money_site: tuple[str, World, Path],
    browser: object,
) -> None:
    from playwright.sync_api import expect

    url, _world, root = money_site
    page, errors = signed_in(browser, url, "alice")

    page.click("a[href='/finance']")
    expect(page.locator("h1")).to_contain_text("收汇对账")
    page.set_input_files("#money-upload input[name=file]", str(root / "settlement.txt"))
    page.fill("#money-upload input[name=platform]", PLATFORM.code)
    page.click("#money-upload button")
    expect(page.locator("#finance-done")).to_contain_text("新结算 1 份")
    page.set_input_files("#money-upload input[name=file]", str(root / "receipts.csv"))
    page.click("#money-upload button")
    expect(page.locator("#finance-done")).to_contain_text("收汇 1 笔")
    page.click("#reconcile-form button")
    expect(page.locator("#finance-done")).to_contain_text("已对账")
    expect(page.locator("#kpi-received")).to_contain_text("USD")
    expect(page.locator("#chart-bridge svg")).to_be_visible()
    shot(page, "finance-01-page")

    # filter the month the list was released in: the list is there, received
    page.fill("#finance-month", date.today().strftime("%Y-%m"))
    page.click("#finance-filter button")
    expect(page.locator("#finance-lists")).to_contain_text("SO-A-0001")
    expect(page.locator("#kpi-received")).not_to_have_text("USD 0.00")
    expect(page.locator("#chart-months svg")).to_be_visible()
    shot(page, "finance-02-month")
    # a month with nothing released shows nothing
    page.fill("#finance-month", "2001-01")
    page.click("#finance-filter button")
    expect(page.locator("#finance-empty")).to_be_visible()
    page.go_back()

    # drill into the list's bridge: declared, each category, net, received, and the rows behind it
    page.locator("#finance-lists a").first.click()
    expect(page.locator("#bridge-status")).to_have_text("已收汇")
    expect(page.locator("#bridge-table")).to_contain_text("25.00")
    expect(page.locator("#settlement-rows")).to_contain_text("Principal")
    expect(page.locator("#settlement-rows")).to_contain_text("Commission")
    shot(page, "finance-03-bridge")
    assert not errors, errors
    page.context.close()
