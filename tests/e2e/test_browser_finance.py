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
from tests.e2e.test_browser import SHOTS, Server, browser  # noqa: F401 - the browser fixture
from tests.e2e.web_world import PASSWORDS, World, build_world
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


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"finance-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_the_reconciliation_page_from_upload_to_one_lists_bridge(
    money_site: tuple[str, World, Path],
    browser: object,  # noqa: F811 - the fixture
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    url, _world, root = money_site
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a script the page's CSP (script-src 'self') refused would show here
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORDS["alice"])
    page.click("#login-submit")

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
    _shot(page, "01-page")

    # filter the month the list was released in: the list is there, received
    page.fill("#finance-month", date.today().strftime("%Y-%m"))
    page.click("#finance-filter button")
    expect(page.locator("#finance-lists")).to_contain_text("SO-A-0001")
    expect(page.locator("#kpi-received")).not_to_have_text("USD 0.00")
    expect(page.locator("#chart-months svg")).to_be_visible()
    _shot(page, "02-month")
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
    _shot(page, "03-bridge")
    assert not errors, errors
    context.close()
