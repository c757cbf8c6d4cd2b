"""Every partner has a working surface: a logistics company's user sees and uploads its waybills,
a payment company's user its payments, a platform's user its orders across its sellers — each
only those (the same scope as the partner's API key)."""

from __future__ import annotations

import json

import pytest

from cbec.accounts import service as accounts
from cbec.accounts.schemas import UserCreate
from cbec.kit.tracking import make_s10
from cbec.unit_of_work import UnitOfWork
from tests.e2e.web_world import SELLER_B, World
from tests.integration.helpers import LOGISTICS, PAYER, PLATFORM, SELLER, export_waybill

pytestmark = pytest.mark.e2e

PASSWORD = "partner-pass-2026"


@pytest.fixture(scope="module")
def partner_users(world: World) -> dict[str, str]:
    users = {"lena": LOGISTICS.code, "paul": PAYER.code, "pia": PLATFORM.code}
    with UnitOfWork(world.settings) as uow:
        for name, code in users.items():
            accounts.create_user(
                uow.session, UserCreate(username=name, password=PASSWORD, role="partner", enterprise_code=code)
            )
        uow.commit()
    return users


def _login(world: World, name: str) -> tuple[object, str]:
    c = world.client()
    r = c.post("/login", data={"username": name, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    token = c.get("/profile").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return c, token


def _types(c: object) -> set[str]:
    items = c.get("/api/v1/documents", params={"page_size": 200}).json()["items"]  # type: ignore[attr-defined]
    return {d["type"] for d in items}


def test_each_partner_sees_its_own_kind_of_documents(world: World, partner_users: dict[str, str]) -> None:
    lena, _ = _login(world, "lena")
    assert _types(lena) == {"export_waybill", "import_waybill"}
    paul, _ = _login(world, "paul")
    assert _types(paul) == {"import_payment"}
    pia, _ = _login(world, "pia")
    orders = pia.get("/api/v1/documents", params={"type": "export_order"}).json()["items"]  # type: ignore[attr-defined]
    assert {d["seller_code"] for d in orders} == {SELLER.code, SELLER_B.code}  # across its sellers
    page = pia.get("/documents", params={"type": "export_order"})  # type: ignore[attr-defined]
    assert page.status_code == 200 and "SO-A-0001" in page.text and "SO-B-0001" in page.text


def test_a_logistics_user_uploads_its_waybills_and_only_those(world: World, partner_users: dict[str, str]) -> None:
    lena, token = _login(world, "lena")
    waybill = export_waybill("SO-A-0001", make_s10("LP", 55_000_001, "CN"))
    r = lena.post(  # type: ignore[attr-defined]
        "/upload",
        files={"file": ("waybills.json", json.dumps([waybill]).encode(), "application/json")},
        data={"seller": SELLER.code, "platform": PLATFORM.code, "format": "json", "csrf_token": token},
    )
    assert r.status_code == 200, r.text[:500]
    assert 'id="r-invalid">0<' in r.text
    other = dict(waybill, head={**waybill["head"], "logisticsCode": "91310000MA1FL0G99X"})
    r = lena.post(  # type: ignore[attr-defined]
        "/upload",
        files={"file": ("waybills.json", json.dumps([other]).encode(), "application/json")},
        data={"seller": SELLER.code, "platform": PLATFORM.code, "format": "json", "csrf_token": token},
    )
    assert "logisticsCode must be your own code" in r.text
    up = lena.get("/upload")  # type: ignore[attr-defined]
    assert SELLER_B.code in up.text  # it names the seller the waybills are for


def test_a_partner_user_is_not_a_seller(world: World, partner_users: dict[str, str]) -> None:
    lena, token = _login(world, "lena")
    assert lena.get("/api/v1/catalogue").status_code == 403  # type: ignore[attr-defined]
    r = lena.post("/api/v1/declare", json={}, headers={"X-CSRF-Token": token})  # type: ignore[attr-defined]
    assert r.status_code == 403 and r.json()["field"] == "role"
