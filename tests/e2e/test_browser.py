"""The web UI in a real browser: Playwright for Python driving Debian's chromium.

A seller's clerk signs in, uploads an Amazon order report, declares the matched orders, watches
the sandbox customs walk a list to its end, reads the XML and the receipt timeline, switches
the language and signs out. Screenshots go to ``test-artifacts/screenshots`` (or
``CBEC_SCREENSHOT_DIR``) for a person to look at.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cbec.catalogue import service as catalogue
from cbec.intake.documents import DocType, ParseContext
from cbec.intake.parsers import amazon_orders
from tests.e2e.browser import Server, log_in, new_page, shot, sign_in
from tests.e2e.web_world import World, build_world
from tests.integration.helpers import LOGISTICS, SELLER

pytestmark = pytest.mark.e2e

AMAZON = Path(__file__).resolve().parents[1] / "data" / "amazon-all-orders.txt"


def _prepare_partners(world: World) -> list[str]:
    """What the seller's partners did before the upload: the seller confirmed the HS codes of its
    SKUs, and the logistics company pushed a waybill for each order it picked up."""
    ctx = ParseContext(SELLER.code, SELLER.name, "无", "境外平台")
    parsed = amazon_orders.parse(AMAZON.read_bytes(), ctx)
    orders = [d for d in parsed.documents if d.doc_type is DocType.EXPORT_ORDER]
    hs = {"MUG": "6912001000", "TRAY": "4419110000", "SPAT": "3924100000", "LED": "9405490000"}
    from cbec.unit_of_work import UnitOfWork

    with UnitOfWork(world.settings) as uow:
        skus = {
            (SELLER.code, str(ln["itemNo"])): (str(ln.get("itemName") or ""), "")
            for d in orders
            for ln in d.lines
            if "kind" not in ln
        }
        catalogue.register_skus(uow.session, skus)
        for _, sku in skus:
            code = next((v for k, v in hs.items() if k in sku), "6912001000")
            catalogue.confirm_code(uow.session, SELLER.code, sku, code)
        uow.commit()
    waybills = []
    for i, d in enumerate(orders, start=1):
        from cbec.kit.tracking import make_s10

        waybills.append(
            {
                "type": "export_waybill",
                "head": {
                    "logisticsCode": LOGISTICS.code,
                    "logisticsName": LOGISTICS.name,
                    "logisticsNo": make_s10("LP", 70_000_000 + i, "CN"),
                    "freight": "0",
                    "insuredFee": "0",
                    "currency": d.head.get("currency", "502"),
                    "grossWeight": "0.8",
                    "packNo": "1",
                    "goodsInfo": "household goods",
                    "orderNo": d.head["orderNo"],
                    "ebpCode": "无",
                },
            }
        )
    c = world.client()
    r = c.post(
        "/api/v1/documents",
        params={"seller": SELLER.code, "platform": "无"},
        content=json.dumps(waybills).encode(),
        headers={"Authorization": f"Bearer {world.keys['logistics']}", "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    return [str(d.head["orderNo"]) for d in orders]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World, list[str]]]:
    world = build_world(tmp_path_factory.mktemp("browser") / "data")
    order_nos = _prepare_partners(world)
    with Server(world) as url:
        yield url, world, order_nos


def test_a_seller_uploads_declares_and_follows_a_list(site: tuple[str, World, list[str]], browser: object) -> None:
    from playwright.sync_api import expect

    url, _world, order_nos = site
    page, errors = new_page(browser, height=800, accept_downloads=True)

    # sign in (Chinese by default)
    page.goto(f"{url}/declarations")
    expect(page).to_have_url(f"{url}/login?next=/declarations")
    log_in(page, "alice")
    expect(page.locator("h1")).to_have_text("申报单")
    page.goto(f"{url}/")
    expect(page.locator("#chart-trend svg")).to_be_visible()  # ECharts drew the daily trend
    shot(page, "01-dashboard-zh")

    # upload the Amazon order report
    page.click("text=上传单证")
    page.set_input_files("#file-input", str(AMAZON))
    page.select_option("#platform-select", "无")
    page.click("#upload-submit")
    report = page.locator("#upload-report")
    expect(report).to_be_visible(timeout=30_000)
    expect(page.locator("#r-documents")).not_to_have_text("0")
    expect(page.locator("#r-matched")).to_have_text(str(len(order_nos)))
    shot(page, "02-upload-result")
    with page.expect_download() as dl:
        page.click("#errors-csv")
    assert dl.value.path().read_bytes().startswith("\ufeff".encode())

    # declare the matched orders
    page.click("a[href='/declarations']")
    page.click("#declare-now")
    expect(page.locator("#declared-note")).to_contain_text(f"已申报 {len(order_nos)} 单")
    page.fill("input[name=q]", order_nos[0])
    row = page.locator("#declaration-table tbody tr", has_text="CEB603")
    try:
        expect(row).to_have_count(1)
    except AssertionError:
        print(page.evaluate("typeof htmx"), page.evaluate("document.querySelector('input[name=q]').value"))
        print(page.url, page.locator("#declaration-table").inner_text()[:300])
        raise
    # htmx pushes the filtered URL after it swaps the rows; a click that lands before the push
    # has its navigation cancelled by pushState, so wait for the pushed URL first
    expect(page).to_have_url(re.compile(r"/declarations\?.*q="))
    shot(page, "03-declarations")
    row.locator("a.decl-link").click()
    expect(page).to_have_url(re.compile(r"/declarations/\d+$"))

    # the worker sends, the sandbox customs answers; the list walks to 结关 (899)
    deadline = time.monotonic() + 60
    while "结关" not in page.locator("#decl-status").inner_text():
        assert time.monotonic() < deadline, page.locator("#timeline").inner_text()
        time.sleep(0.5)
        page.reload()
    timeline = page.locator("#timeline").inner_text()
    for code in ("2", "120", "800", "899"):
        assert code in timeline
    xml = page.locator("#xml-text").inner_text()
    assert "CEB603Message" in xml and order_nos[0] in xml
    with page.expect_download() as dl:
        page.click("#xml-download")
    assert b"CEB603Message" in dl.value.path().read_bytes()
    expect(page.locator("#match")).to_contain_text("通过")
    shot(page, "04-declaration-detail")

    # switch the language: the same page in English
    page.click("#switch-language")
    expect(page.locator("#timeline h2")).to_have_text("Receipt timeline")
    expect(page.locator("#decl-status")).to_have_text("Closed")
    shot(page, "05-declaration-detail-en")
    page.goto(f"{url}/")
    shot(page, "06-dashboard-en")

    # sign out: the pages are closed again
    page.click("#logout")
    expect(page).to_have_url(f"{url}/login")
    page.goto(f"{url}/declarations")
    expect(page).to_have_url(f"{url}/login?next=/declarations")
    assert errors == []
    page.context.close()


def test_the_operator_sees_every_enterprise_and_the_regulator_no_personal_data(
    site: tuple[str, World, list[str]], browser: object
) -> None:
    from playwright.sync_api import expect

    url, world, _ = site
    page, _errors = new_page(browser, height=800, locale=None)
    sign_in(page, url, "operator")
    page.goto(f"{url}/enterprises")
    expect(page.locator("#enterprise-table")).to_contain_text("91440300MA5FKB0Q0J")
    shot(page, "07-enterprises")
    page.goto(f"{url}/declarations/{world.ids['B']['import_list']}")
    expect(page.locator("#xml-text")).to_contain_text("1101**********4477")  # masked until opened
    page.fill("#personal input[name=reason]", "核查退单 checking a rejection")
    page.click("#personal button")
    expect(page.locator("#personal-data")).to_contain_text("110101199003074477")
    page.click("#logout")

    log_in(page, "regina")
    expect(page.locator(".note")).to_be_visible()
    assert page.locator("a[href='/declarations']").count() == 0
    page.goto(f"{url}/declarations/{world.ids['A']['import_list']}")
    assert "110101199003074477" not in page.content() and "4477" not in page.content()
    shot(page, "08-regulator")
    page.context.close()


def test_the_operator_reviews_a_held_split_purchase(tmp_path: Path, browser: object) -> None:
    """Seller A's clerk declares two 3,000 CNY orders of one buyer a minute apart: the note says
    they wait for risk review; the operator reads the reason on 风险审核, clears one with a reason
    (a blank one is refused by the form) and refuses the other; the seller sees both decisions."""
    from playwright.sync_api import expect

    from tests.e2e.web_world import post_split_purchase

    world = build_world(tmp_path / "data")
    post_split_purchase(world, "IO-BR", 40)
    with Server(world) as url:
        page, errors = new_page(browser, height=800)
        sign_in(page, url, "alice")
        page.click("a[href='/declarations']")
        page.click("#declare-now")
        expect(page.locator("#declared-note")).to_contain_text("已申报 0 单")
        expect(page.locator("#declared-note")).to_contain_text("2 单待风险审核")
        page.click("#logout")

        log_in(page, "operator")
        page.click("a[href='/risk']")
        rows = page.locator("#risk-hits tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("疑似化整为零")
        expect(rows.first).to_contain_text("6020.00")
        shot(page, "09-risk-review")
        rows.first.locator("input[name=note]").fill("核实为家庭采购 family purchase")
        rows.first.locator("button[value=clear]").click()
        expect(rows).to_have_count(1)
        page.evaluate("document.querySelector('#risk-hits input[name=note]').removeAttribute('required')")
        rows.first.locator("button[value=refuse]").click()  # no reason: the service refuses it
        expect(page.locator("p.error")).to_contain_text("须填写理由")
        rows.first.locator("input[name=note]").fill("拆单规避限值 split to pass the limit")
        rows.first.locator("button[value=refuse]").click()
        expect(page.locator("#risk-hits tbody")).to_contain_text("暂无数据")
        page.click("#logout")

        log_in(page, "alice")
        page.goto(f"{url}/risk?status=")
        table = page.locator("#risk-hits")
        expect(table).to_contain_text("已放行")
        expect(table).to_contain_text("已拒绝")
        expect(table).to_contain_text("operator: 核实为家庭采购")
        assert page.locator("button[name=decision]").count() == 0  # the seller does not decide
        assert not errors, errors
        page.context.close()
