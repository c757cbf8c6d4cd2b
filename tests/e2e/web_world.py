"""A small platform with two sellers, built through the partner API, for the web tests.

Seller A (the helpers' SELLER) and seller B each have an export order with its waybill and an
import order with payment and waybill, declared and answered by the sandbox customs, and an
import tax assessment; users (operator, A's clerk, B's clerk, regulator) and API keys (each
seller, the platform, the logistics company, the payment company).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cbec import pipeline
from cbec.accounts import service as accounts
from cbec.accounts.schemas import UserCreate
from cbec.catalogue import service as catalogue
from cbec.config import Settings
from cbec.db import migrate
from cbec.demo import with_sandbox_signing
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.risk.models import RiskHit
from cbec.sandbox import SandboxCustoms
from cbec.sharing import service as sharing
from cbec.sharing.schemas import EventType, Released, SubscriptionCreate
from cbec.tax import reader as tax_reader
from cbec.tax import service as tax
from cbec.unit_of_work import UnitOfWork
from cbec.web.app import create_app
from tests.integration.helpers import (
    LOGISTICS,
    PAYER,
    PLATFORM,
    SELLER,
    export_order,
    export_waybill,
    import_order,
    import_payment,
    import_waybill,
)

SELLER_B = EnterpriseCreate(
    code="91440300MA5FKB0Q0J", name="深圳示范电子商务有限公司", roles=["ebc"], name_en="Shenzhen Demo E-commerce"
)
PASSWORDS = {
    "operator": "operator-pass-2026",
    "alice": "alice-pass-2026",
    "bob": "bob-pass-2026",
    "regina": "regina-pass-2026",
}
BUYER_ID = "110101199003074477"


@dataclass
class World:
    settings: Settings
    keys: dict[str, str] = field(default_factory=dict)
    ids: dict[str, dict[str, int]] = field(default_factory=dict)  # seller → resource → id

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings), base_url="http://testserver")

    def login(self, username: str) -> tuple[TestClient, str]:
        """A client signed in as ``username`` and its CSRF token."""
        c = self.client()
        r = c.post("/login", data={"username": username, "password": PASSWORDS[username]}, follow_redirects=False)
        assert r.status_code == 303, r.text
        page = c.get("/profile")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return c, token


def _post(c: TestClient, key: str, docs: list[dict[str, Any]], **params: str) -> dict[str, Any]:
    r = c.post(
        "/api/v1/documents",
        params=params,
        content=json.dumps(docs, ensure_ascii=False).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _for_seller(doc: dict[str, Any], seller: EnterpriseCreate) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    if "ebcCode" in doc["head"]:
        doc["head"]["ebcCode"], doc["head"]["ebcName"] = seller.code, seller.name
    return doc


def build_world(root: Path) -> World:
    settings = with_sandbox_signing(Settings(data_dir=root, database_url=""))
    migrate(settings.database_url)
    world = World(settings)
    with UnitOfWork(settings) as uow:
        for e in (PLATFORM, SELLER, LOGISTICS, PAYER, SELLER_B):
            partners.ensure_enterprise(uow.session, e)
        for name, key_of in (
            ("a", SELLER),
            ("b", SELLER_B),
            ("platform", PLATFORM),
            ("logistics", LOGISTICS),
            ("payer", PAYER),
        ):
            world.keys[name] = partners.issue_credential(uow.session, key_of.code, label=f"test {name}").api_key
        for username, role, enterprise in (
            ("operator", "admin", None),
            ("alice", "seller", SELLER.code),
            ("bob", "seller", SELLER_B.code),
            ("regina", "regulator", None),
        ):
            accounts.create_user(
                uow.session,
                UserCreate(username=username, password=PASSWORDS[username], role=role, enterprise_code=enterprise),
            )
        uow.commit()

    c = world.client()
    with UnitOfWork(settings) as uow:  # the sellers' catalogues, confirmed in advance
        for seller in (SELLER, SELLER_B):
            catalogue.register_skus(
                uow.session, {(seller.code, "MUG-001"): ("陶瓷马克杯", ""), (seller.code, "CREAM-50"): ("保湿面霜", "")}
            )
            catalogue.confirm_code(uow.session, seller.code, "MUG-001", "6912001000")
            catalogue.confirm_code(uow.session, seller.code, "CREAM-50", "3304990099")
        uow.commit()
    for tag, seller, key in (("A", SELLER, world.keys["a"]), ("B", SELLER_B, world.keys["b"])):
        export_no, import_no = f"SO-{tag}-0001", f"IO-{tag}-0001"
        # the seller sends its orders; the logistics and payment companies send theirs
        _post(
            c,
            key,
            [_for_seller(export_order(export_no), seller), _for_seller(import_order(import_no), seller)],
            platform=PLATFORM.code,
        )
        waybill_no = "LP123456785CN" if tag == "A" else "LP000000015CN"
        import_waybill_no = "EE123456785JP" if tag == "A" else "EE000000015JP"
        _post(
            c,
            world.keys["logistics"],
            [
                export_waybill(export_no, waybill_no),
                import_waybill(
                    import_no, logisticsNo=import_waybill_no, billNo="784-12345675", trafNo="CA930", voyageNo="CA930"
                ),
            ],
            seller=seller.code,
            platform=PLATFORM.code,
        )
        _post(c, world.keys["payer"], [import_payment(import_no)], seller=seller.code, platform=PLATFORM.code)
        r = c.post("/api/v1/declare", json={}, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=7, inspection_rate=0.0, require_signatures=True)
    for _ in range(6):
        pipeline.work_once(settings)
        sandbox.step()
    pipeline.work_once(settings)

    for tag, seller in (("A", SELLER), ("B", SELLER_B)):
        with UnitOfWork(settings) as uow:
            data = {
                "OrderHead": {
                    "orderNo": f"IO-{tag}-0001",
                    "on": "2026-11-23",
                    "buyerIdNumber": BUYER_ID,
                    "tradeMode": "9610",
                },
                "OrderList": [
                    {
                        "gnum": 1,
                        "gcode": "8471300000",
                        "itemName": "笔记本电脑 laptop",
                        "qty": "1",
                        "unit": "011",
                        "price": "1999.00",
                        "tariffRate": "0",
                    }
                ],
            }
            tax.assess_import(
                uow.session, tax_reader.parse_import_order(data), seller_code=seller.code, ebp_code=PLATFORM.code
            )
            uow.commit()

    for seller in (SELLER, SELLER_B):  # each seller's money reconciled (no settlements yet: 未收汇)
        pipeline.reconcile(settings, seller.code)

    # the ids of each seller's resources, read as the operator sees them
    admin = world.client()
    admin.post("/login", data={"username": "operator", "password": PASSWORDS["operator"]})
    for tag, seller in (("A", SELLER), ("B", SELLER_B)):
        ids: dict[str, int] = {}
        decls = admin.get("/api/v1/declarations", params={"seller": seller.code, "page_size": 200}).json()["items"]
        ids["list"] = next(d["id"] for d in decls if d["message_type"] == "CEB603")
        ids["import_list"] = next(d["id"] for d in decls if d["message_type"] == "CEB621")
        docs = admin.get("/api/v1/documents", params={"page_size": 200}).json()["items"]
        ids["document"] = next(d["id"] for d in docs if d["seller_code"] == seller.code and d["type"] == "import_order")
        ids["inbox"] = next(
            d["inbox_id"] for d in docs if d["seller_code"] == seller.code and d["type"] == "import_order"
        )
        matches = admin.get("/api/v1/matches", params={"page_size": 200}).json()["items"]
        ids["match"] = next(m["id"] for m in matches if m["seller_code"] == seller.code)
        assessments = admin.get("/api/v1/tax/assessments", params={"page_size": 200}).json()["items"]
        ids["assessment"] = next(a["id"] for a in assessments if a["seller_code"] == seller.code)
        ids["hit"] = _reviewed_hit(settings, seller, f"IO-{tag}-0001", ids["document"])
        ids["subscription"] = _subscribed(settings, seller.code, tag)
        world.ids[tag] = ids
    return world


def _subscribed(settings: Settings, seller: str, tag: str) -> int:
    """A webhook subscription of the seller's, with one delivery in its log."""
    with UnitOfWork(settings) as uow:
        made = sharing.create_subscription(
            uow.session,
            settings,
            SubscriptionCreate(url=f"https://hooks.example.com/{tag}", event_types=[EventType.DECLARATION_RELEASED]),
            enterprise=seller,
            created_by="world",
            resolver=lambda host, port: ["93.184.216.34"],
        )
        sharing.publish(
            uow.session,
            Released(
                seller=seller,
                order_no=f"SO-{tag}-0001",
                declaration_id=1,
                message_type="CEB603",
                invt_no="",
                released_at="",
            ),
        )
        uow.commit()
    return made.id


def post_split_purchase(world: World, prefix: str, serial: int) -> list[str]:
    """Two 3,000 CNY import orders of seller A's buyer a minute apart (together over the 5,000
    single limit, each within it: a split purchase, 化整为零), each with its waybill and payment,
    sent by the partners that send them; returns the order numbers. ``serial`` (10–99) keeps the
    waybill numbers apart between worlds' uses."""
    c = world.client()
    orders, waybills, payments = [], [], []
    for k in range(2):
        no = f"{prefix}-{k}"
        order = import_order(no, price="3000.00", tax="0")
        order["head"]["orderTime"] = f"2026061820{k:02d}00"
        orders.append(order)
        waybills.append(
            import_waybill(
                no, logisticsNo=f"EE000000{serial:02d}{k}JP", billNo="784-12345675", trafNo="CA930", voyageNo="CA930"
            )
        )
        payments.append(import_payment(no, amount="3010.00"))
    _post(c, world.keys["a"], orders, platform=PLATFORM.code)
    _post(c, world.keys["logistics"], waybills, seller=SELLER.code, platform=PLATFORM.code)
    _post(c, world.keys["payer"], payments, seller=SELLER.code, platform=PLATFORM.code)
    return [str(o["head"]["orderNo"]) for o in orders]


def _reviewed_hit(settings: Settings, seller: EnterpriseCreate, order_no: str, doc_id: int) -> int:
    """A risk hit on the seller's import order, already cleared by the operator (the order was
    declared): a record of each seller's for the tenancy table; the world's own orders are too
    few to hit a rule."""
    with UnitOfWork(settings) as uow:
        hit = RiskHit(
            order_doc_id=doc_id,
            seller_code=seller.code,
            ebp_code=PLATFORM.code,
            order_no=order_no,
            rule="phone_many_buyers",
            field="consigneeTelephone",
            message_zh="同一收货人电话 30 天内对应 4 个不同订购人身份（上限 3）",
            message_en="one consignee phone behind 4 different buyer identities within 30 days (at most 3)",
            detail={"buyers": 4, "orders": [order_no]},
            status="cleared",
            decided_by="operator",
            note="family members / 家庭成员",
        )
        uow.session.add(hit)
        uow.session.flush()
        hit_id = hit.id
        uow.commit()
    return hit_id
