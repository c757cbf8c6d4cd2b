"""The catalogue (商品备案) through the HTTP API and the page, as a seller works it: orders wait
on SKUs whose HS code was never confirmed; the seller sees how many each SKU holds, accepts the
confident suggestions in one go, corrects one through the HS search, imports its ERP file, and
each decision releases the orders that waited on it."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from cbec.catalogue import service as catalogue
from cbec.kit.tracking import make_s10
from cbec.matching import service as matching
from cbec.unit_of_work import UnitOfWork
from tests.e2e.web_world import World
from tests.integration.helpers import PLATFORM, SELLER, export_order, export_waybill

pytestmark = pytest.mark.e2e

#: SKU → (description, orders of it); the descriptions make confident and unsure suggestions
NEW_SKUS = {
    "TEA-POT-1": ("CERAMIC TEAPOT WITH LID", 3),
    "CUSHION-9": ("CUSHION COVER COTTON", 2),
    "WIDGET-77": ("ASSORTED GIFT THING", 2),
    "LAMP-3": ("METAL TABLE LAMP", 1),
}


def _api(world: World) -> tuple[TestClient, dict[str, str]]:
    return world.client(), {"Authorization": f"Bearer {world.keys['a']}"}


@pytest.fixture(scope="module")
def waiting(world: World) -> dict[str, str]:
    """Seller A sends orders of four new SKUs with their waybills; the platform suggests codes."""
    c, auth = _api(world)
    docs: list[dict[str, Any]] = []
    serial = 70000000
    orders: dict[str, str] = {}
    for sku, (name, n) in NEW_SKUS.items():
        for i in range(n):
            order_no = f"SO-CAT-{sku}-{i}"
            order = export_order(order_no, sku=sku)
            order["lines"][0]["itemName"] = name
            serial += 1
            docs += [order, export_waybill(order_no, make_s10("LP", serial, "CN"))]
            orders[order_no] = sku
    r = c.post(
        "/api/v1/documents",
        params={"platform": PLATFORM.code},
        content=json.dumps([d for d in docs if d["type"] == "export_order"]).encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    r = c.post(
        "/api/v1/documents",
        params={"seller": SELLER.code, "platform": PLATFORM.code},
        content=json.dumps([d for d in docs if d["type"] == "export_waybill"]).encode(),
        headers={"Authorization": f"Bearer {world.keys['logistics']}", "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    with UnitOfWork(world.settings) as uow:
        catalogue.suggest_codes(uow.session, SELLER.code)
        matching.run_matching(uow.session, seller_code=SELLER.code)
        uow.commit()
    return orders


def test_the_catalogue_lists_the_skus_holding_orders_first(world: World, waiting: dict[str, str]) -> None:
    c, auth = _api(world)
    r = c.get("/api/v1/catalogue", params={"state": "unconfirmed", "waiting": "true"}, headers=auth)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["orders_waiting"] == len(waiting) == 8
    assert [(x["sku"], x["waiting_orders"]) for x in page["items"]] == [
        ("TEA-POT-1", 3),
        ("CUSHION-9", 2),
        ("WIDGET-77", 2),
        ("LAMP-3", 1),
    ]
    teapot = page["items"][0]
    assert teapot["hs_status"] == "suggested" and teapot["hs_code"].startswith("6912")
    assert "teapot" in teapot["hs_matched_words"] or "ceramic" in teapot["hs_matched_words"]
    assert page["counts"]["confirmed"] >= 2  # the world's MUG-001 and CREAM-50


def test_a_bulk_accept_releases_the_orders_and_a_correction_the_rest(world: World, waiting: dict[str, str]) -> None:
    c, auth = _api(world)
    listed = c.get("/api/v1/catalogue", params={"state": "suggested", "waiting": "true"}, headers=auth).json()
    scores = {x["sku"]: float(x["hs_score"]) for x in listed["items"]}
    confident = sorted(s for s, v in scores.items() if v >= 0.5)
    assert confident, scores
    r = c.post(
        "/api/v1/catalogue/confirm", json={"state": "suggested", "min_score": 0.5, "waiting": True}, headers=auth
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["confirmed"] == confident
    expected = sum(NEW_SKUS[s][1] for s in confident)
    assert done["released"] == done["rematched"] == expected
    # the rest, corrected through the HS search: a lamp is heading 9405
    hits = c.get("/api/v1/hs/search", params={"q": "lamp"}, headers=auth).json()
    assert any(h["hs6"].startswith("9405") for h in hits), hits
    rest = sorted(set(NEW_SKUS) - set(confident))
    r = c.post("/api/v1/catalogue/correct", json={"skus": rest, "hs_code": "9405490000"}, headers=auth)
    assert r.status_code == 200, r.text
    corrected = r.json()
    assert sorted(corrected["confirmed"] + corrected["corrected"]) == rest
    assert corrected["released"] == sum(NEW_SKUS[s][1] for s in rest)
    after = c.get("/api/v1/catalogue", params={"waiting": "true"}, headers=auth).json()
    assert after["orders_waiting"] == 0 and after["total"] == 0


def test_a_wrong_code_is_refused_with_the_field_named(world: World) -> None:
    c, auth = _api(world)
    r = c.post("/api/v1/catalogue/correct", json={"skus": ["MUG-001"], "hs_code": "123"}, headers=auth)
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "hs_code" and body["message_zh"] and body["message_en"]


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_catalogue_file_records_the_sellers_codes_and_names_its_bad_rows(world: World) -> None:
    c, auth = _api(world)
    data = _xlsx(
        [
            ["商品货号", "HS编码", "中文品名", "法定第一单位", "原产国"],
            ["VASE-01", "6913900000", "陶瓷花瓶", "个", "中国"],
            ["MUG-001", "6912001000", "陶瓷马克杯", "007", "CN"],
            ["BAD-HS", "12345", "错误编码", "个", "CN"],
            ["BAD-UNIT", "6913900000", "单位错误", "盒子们", "CN"],
        ]
    )
    r = c.post("/api/v1/catalogue/import", files={"file": ("catalogue.xlsx", data)}, headers=auth)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows"], report["created"], report["unchanged"]) == (4, 1, 0)
    assert report["updated"] == 1  # MUG-001 gets its Chinese name, unit and origin
    assert [(e["field"], e["line"]) for e in report["errors"]] == [("hs_code", 4), ("unit1", 5)]
    vase = c.get("/api/v1/catalogue", params={"q": "VASE"}, headers=auth).json()["items"][0]
    assert (vase["hs_code"], vase["hs_status"], vase["unit1"], vase["origin_country"]) == (
        "6913900000",
        "confirmed",
        "007",
        "142",
    )


def test_the_page_shows_the_catalogue_in_both_languages(world: World) -> None:
    client, token = world.login("alice")
    page = client.get("/catalogue", params={"state": "all", "hs_q": "陶瓷"})
    assert page.status_code == 200
    assert "商品备案" in page.text and 'id="catalogue-table"' in page.text
    client.post("/language", data={"lang": "en", "back": "/catalogue", "csrf_token": token})
    page = client.get("/catalogue", params={"state": "all", "hs_q": "teapot"})
    assert "Catalogue" in page.text and "6912" in page.text


def test_the_operator_names_the_seller_and_other_partners_have_no_catalogue(world: World) -> None:
    operator, _ = world.login("operator")
    assert operator.get("/api/v1/catalogue").status_code == 422
    assert operator.get("/api/v1/catalogue", params={"seller": SELLER.code}).status_code == 200
    c = world.client()
    r = c.get("/api/v1/catalogue", headers={"Authorization": f"Bearer {world.keys['logistics']}"})
    assert r.status_code == 403
