"""Acceptance story of issue 16 in a real browser (Debian's chromium through Playwright): a new
seller signs in, uploads an Amazon "All Orders" report with orders to 32 countries and
territories (Jersey and Guernsey among them, which have no customs code of their own), sees no
order refused for its country, confirms its SKUs on the catalogue page (one bulk accept, one
correction found by search), declares, and watches the sandbox customs release the lists.
A screenshot of each page goes to ``test-artifacts/screenshots/seller-day-*.png``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cbec.kit.tracking import make_s10
from tests.e2e.browser import Server, shot, signed_in
from tests.e2e.web_world import World, build_world
from tests.integration.helpers import LOGISTICS, SELLER

pytestmark = pytest.mark.e2e

AMAZON = Path(__file__).resolve().parents[1] / "data" / "amazon-all-orders.txt"
COUNTRIES = [
    "US",
    "GB",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "BE",
    "SE",
    "PL",
    "IE",
    "AT",
    "DK",
    "FI",
    "PT",
    "GR",
    "CZ",
    "HU",
    "RO",
    "NO",
    "CH",
    "CA",
    "AU",
    "NZ",
    "JP",
    "SG",
    "AE",
    "SA",
    "IL",
    "ZA",
    "JE",
    "GG",
]
#: SKU → product name: four the platform suggests with confidence, one it cannot place
PRODUCTS = {
    "DAY-MUG-01": "Ceramic Coffee Mug 12oz",
    "DAY-CUSH-02": "Cotton Cushion Cover 45cm",
    "DAY-LAMP-03": "LED Table Lamp",
    "DAY-UMBR-04": "Folding Umbrella",
    "DAY-ODD-05": "Zorb Thingamajig Deluxe",
}


def _report(tmp: Path) -> Path:
    """An All Orders report in Amazon's 32-column layout: one shipped order per country."""
    header, template = AMAZON.read_text(encoding="utf-8").splitlines()[:2]
    columns = header.split("\t")
    skus = list(PRODUCTS)
    rows = [header]
    for i, country in enumerate(COUNTRIES):
        cells = template.split("\t")
        sku = skus[i % len(skus)]
        values = {
            "amazon-order-id": f"114-{7000000 + i:07d}-{1000000 + i:07d}",
            "sku": sku,
            "product-name": PRODUCTS[sku],
            "ship-country": country,
            "ship-state": "",
            "ship-postal-code": "",
            "ship-city": "TOWN",
            "quantity": "1",
            "item-price": "19.99",
            "item-tax": "0.00",
        }
        for name, value in values.items():
            cells[columns.index(name)] = value
        rows.append("\t".join(cells))
    path = tmp / "all-orders-32-countries.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _waybills(world: World) -> None:
    """The logistics company pushes a waybill for every order it picked up."""
    waybills = [
        {
            "type": "export_waybill",
            "head": {
                "logisticsCode": LOGISTICS.code,
                "logisticsName": LOGISTICS.name,
                "logisticsNo": make_s10("LP", 71_000_000 + i, "CN"),
                "freight": "0",
                "insuredFee": "0",
                "currency": "502",
                "grossWeight": "0.8",
                "packNo": "1",
                "goodsInfo": "household goods",
                "orderNo": f"114-{7000000 + i:07d}-{1000000 + i:07d}",
                "ebpCode": "无",
            },
        }
        for i in range(len(COUNTRIES))
    ]
    r = world.client().post(
        "/api/v1/documents",
        params={"seller": SELLER.code, "platform": "无"},
        content=json.dumps(waybills).encode(),
        headers={"Authorization": f"Bearer {world.keys['logistics']}", "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World, Path]]:
    root = tmp_path_factory.mktemp("seller-day")
    world = build_world(root / "data")
    _waybills(world)
    with Server(world) as url:
        yield url, world, _report(root)


def test_a_new_sellers_day(site: tuple[str, World, Path], browser: object) -> None:
    from playwright.sync_api import expect

    url, _world, report = site
    page, errors = signed_in(browser, url, "alice", height=860)
    shot(page, "seller-day-01-signed-in")

    # upload: 32 orders to 32 countries, none refused for its country
    page.click("text=上传单证")
    page.set_input_files("#file-input", str(report))
    page.select_option("#platform-select", "无")
    page.click("#upload-submit")
    expect(page.locator("#upload-report")).to_be_visible(timeout=30_000)
    expect(page.locator("#r-documents")).to_have_text(str(len(COUNTRIES)))
    expect(page.locator("#r-invalid")).to_have_text("0")
    shot(page, "seller-day-02-upload")

    # the catalogue: every order waits on an unconfirmed SKU
    page.click("a[href='/catalogue']")
    expect(page.locator("#orders-waiting")).to_have_text(str(len(COUNTRIES)))
    expect(page.locator("#catalogue-table")).to_contain_text("DAY-MUG-01")
    shot(page, "seller-day-03-catalogue")
    # one bulk accept of the confident suggestions
    page.fill("#bulk-min-score", "0.5")
    page.click("#bulk-accept-button")
    expect(page.locator("#decision-done")).to_be_visible()
    done = page.locator("#decision-done").inner_text()
    released = int(re.search(r"(\d+) 个订单已放行", done).group(1))  # type: ignore[union-attr]
    assert released > 0
    shot(page, "seller-day-04-bulk-accepted")
    # the odd SKU: corrected by searching the HS nomenclature
    page.goto(f"{url}/catalogue?state=all&for_sku=DAY-ODD-05&hs_q=toy")
    hits = page.locator("#hs-hits tbody tr")
    expect(hits.first).to_be_visible()
    toy = page.locator("#hs-hits tbody tr", has_text="9503").first
    toy.locator("button").click()
    expect(page.locator("#decision-done")).to_be_visible()
    shot(page, "seller-day-05-corrected")
    page.goto(f"{url}/catalogue?state=unconfirmed&waiting=1")
    expect(page.locator("#orders-waiting")).to_have_text("0")

    # declare, and the sandbox customs releases the lists
    page.goto(f"{url}/declarations")
    page.click("#declare-now")
    expect(page.locator("#declared-note")).to_contain_text(f"已申报 {len(COUNTRIES)} 单")
    shot(page, "seller-day-06-declared")
    page.fill("input[name=q]", "114-7000030")  # the order to Jersey
    row = page.locator("#declaration-table tbody tr", has_text="CEB603")
    expect(row).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/declarations\?.*q="))
    row.locator("a.decl-link").click()
    deadline = time.monotonic() + 90
    while not any(s in page.locator("#decl-status").inner_text() for s in ("放行", "结关")):
        assert time.monotonic() < deadline, page.locator("#timeline").inner_text()
        time.sleep(0.5)
        page.reload()
    xml = page.locator("#xml-text").inner_text()
    assert "<ceb:country>399</ceb:country>" in xml or ">399<" in xml  # Jersey, through the suggested alias
    shot(page, "seller-day-07-released")

    # the order's journey, from its declaration page
    page.click("#journey-link")
    steps = page.locator("#journey-steps li")
    expect(steps.first).to_be_visible()
    kinds = [steps.nth(i).get_attribute("data-kind") for i in range(steps.count())]
    for kind in ("received", "waybill", "matching", "declaration", "released", "departure"):
        assert kind in kinds, kinds
    expect(page.locator("#journey-steps")).to_contain_text("尚未跟踪")
    shot(page, "seller-day-08-journey")
    assert errors == []
    page.context.close()
