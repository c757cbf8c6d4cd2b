"""Issue 18 (part 2) over HTTP: a warehouse company registers its warehouse with its API key and
pushes a seller's movements (idempotent by the movement's id); it cannot move stock in a
warehouse it does not run; the seller reads its stock, and its bonded book takes an entry; a
seller cannot register a warehouse for another enterprise."""

from __future__ import annotations

import pytest

from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.unit_of_work import UnitOfWork
from tests.e2e.web_world import World
from tests.integration.helpers import SELLER

pytestmark = pytest.mark.e2e

COMPANY = EnterpriseCreate(code="91310000MA1FL0W01Q", name="示范海外仓有限公司", roles=["warehouse"])


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_warehouse_company_pushes_a_sellers_movements(world: World) -> None:
    with UnitOfWork(world.settings) as uow:
        partners.ensure_enterprise(uow.session, COMPANY)
        key = partners.issue_credential(uow.session, COMPANY.code, label="wms").api_key
        uow.commit()
    c = world.client()
    r = c.post("/api/v1/warehouse/warehouses", headers=_h(key),
               json={"code": "LAX1", "name": "洛杉矶一号仓", "country": "502", "area_m2": 12000})  # fmt: skip
    assert r.status_code == 201 and r.json()["operator_code"] == COMPANY.code, r.text
    assert [w["code"] for w in c.get("/api/v1/warehouse/warehouses", headers=_h(key)).json()] == ["LAX1"]
    assert c.get("/api/v1/warehouse/warehouses", headers=_h(world.keys["a"])).json() == []

    moves = {
        "seller": SELLER.code,
        "movements": [
            {"id": "WMS-1", "warehouse": "LAX1", "sku": "MUG-001", "movement": "inbound", "quantity": 50, "date": "2026-10-01"},
            {"id": "WMS-2", "warehouse": "LAX1", "sku": "MUG-001", "movement": "sale", "quantity": 8, "date": "2026-11-01"},
        ],
    }  # fmt: skip
    first = c.post("/api/v1/warehouse/movements", headers=_h(key), json=moves)
    assert first.status_code == 201 and (first.json()["movements"], first.json()["duplicates"]) == (2, 0)
    again = c.post("/api/v1/warehouse/movements", headers=_h(key), json=moves)
    assert (again.json()["movements"], again.json()["duplicates"]) == (0, 2)
    elsewhere = {"seller": SELLER.code, "movements": [{**moves["movements"][0], "id": "WMS-3", "warehouse": "PHL4"}]}
    refused = c.post("/api/v1/warehouse/movements", headers=_h(key), json=elsewhere)
    assert refused.status_code == 422 and refused.json()["field"] == "warehouse"

    stock = c.get("/api/v1/warehouse/stock", headers=_h(world.keys["a"]), params={"as_of": "2026-12-01"}).json()
    assert stock["on_hand"] == 42 and stock["positions"][0]["warehouse_name"] == "洛杉矶一号仓"
    assert stock["buckets"]["0-90"] == 42
    assert c.get("/api/v1/warehouse/stock", headers=_h(key), params={"seller": SELLER.code}).status_code == 403

    book = c.post("/api/v1/warehouse/bonded/inbound", headers=_h(world.keys["a"]),
                  json={"ems_no": "T2933W000001", "reference": "ENTRY-1", "date": "2026-11-02",
                        "lines": [{"sku": "CREAM-50", "quantity": 6}]})  # fmt: skip
    assert book.status_code == 201 and book.json()["lines"][0]["available"] == 6
    read = c.get("/api/v1/warehouse/bonded/T2933W000001", headers=_h(world.keys["a"])).json()
    assert read["lines"][0]["balance"] == 6
    # the company runs no bonded warehouse with that book
    no_book = c.post("/api/v1/warehouse/bonded/inbound", headers=_h(key),
                     json={"ems_no": "T2933W000001", "seller": SELLER.code, "reference": "E-2", "date": "2026-11-02",
                           "lines": [{"sku": "CREAM-50", "quantity": 1}]})  # fmt: skip
    assert no_book.status_code == 422 and no_book.json()["field"] == "ems_no"


def test_a_seller_registers_only_its_own_warehouses(world: World) -> None:
    c = world.client()
    r = c.post("/api/v1/warehouse/warehouses", headers=_h(world.keys["a"]),
               json={"code": "SELF-1", "name": "自营仓", "country": "502", "operator": COMPANY.code})  # fmt: skip
    assert r.status_code == 403
    own = c.post("/api/v1/warehouse/warehouses", headers=_h(world.keys["a"]),
                 json={"code": "SELF-1", "name": "自营仓", "country": "502"})  # fmt: skip
    assert own.status_code == 201 and own.json()["operator_code"] == SELLER.code
