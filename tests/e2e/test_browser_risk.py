"""Issue 19's browser acceptance: the operator opens the risk-lane overview (lanes against their
rates, hits by rule, seller and day, as ECharts), drills down from a lane to its lists with why
each is there, and opens a seller's credit record with every contribution; the regulator sees
the overview without any seller named. Debian's chromium through Playwright; screenshots in
test-artifacts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_browser import SHOTS, Server, browser  # noqa: F401 - the browser fixture
from tests.e2e.web_world import PASSWORDS, World, build_world
from tests.integration.helpers import SELLER

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    world = build_world(tmp_path_factory.mktemp("risk") / "data")
    with Server(world) as url:
        yield url, world


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"risk-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _login(chromium: object, url: str, user: str) -> object:
    from playwright.sync_api import Browser

    assert isinstance(chromium, Browser)
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("#login-submit")
    return page


def test_the_risk_page_lanes_drill_down_and_a_credit_record(
    site: tuple[str, World],
    browser: object,  # noqa: F811 - the fixture
) -> None:
    from playwright.sync_api import Page, expect

    url, _world = site
    page = _login(browser, url, "operator")
    assert isinstance(page, Page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.click("a[href='/risk/overview']")
    expect(page.locator("h1")).to_contain_text("风险布控")
    expect(page.locator("#lane-lists")).to_contain_text("4")  # every list of the world has a lane
    expect(page.locator("#chart-lanes svg")).to_be_visible()
    expect(page.locator("#chart-rules svg")).to_be_visible()
    expect(page.locator("#chart-sellers svg")).to_be_visible()
    _shot(page, "01-overview")

    lanes = page.locator("#lane-kpis a")
    busy = next(i for i in range(lanes.count()) if lanes.nth(i).inner_text().strip() != "0")
    lanes.nth(busy).click()
    expect(page.locator("#risk-lanes tbody tr").first).to_be_visible()
    expect(page.locator("#risk-lanes")).to_contain_text("通道")
    _shot(page, "02-drill-down")

    page.goto(f"{url}/credit")
    page.click(f"a[href='/credit/{SELLER.code}']")
    expect(page.locator("#credit-contributions")).to_contain_text("refusal_rate")
    expect(page.locator("#credit-contributions")).to_contain_text("信用历史")
    _shot(page, "03-credit-record")
    assert not errors, errors


def test_the_regulator_sees_hits_by_seller_but_no_list(
    site: tuple[str, World],
    browser: object,  # noqa: F811 - the fixture
) -> None:
    from playwright.sync_api import Page, expect

    url, _world = site
    page = _login(browser, url, "regina")
    assert isinstance(page, Page)
    page.goto(f"{url}/risk/overview")
    expect(page.locator("#chart-lanes svg")).to_be_visible()
    # the regulator supervises the enterprises: hits by seller are shown (issue 19, item 6), but
    # it does not drill into lists (business records) and no buyer is ever named
    expect(page.locator("#chart-sellers svg")).to_be_visible()
    assert page.locator("#lane-kpis a").count() == 0
    assert SELLER.code in page.content()
    _shot(page, "04-regulator")
