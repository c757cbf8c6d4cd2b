"""Tenancy, route by route: every API and page route of the app, called by every kind of caller.

The table ``ROUTES`` names each route of the application with what it is (a record of one
seller, a list, a submission, an operator's route …) and what seller A and the regulator get.
Path parameters are filled with seller B's resources, and bodies aim at seller B wherever a body
can name a seller, so seller A's key and A's clerk (alice) try to reach B through every door:
they must get 404 or 403 and never a byte of B's data. A route added to the app without a row
here fails ``test_every_route_of_the_app_has_a_tenancy_case``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from cbec.web.app import create_app
from cbec.web.ui import pages
from tests.e2e.web_world import PASSWORDS, SELLER_B, World, build_world
from tests.integration.helpers import (
    BUYER,
    LOGISTICS,
    PAYER,
    PLATFORM,
    SELLER,
    export_order,
    export_waybill,
    import_waybill,
)

pytestmark = pytest.mark.e2e

B_CODE = SELLER_B.code
#: what may never reach seller A: B's order numbers and B's enterprise code
B_MARKERS = ("SO-B-0001", "IO-B-0001", B_CODE)

# --- what each route is --------------------------------------------------------------------------

RECORD = "record"  # one of a seller's records, by id: A gets 404 for B's
LIST = "list"  # a seller's records: A gets 200 with its own and none of B's
STATS = "stats"  # figures: A gets its own, the regulator gets 200
SUBMIT = "submit"  # a change naming a seller: A naming B gets 403
PERSONAL = "personal"  # opening a buyer's personal data: the operator only
ADMIN = "admin"  # the operator's work
SELF = "self"  # the caller's own identity, language, password, session
PUBLIC = "public"  # signing in
REFERENCE = "reference"  # reference data (HS nomenclature): anyone signed in
BUREAU = "bureau"  # data shared with other departments (tax, FX): the regulator and the operator only


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    kind: str
    #: seller A's status (its key and alice alike unless ``a_key`` says otherwise)
    a: int
    #: the regulator's status
    regulator: int
    a_key: int | None = None
    #: the request's body and query, aimed at seller B (see ``_call``)
    body: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    #: a text that A's answer must contain (its own data), for lists
    a_marker: str = ""
    #: the route ends the session it is called with: give it a session of its own
    ends_session: bool = False
    #: B's markers the regulator may see here (figures per enterprise: its code, never a buyer)
    regulator_may_see: tuple[str, ...] = ()

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def expected_for(self, caller: str) -> int:
        if caller == "a_key" and self.a_key is not None:
            return self.a_key
        return self.a


def _month() -> str:
    """The current Beijing month, the period the world's lists are counted in."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


def _b_order_json(w: World) -> dict[str, Any]:
    doc = export_order("SO-T-0001")
    doc["head"]["ebcCode"], doc["head"]["ebcName"] = SELLER_B.code, SELLER_B.name
    return {
        "params": {"seller": B_CODE, "platform": PLATFORM.code},
        "content": json.dumps([doc], ensure_ascii=False).encode(),
        "headers": {"Content-Type": "application/json"},
    }


def _b_order_upload(w: World) -> dict[str, Any]:
    doc = export_order("SO-T-0002")
    doc["head"]["ebcCode"], doc["head"]["ebcName"] = SELLER_B.code, SELLER_B.name
    return {
        "files": {"file": ("orders.json", json.dumps([doc]).encode(), "application/json")},
        "data": {"seller": B_CODE, "platform": PLATFORM.code},
    }


_B_SKUS = {"seller": B_CODE, "skus": ["MUG-001"]}


def _b_catalogue_file(w: World) -> dict[str, Any]:
    return {
        "files": {"file": ("catalogue.csv", b"SKU,HS code\nMUG-001,6912001000\n", "text/csv")},
        "data": {"seller": B_CODE},
    }


def _b_movement_file(w: World) -> dict[str, Any]:
    moves = b"warehouse,sku,movement,quantity,date\nLAX1,MUG-001,inbound,5,2026-11-02\n"
    return {"files": {"file": ("moves.csv", moves, "text/csv")}, "data": {"seller": B_CODE}}


_B_MOVES = {"seller": B_CODE, "movements": [{"warehouse": "LAX1", "sku": "MUG-001", "movement": "inbound", "quantity": 5, "date": "2026-11-02"}]}  # fmt: skip
_B_BOOK_IN = {"ems_no": "T2933W000001", "seller": B_CODE, "reference": "ENTRY-B", "date": "2026-11-02", "lines": [{"sku": "MUG-001", "quantity": 5}]}  # fmt: skip
_B_WAREHOUSE = {"code": "WH-B", "name": "B's warehouse", "country": "502", "operator": B_CODE}


def _b_money_file(w: World) -> dict[str, Any]:
    receipts = b"provider,txn_id,value_date,currency,gross,fee,net\nPingPong,T-B-1,2026-11-02,USD,10.00,0.10,9.90\n"
    return {"files": {"file": ("receipts.csv", receipts, "text/csv")}, "data": {"seller": B_CODE}}


def _b_events(w: World) -> dict[str, Any]:
    event = {"waybill_no": "LP-B-0001", "carrier": B_CODE, "time": "2026-12-05T10:00:00+08:00", "event_code": "EMA"}
    return {"json": {"events": [event]}, "params": {"carrier": B_CODE}}


def _b_flow(w: World) -> dict[str, Any]:
    return {"json": {"kind": "arrival", "parcels": ["LP-B-0001"], "carrier": B_CODE}}


_NEW_USER = {"username": "mallory", "password": "mallory-pass-2026", "role": "seller", "enterprise_code": B_CODE}
_NEW_ENTERPRISE = {"code": "91110000MA01TEST0X", "name": "测试企业", "roles": ["ebc"]}

ROUTES: dict[tuple[str, str], Route] = {
    (r.method, r.path): r
    for r in [
        # --- the partner API --------------------------------------------------------------------
        Route("POST", "/api/v1/documents", SUBMIT, 403, 403, body=_b_order_json),
        Route("POST", "/api/v1/uploads", SUBMIT, 403, 403, body=_b_order_upload),
        Route("GET", "/api/v1/uploads/{inbox_id}", RECORD, 404, 403),
        Route("GET", "/api/v1/uploads/{inbox_id}/errors.csv", RECORD, 404, 403),
        Route("GET", "/api/v1/uploads/{inbox_id}/errors.xlsx", RECORD, 404, 403),
        Route("GET", "/api/v1/uploads", LIST, 200, 403),
        Route("GET", "/api/v1/documents", LIST, 200, 403, a_marker="SO-A-0001"),
        Route("GET", "/api/v1/documents/{doc_id}", RECORD, 404, 403),
        Route("GET", "/api/v1/declarations", LIST, 200, 403, a_marker="SO-A-0001"),
        Route("GET", "/api/v1/declarations/{declaration_id}", RECORD, 404, 403),
        Route("GET", "/api/v1/declarations/{declaration_id}/xml", RECORD, 404, 403),
        Route(
            "POST",
            "/api/v1/declarations/{declaration_id}/personal-data",
            PERSONAL,
            403,
            403,
            body=lambda w: {"json": {"reason": "tenancy check"}},
        ),
        Route(
            "POST",
            "/api/v1/declarations/{declaration_id}/cancel",
            RECORD,
            404,
            403,
            body=lambda w: {"json": {"reason": "aimed at B"}},
        ),
        Route(
            "POST",
            "/api/v1/declarations/{declaration_id}/return",
            RECORD,
            404,
            403,
            body=lambda w: {"json": {"reason": "aimed at B"}},
        ),
        Route("POST", "/api/v1/declare", SUBMIT, 403, 403, body=lambda w: {"json": {"seller": B_CODE}}),
        Route("GET", "/api/v1/me", SELF, 200, 200),
        Route("GET", "/api/v1/matches", LIST, 200, 403, a_marker="SO-A-0001"),
        Route("GET", "/api/v1/matches/{result_id}", RECORD, 404, 403),
        Route(
            "POST",
            "/api/v1/tax/imports",
            SUBMIT,
            403,
            403,
            body=lambda w: {
                "params": {"seller": B_CODE},
                "json": {"OrderHead": {"orderNo": "IO-T-1"}, "OrderList": []},
            },
        ),
        Route("GET", "/api/v1/tax/assessments", LIST, 200, 403, a_marker="IO-A-0001"),
        Route("GET", "/api/v1/tax/assessments/{assessment_id}", RECORD, 404, 403),
        Route("GET", "/api/v1/risk/hits", LIST, 200, 403, a_marker="IO-A-0001"),
        Route(
            "POST",
            "/api/v1/risk/hits/{hit_id}/decision",
            ADMIN,
            403,
            403,
            body=lambda w: {"json": {"decision": "refuse", "note": "aimed at B"}},
        ),
        Route("GET", "/api/v1/statistics/dashboard", STATS, 200, 200),
        Route(
            "GET",
            "/api/v1/statistics/indicators",
            STATS,
            200,
            200,
            body=lambda w: {"params": {"by": "seller,mode"}},
            a_marker=SELLER.code,
            regulator_may_see=(B_CODE,),
        ),
        Route(
            "GET",
            "/api/v1/statistics/lists",
            STATS,
            200,
            200,
            body=lambda w: {"params": {"seller": B_CODE}},
            regulator_may_see=(B_CODE,),
        ),
        Route("GET", "/api/v1/statistics/report", STATS, 200, 200, body=lambda w: {"params": {"period": _month()}}),
        Route(
            "GET",
            "/api/v1/statistics/exports/released",
            BUREAU,
            403,
            200,
            body=lambda w: {"params": {"period": _month(), "for": "tax"}},
            regulator_may_see=(B_CODE, "SO-B-0001"),
        ),
        Route("GET", "/api/v1/enterprises", ADMIN, 403, 403),
        Route("POST", "/api/v1/enterprises", ADMIN, 403, 403, body=lambda w: {"json": _NEW_ENTERPRISE}),
        Route("GET", "/api/v1/enterprises/{code}/credentials", ADMIN, 403, 403),
        Route(
            "POST", "/api/v1/enterprises/{code}/credentials", ADMIN, 403, 403, body=lambda w: {"json": {"label": "x"}}
        ),
        Route("DELETE", "/api/v1/credentials/{key_id}", ADMIN, 403, 403),
        Route("GET", "/api/v1/users", ADMIN, 403, 403),
        Route("POST", "/api/v1/users", ADMIN, 403, 403, body=lambda w: {"json": _NEW_USER}),
        Route("GET", "/api/v1/personal-data-access", ADMIN, 403, 403),
        Route("GET", "/api/v1/audit", ADMIN, 403, 403),
        Route("GET", "/api/v1/audit/verify", ADMIN, 403, 403),
        Route("GET", "/api/v1/privacy/erasures", ADMIN, 403, 403),
        Route(
            "POST",
            "/api/v1/privacy/erasures",
            ADMIN,
            403,
            403,
            body=lambda w: {"json": {"buyer_id_number": BUYER["buyerIdNumber"], "reason": "aimed at B"}},
        ),
        # the catalogue is the seller's own: naming another seller is refused
        Route("GET", "/api/v1/catalogue", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}),
        Route("POST", "/api/v1/catalogue/confirm", SUBMIT, 403, 403, body=lambda w: {"json": _B_SKUS}),
        Route(
            "POST",
            "/api/v1/catalogue/correct",
            SUBMIT,
            403,
            403,
            body=lambda w: {"json": {**_B_SKUS, "hs_code": "6912001000"}},
        ),
        Route("POST", "/api/v1/catalogue/import", SUBMIT, 403, 403, body=_b_catalogue_file),
        Route("GET", "/api/v1/journey", LIST, 404, 403, body=lambda w: {"params": {"q": "SO-B-0001"}}),
        Route("GET", "/api/v1/hs/search", REFERENCE, 200, 200, body=lambda w: {"params": {"q": "mug"}}),
        # a seller's settlements, receipts and their reconciliation are its own
        Route("POST", "/api/v1/finance/files", SUBMIT, 403, 403, body=_b_money_file),
        Route("POST", "/api/v1/finance/reconcile", SUBMIT, 403, 403, body=lambda w: {"json": {"seller": B_CODE}}),
        Route("GET", "/api/v1/finance", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}),
        Route("GET", "/api/v1/finance/lists/{list_id}", RECORD, 404, 403),
        # logistics: a carrier pushes its own events and flows (a seller may not); the operator
        # reviews unknown codes; a parcel's track and stalled parcels are one's own; transit times
        # are figures
        Route("POST", "/api/v1/logistics/events", SUBMIT, 403, 403, body=_b_events),
        Route("POST", "/api/v1/logistics/flows", SUBMIT, 403, 403, body=_b_flow),
        Route("GET", "/api/v1/logistics/review", ADMIN, 403, 403),
        Route(
            "POST",
            "/api/v1/logistics/review/resolve",
            ADMIN,
            403,
            403,
            body=lambda w: {"json": {"review_id": 1, "status": "in_transit"}},
        ),
        Route("GET", "/api/v1/logistics/track", LIST, 404, 403, body=lambda w: {"params": {"q": "LP-B-0001"}}),
        Route("GET", "/api/v1/logistics/stalled", LIST, 200, 403),
        Route("GET", "/api/v1/logistics/transit", STATS, 200, 200),
        Route("GET", "/api/v1/finance/report.xlsx", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}),
        Route(
            "GET", "/api/v1/finance/prequalification", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}
        ),
        # webhooks: a partner's subscriptions and delivery log are its own; dead letters are the operator's
        Route(
            "POST",
            "/api/v1/subscriptions",
            SUBMIT,
            403,
            403,
            body=lambda w: {
                "json": {"url": "https://hooks.example.com/x", "event_types": ["risk.hit"], "enterprise": B_CODE}
            },
        ),
        Route("GET", "/api/v1/subscriptions", LIST, 200, 403, a_marker="hooks.example.com/A"),
        Route("GET", "/api/v1/subscriptions/{subscription_id}", RECORD, 404, 403),
        Route("DELETE", "/api/v1/subscriptions/{subscription_id}", RECORD, 404, 403),
        Route("GET", "/api/v1/subscriptions/{subscription_id}/deliveries", RECORD, 404, 403),
        Route("GET", "/api/v1/deliveries", ADMIN, 403, 403),
        Route("POST", "/api/v1/deliveries/replay", ADMIN, 403, 403, body=lambda w: {"json": {"delivery_ids": [1]}}),
        Route("POST", "/api/v1/subscriptions/{subscription_id}/replay", ADMIN, 403, 403),
        # a seller's warehouse stock, its 9810 reconciliation and its bonded book are its own; an
        # enterprise registers the warehouses it runs itself
        Route("POST", "/api/v1/warehouse/warehouses", SUBMIT, 403, 403, body=lambda w: {"json": _B_WAREHOUSE}),
        Route("GET", "/api/v1/warehouse/warehouses", STATS, 200, 200),
        Route("POST", "/api/v1/warehouse/movements", SUBMIT, 403, 403, body=lambda w: {"json": _B_MOVES}),
        Route("POST", "/api/v1/warehouse/files", SUBMIT, 403, 403, body=_b_movement_file),
        Route("GET", "/api/v1/warehouse/stock", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}),
        Route("GET", "/api/v1/warehouse/reconcile", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}),
        Route("POST", "/api/v1/warehouse/bonded/inbound", SUBMIT, 403, 403, body=lambda w: {"json": _B_BOOK_IN}),
        Route(
            "GET", "/api/v1/warehouse/bonded/{ems_no}", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}
        ),
        # credit (issue 19): a seller's grade and record are its own; the regulator reads figures
        Route("GET", "/api/v1/credit/{code}", RECORD, 404, 403),
        Route("GET", "/api/v1/credit/{code}/record", RECORD, 404, 403),
        Route("POST", "/api/v1/credit/{code}/objections", RECORD, 404, 403, body=lambda w: {"json": {"text": "x"}}),
        Route(
            "POST",
            "/api/v1/credit/objections/answer",
            ADMIN,
            403,
            403,
            body=lambda w: {"json": {"objection_id": 1, "status": "upheld", "answer": "x"}},
        ),
        Route("GET", "/api/v1/risk/lanes", LIST, 200, 403),
        Route("GET", "/api/v1/risk/overview", STATS, 200, 200, regulator_may_see=(B_CODE,)),
        # --- the web UI -------------------------------------------------------------------------
        Route("GET", "/login", PUBLIC, 200, 200),
        Route(
            "POST",
            "/login",
            PUBLIC,
            303,
            303,
            body=lambda w: {"data": {"username": "alice", "password": PASSWORDS["alice"]}},
        ),
        Route("POST", "/logout", SELF, 303, 303, ends_session=True),
        Route("POST", "/language", SELF, 303, 303, body=lambda w: {"data": {"lang": "zh", "back": "/"}}),
        Route("GET", "/", STATS, 200, 200, a_marker=SELLER.code),
        Route("GET", "/declarations", LIST, 200, 403, a_marker="SO-A-0001"),
        Route("POST", "/declare", SUBMIT, 303, 403),  # declares A's own orders: no field names a seller
        Route("GET", "/declarations/{declaration_id}", RECORD, 404, 403),
        Route("GET", "/declarations/{declaration_id}/xml", RECORD, 404, 403),
        Route(
            "POST",
            "/declarations/{declaration_id}/personal-data",
            PERSONAL,
            403,
            403,
            body=lambda w: {"data": {"reason": "tenancy check"}},
        ),
        Route(
            "POST",
            "/declarations/{declaration_id}/cancel",
            RECORD,
            404,
            403,
            body=lambda w: {"data": {"reason": "aimed at B"}},
        ),
        Route(
            "POST",
            "/declarations/{declaration_id}/return",
            RECORD,
            404,
            403,
            body=lambda w: {"data": {"reason": "aimed at B"}},
        ),
        Route("GET", "/upload", SELF, 200, 403),
        Route("GET", "/documents", LIST, 200, 403, a_marker="SO-A-0001"),
        Route("GET", "/submissions", LIST, 200, 403),
        Route("GET", "/submissions/{inbox_id}", RECORD, 404, 403),
        Route("GET", "/journey", LIST, 200, 403, body=lambda w: {"params": {"q": "SO-B-0001"}}),
        Route("GET", "/risk", LIST, 200, 403, body=lambda w: {"params": {"status": ""}}, a_marker="IO-A-0001"),
        Route(
            "POST",
            "/risk/{hit_id}/decision",
            ADMIN,
            403,
            403,
            body=lambda w: {"data": {"decision": "refuse", "note": "aimed at B"}},
        ),
        Route("POST", "/upload", SUBMIT, 403, 403, body=_b_order_upload),
        Route("GET", "/uploads/{inbox_id}/errors.csv", RECORD, 404, 403),
        Route("GET", "/enterprises", ADMIN, 403, 403),
        Route(
            "POST",
            "/enterprises",
            ADMIN,
            403,
            403,
            body=lambda w: {"data": {"code": "91110000MA01TEST0X", "name": "测试企业", "roles": "ebc"}},
        ),
        Route("POST", "/enterprises/{code}/credentials", ADMIN, 403, 403, body=lambda w: {"data": {"label": "x"}}),
        Route("POST", "/credentials/{key_id}/revoke", ADMIN, 403, 403),
        Route("POST", "/users", ADMIN, 403, 403, body=lambda w: {"data": _NEW_USER}),
        Route("GET", "/profile", SELF, 200, 200),
        Route("POST", "/profile/platform", SELF, 200, 403, body=lambda w: {"data": {"platform": PLATFORM.code}}),
        Route("GET", "/catalogue", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}),
        Route("GET", "/finance", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}),
        Route("GET", "/statistics", STATS, 200, 200, regulator_may_see=(B_CODE,)),
        Route(
            "GET",
            "/statistics/lists",
            STATS,
            200,
            200,
            body=lambda w: {"params": {"seller": B_CODE}},
            regulator_may_see=(B_CODE,),
        ),
        Route("GET", "/logistics", STATS, 200, 200, body=lambda w: {"params": {"q": "LP-B-0001"}}),
        Route("GET", "/audit", ADMIN, 403, 403),
        Route("GET", "/privacy", ADMIN, 403, 403),
        Route(
            "POST",
            "/privacy/erase",
            ADMIN,
            403,
            403,
            body=lambda w: {"data": {"buyer_id": BUYER["buyerIdNumber"], "reason": "aimed at B"}},
        ),
        Route("POST", "/finance/upload", SUBMIT, 403, 403, body=_b_money_file),
        Route("GET", "/webhooks", LIST, 200, 403, a_marker="hooks.example.com/A"),
        Route(
            "POST",
            "/webhooks/subscribe",
            SUBMIT,
            403,
            403,
            body=lambda w: {"data": {"url": "https://hooks.example.com/x", "events": "risk.hit", "enterprise": B_CODE}},
        ),
        Route("POST", "/webhooks/{subscription_id}/delete", RECORD, 404, 403),
        Route("POST", "/webhooks/replay", ADMIN, 403, 403, body=lambda w: {"data": {"delivery_id": "1"}}),
        Route("GET", "/warehouse", SUBMIT, 403, 403, body=lambda w: {"params": {"seller": B_CODE}}),
        Route("POST", "/warehouse/upload", SUBMIT, 403, 403, body=_b_movement_file),
        Route("POST", "/finance/reconcile", SUBMIT, 403, 403, body=lambda w: {"data": {"seller": B_CODE}}),
        Route("GET", "/finance/lists/{list_id}", RECORD, 404, 403),
        Route("GET", "/credit", STATS, 303, 200, regulator_may_see=(B_CODE,)),
        Route("GET", "/credit/{code}", RECORD, 404, 403),
        Route("POST", "/credit/{code}/objection", RECORD, 404, 403, body=lambda w: {"data": {"text": "x"}}),
        Route(
            "POST",
            "/credit/answer",
            ADMIN,
            403,
            403,
            body=lambda w: {"data": {"objection_id": 1, "status": "upheld", "answer": "x"}},
        ),
        Route("GET", "/risk/overview", STATS, 200, 200, regulator_may_see=(B_CODE,)),
        Route("GET", "/risk/lanes", LIST, 200, 403),
        Route(
            "POST",
            "/catalogue/confirm",
            SUBMIT,
            403,
            403,
            body=lambda w: {"data": {"seller": B_CODE, "sku": "MUG-001"}},
        ),
        Route(
            "POST",
            "/catalogue/correct",
            SUBMIT,
            403,
            403,
            body=lambda w: {"data": {"seller": B_CODE, "sku": "MUG-001", "hs_code": "6912001000"}},
        ),
        Route("POST", "/catalogue/import", SUBMIT, 403, 403, body=_b_catalogue_file),
        Route(
            "POST",
            "/profile/password",
            SELF,
            422,  # a wrong current password: nothing changes
            422,
            a_key=403,  # API keys have no password
            body=lambda w: {"data": {"current_password": "not-the-password", "new_password": "another-pass-2026"}},
        ),
    ]
}

#: routes of the app outside /api/v1 and the pages, served to anyone
PUBLIC_ROUTES = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/healthz"),
}
PUBLIC_MOUNTS = {"/static", "/vendor/htmx", "/vendor/echarts", "/vendor/worldmap"}

BUSINESS = {RECORD, LIST, SUBMIT, PERSONAL}


def _app_routes(world: World) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[str]]:
    """(API and page routes, other routes, mounts) of the application as it is built."""
    app = create_app(world.settings)
    covered, others, mounts = set(), set(), set()
    ui = pages.__package__ or "cbec.web.ui"  # every page module of the UI
    for rc in iter_route_contexts(app.routes):
        route = rc.original_route
        if isinstance(route, Mount):
            mounts.add(route.path)
            continue
        pairs = {(m, str(rc.path)) for m in rc.methods or () if m != "HEAD"}
        if isinstance(route, APIRoute) and (
            str(rc.path).startswith("/api/v1/") or route.endpoint.__module__.startswith(ui)
        ):
            covered |= pairs
        else:
            others |= pairs
    return covered, others, mounts


def test_every_route_of_the_app_has_a_tenancy_case(world: World) -> None:
    covered, others, mounts = _app_routes(world)
    assert covered == set(ROUTES), (
        f"routes without a tenancy case: {sorted(covered - set(ROUTES))}; "
        f"cases without a route: {sorted(set(ROUTES) - covered)}"
    )
    assert others == PUBLIC_ROUTES
    assert mounts <= PUBLIC_MOUNTS
    # every path parameter has seller B's resource to point at
    names = {n for method, path in covered for n in re.findall(r"{(\w+)}", path)}
    assert names == set(_path_values(world, "B"))
    # the page routes are all here: /, /declarations, /upload, the operator's pages …
    assert {("GET", "/"), ("GET", "/declarations/{declaration_id}/xml"), ("GET", "/uploads/{inbox_id}/errors.csv")} <= (
        covered
    )


# --- callers -----------------------------------------------------------------------------------


@dataclass
class Caller:
    client: TestClient
    csrf: str = ""
    key: str = ""

    def request(self, route: Route, path: str, extra: dict[str, Any]) -> Any:
        headers = dict(extra.pop("headers", {}))
        headers.setdefault("Accept", "application/json" if route.api else "text/html")
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        if self.csrf and route.method not in ("GET", "HEAD"):
            headers["X-CSRF-Token"] = self.csrf
        return self.client.request(route.method, path, headers=headers, follow_redirects=False, **extra)


@pytest.fixture(scope="module")
def callers(world: World) -> dict[str, Caller]:
    out = {name: Caller(world.client(), key=world.keys[k]) for name, k in (("a_key", "a"), ("b_key", "b"))}
    for name, user in (("alice", "alice"), ("bob", "bob"), ("regulator", "regina"), ("operator", "operator")):
        client, token = world.login(user)
        out[name] = Caller(client, csrf=token)
    return out


def _caller(world: World, callers: dict[str, Caller], name: str, route: Route) -> Caller:
    if route.ends_session and callers[name].csrf:
        user = {"alice": "alice", "bob": "bob", "regulator": "regina", "operator": "operator"}[name]
        client, token = world.login(user)
        return Caller(client, csrf=token)
    return callers[name]


def _path_values(world: World, tag: str, declaration: str = "list") -> dict[str, Any]:
    ids = world.ids[tag]
    return {
        "declaration_id": ids[declaration],
        "list_id": ids["list"],
        "doc_id": ids["document"],
        "inbox_id": ids["inbox"],
        "result_id": ids["match"],
        "assessment_id": ids["assessment"],
        "hit_id": ids["hit"],
        "code": SELLER.code if tag == "A" else B_CODE,
        "key_id": world.keys["a" if tag == "A" else "b"].partition(".")[0],
        "subscription_id": ids["subscription"],
        "ems_no": "T2933W000001",
    }


def _cases(*, public: bool = True) -> Iterator[Any]:
    for route in ROUTES.values():
        if route.kind == PUBLIC and not public:
            continue
        declarations = ("list", "import_list") if "{declaration_id}" in route.path else ("list",)
        for declaration in declarations:
            suffix = "" if declaration == "list" else " [import list]"
            yield pytest.param(route, declaration, id=route.id + suffix)


def _call(world: World, caller: Caller, route: Route, tag: str = "B", declaration: str = "list") -> Any:
    path = route.path.format(**_path_values(world, tag, declaration))
    return caller.request(route, path, route.body(world))


def _assert_nothing_of_b(response: Any, what: str, allowed: tuple[str, ...] = ()) -> None:
    """No order number or code of B in the answer, beyond the request path and query a page
    echoes (its language form returns to it): that is what the caller sent, not B's data."""
    path = response.request.url.path
    query = response.request.url.query.decode() if isinstance(response.request.url.query, bytes) else ""
    text = response.content.decode("utf-8", "replace")
    if query:
        text = text.replace(f"{path}?{query}", "")
    text = text.replace(path, "")
    leaked = [m for m in B_MARKERS if m in text and m not in allowed]
    assert not leaked, f"{what}: seller B's {leaked} in the answer ({response.status_code}): {text[:400]}"
    location = response.headers.get("location", "").replace(path, "")
    assert not any(m in location for m in B_MARKERS), location


# --- seller A against seller B -----------------------------------------------------------------

#: (route, caller) pairs whose answer is a known bug (strict: a fix makes them fail, remove then)
KNOWN_BUGS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("caller_name", ["a_key", "alice"])
@pytest.mark.parametrize(("route", "declaration"), list(_cases(public=False)))
def test_seller_a_never_gets_seller_b_data(
    world: World, callers: dict[str, Caller], route: Route, declaration: str, caller_name: str, request: Any
) -> None:
    bug = KNOWN_BUGS.get((route.id, caller_name))
    if bug:
        request.applymarker(pytest.mark.xfail(strict=True, reason=bug))
    caller = _caller(world, callers, caller_name, route)
    r = _call(world, caller, route, "B", declaration)
    _assert_nothing_of_b(r, f"{caller_name} {route.id}")
    assert r.status_code == route.expected_for(caller_name), r.text[:500]
    if route.kind in (RECORD, SUBMIT, PERSONAL, ADMIN):
        assert not 200 <= r.status_code < 300
    if route.kind in (LIST, STATS) and route.a_marker:
        assert route.a_marker in r.text, f"A's own data missing from {route.id}"


@pytest.mark.parametrize("caller_name", ["b_key", "bob"])
@pytest.mark.parametrize(
    ("route", "declaration"), [c for c in _cases() if c.values[0].kind == RECORD and c.values[0].method == "GET"]
)
def test_the_ids_are_seller_bs_records(
    world: World, callers: dict[str, Caller], route: Route, declaration: str, caller_name: str
) -> None:
    """The control: the ids A was refused are real, and B itself reads them."""
    r = _call(world, callers[caller_name], route, "B", declaration)
    assert r.status_code == 200, r.text[:300]
    if not route.path.endswith(("errors.csv", "errors.xlsx")):  # a clean submission's error file is the header alone
        assert any(m in r.text for m in B_MARKERS)


@pytest.mark.parametrize("caller_name", ["a_key", "alice"])
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/declarations", {"seller": B_CODE}),
        ("/api/v1/declarations", {"q": "SO-B"}),
        ("/api/v1/declarations", {"q": "IO-B-0001", "message_type": "CEB621"}),
        ("/api/v1/documents", {"q": "IO-B"}),
        ("/api/v1/documents", {"q": "IO-B", "current": "false"}),
        ("/api/v1/tax/assessments", {"reference": "IO-B-0001"}),
        ("/declarations", {"q": "SO-B"}),
    ],
)
def test_filters_aimed_at_seller_b_find_nothing(
    world: World, callers: dict[str, Caller], caller_name: str, path: str, params: dict[str, str]
) -> None:
    route = ROUTES[("GET", path)]
    r = callers[caller_name].request(route, path, {"params": params})
    assert r.status_code == 200
    _assert_nothing_of_b(r, f"{caller_name} {path} {params}")
    if route.api:
        assert r.json()["total"] == 0 and r.json()["items"] == []


def _lists_of(items: list[dict[str, Any]], seller: str) -> int:
    return sum(1 for d in items if d["seller_code"] == seller and d["message_type"] in ("CEB603", "CEB621"))


@pytest.mark.parametrize("caller_name", ["a_key", "alice"])
def test_dashboard_counts_only_seller_as_own(world: World, callers: dict[str, Caller], caller_name: str) -> None:
    route = ROUTES[("GET", "/api/v1/statistics/dashboard")]
    everything = callers["operator"].request(route, route.path, {}).json()
    mine = callers[caller_name].request(route, route.path, {}).json()
    decls = callers["operator"].client.get("/api/v1/declarations", params={"page_size": 200}).json()["items"]
    assert everything["lists"] == _lists_of(decls, SELLER.code) + _lists_of(decls, B_CODE) == 4
    assert mine["lists"] == _lists_of(decls, SELLER.code) == 2
    assert sum(mine["matching"]["by_state"].values()) == 2  # A's export and import orders
    page = callers[caller_name].request(ROUTES[("GET", "/")], "/", {})
    assert 'id="kpi-lists">2<' in page.text


# --- without credentials -----------------------------------------------------------------------


@pytest.mark.parametrize(("route", "declaration"), list(_cases()))
def test_every_route_needs_credentials(world: World, route: Route, declaration: str) -> None:
    r = _call(world, Caller(world.client()), route, "B", declaration)  # a new client: no cookie
    _assert_nothing_of_b(r, f"anonymous {route.id}")
    if route.kind == PUBLIC:
        assert r.status_code in (200, 303)
    elif route.api:
        assert r.status_code == 401, r.text[:300]
        assert r.json()["error"] == "unauthenticated"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    elif route.method == "GET":
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=/")
    else:
        assert r.status_code in (401, 403), r.text[:300]


def test_a_wrong_api_key_is_no_credential(world: World, callers: dict[str, Caller]) -> None:
    forged = world.keys["a"][:-4] + "AAAA"
    for key in (forged, "ck_0000000000000000.nothing", "no-dot-at-all"):
        r = world.client().get("/api/v1/declarations", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 401 and r.json()["error"] == "unauthenticated"


# --- the regulator and partner keys ------------------------------------------------------------


@pytest.mark.parametrize(("route", "declaration"), list(_cases(public=False)))
def test_regulator(world: World, callers: dict[str, Caller], route: Route, declaration: str) -> None:
    caller = _caller(world, callers, "regulator", route)
    r = _call(world, caller, route, "B", declaration)
    _assert_nothing_of_b(r, f"regulator {route.id}", route.regulator_may_see)
    assert r.status_code == route.regulator, r.text[:300]
    if route.kind in BUSINESS or route.kind == ADMIN:
        assert r.status_code == 403
    if route.kind == STATS:
        assert r.status_code == 200


def test_regulator_sees_every_enterprise_in_figures(world: World, callers: dict[str, Caller]) -> None:
    route = ROUTES[("GET", "/api/v1/statistics/dashboard")]
    regulator = callers["regulator"].request(route, route.path, {}).json()
    operator = callers["operator"].request(route, route.path, {}).json()
    assert regulator["lists"] == operator["lists"] == 4
    assert regulator["period_by_status"] == operator["period_by_status"]


@pytest.mark.parametrize("key", ["a", "b", "platform", "logistics", "payer"])
@pytest.mark.parametrize("route", [r for r in ROUTES.values() if r.kind == ADMIN and r.api], ids=lambda r: r.id)
def test_partner_keys_are_refused_operator_routes(world: World, route: Route, key: str) -> None:
    caller = Caller(world.client(), key=world.keys[key])
    r = _call(world, caller, route, "B")
    assert r.status_code == 403, r.text[:300]
    assert r.json()["error"] == "forbidden"


# --- who may push what ------------------------------------------------------------------------


def _push(world: World, key: str, docs: list[dict[str, Any]], **params: str) -> Any:
    return world.client().post(
        "/api/v1/documents",
        params={"platform": PLATFORM.code, **params},
        content=json.dumps(docs, ensure_ascii=False).encode(),
        headers={"Authorization": f"Bearer {world.keys[key]}", "Content-Type": "application/json"},
    )


def _operator_documents(callers: dict[str, Caller], q: str) -> list[dict[str, Any]]:
    r = callers["operator"].client.get("/api/v1/documents", params={"q": q, "current": "false", "page_size": 200})
    assert r.status_code == 200
    return r.json()["items"]  # type: ignore[no-any-return]


def test_logistics_key_pushes_its_own_waybills(world: World, callers: dict[str, Caller]) -> None:
    r = _push(
        world,
        "logistics",
        [export_waybill("SO-A-0002", "LP000000027CN"), import_waybill("IO-A-0002", logisticsNo="EE000000027JP")],
        seller=SELLER.code,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["new"], r.json()["by_type"]) == (2, {"export_waybill": 1, "import_waybill": 1})
    stored = _operator_documents(callers, "SO-A-0002") + _operator_documents(callers, "IO-A-0002")
    assert {(d["type"], d["sender_code"], d["seller_code"]) for d in stored} == {
        ("export_waybill", LOGISTICS.code, SELLER.code),
        ("import_waybill", LOGISTICS.code, SELLER.code),
    }


def test_logistics_key_may_not_push_an_order(world: World, callers: dict[str, Caller]) -> None:
    r = _push(world, "logistics", [export_order("SO-L-0001")], seller=SELLER.code)
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "forbidden" and "export_order" in r.json()["message_en"]
    assert r.json()["inbox_id"]  # the raw submission is kept, with the refusal
    assert _operator_documents(callers, "SO-L-0001") == []


def test_logistics_key_may_not_push_another_companys_waybill(world: World, callers: dict[str, Caller]) -> None:
    waybill = export_waybill("SO-L-0002", "LP000000035CN")
    waybill["head"]["logisticsCode"] = PAYER.code  # not the logistics company's own code
    r = _push(world, "logistics", [waybill], seller=SELLER.code)
    assert r.status_code == 403, r.text
    assert "logisticsCode" in r.json()["message_en"]
    assert _operator_documents(callers, "SO-L-0002") == []
    # one refused document refuses the whole submission: its own waybill beside it is not kept either
    r = _push(world, "logistics", [export_waybill("SO-L-0003", "LP000000043CN"), waybill], seller=SELLER.code)
    assert r.status_code == 403
    assert _operator_documents(callers, "SO-L-0003") == []


@pytest.mark.parametrize("name_seller", [False, True], ids=["own-seller", "seller-B-named"])
def test_seller_a_key_may_not_push_seller_bs_document(
    world: World, callers: dict[str, Caller], name_seller: bool
) -> None:
    order_no = f"SO-X-{int(name_seller)}001"
    doc = export_order(order_no)
    doc["head"]["ebcCode"], doc["head"]["ebcName"] = SELLER_B.code, SELLER_B.name
    r = _push(world, "a", [doc], **({"seller": B_CODE} if name_seller else {}))
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "forbidden"
    assert _operator_documents(callers, order_no) == []  # nothing stored, for A or for B
    for m in ("SO-B-0001", "IO-B-0001"):
        assert m not in r.text


def test_a_seller_clerk_may_not_upload_for_seller_b(world: World, callers: dict[str, Caller]) -> None:
    route = ROUTES[("POST", "/api/v1/uploads")]
    r = callers["alice"].request(route, route.path, _b_order_upload(world))
    assert r.status_code == 403 and r.json()["field"] == "seller"
    assert _operator_documents(callers, "SO-T-0002") == []


# --- a document key shared with another seller -------------------------------------------------


def test_seller_a_cannot_supersede_seller_bs_documents(tmp_path_factory: pytest.TempPathFactory) -> None:
    world = build_world(tmp_path_factory.mktemp("supersede") / "data")
    operator, _ = world.login("operator")

    def current(q: str, doc_type: str) -> list[dict[str, Any]]:
        items = operator.get("/api/v1/documents", params={"q": q, "type": doc_type, "current": "false"}).json()
        return [d for d in items["items"] if d["is_current"]]

    before = {t: current(q, t) for q, t in (("SO-B-0001", "export_order"), ("LP000000015CN", "export_waybill"))}
    assert all(len(v) == 1 and v[0]["seller_code"] == B_CODE for v in before.values())
    # A's own order and waybill, but under B's order number and B's waybill number
    order = export_order("SO-B-0001", qty="9")
    waybill = export_waybill("SO-B-0001", "LP000000015CN")
    waybill["head"]["grossWeight"] = "9.9"
    r = _push(world, "a", [order, waybill])
    after = {t: current(q, t) for q, t in (("SO-B-0001", "export_order"), ("LP000000015CN", "export_waybill"))}
    assert after == before, "seller B's documents were replaced by seller A's"
    assert r.status_code in (403, 409), r.text


def test_a_platform_key_queries_a_sellers_grade_and_the_query_is_logged(
    world: World, callers: dict[str, Caller]
) -> None:
    """A platform (or a payment institution) asks for a seller's current grade and its date: it
    gets them and nothing else (the record is the seller's own), and the query is in the audit."""
    client = world.client()
    key = {"Authorization": f"Bearer {world.keys['platform']}"}
    r = client.get(f"/api/v1/credit/{B_CODE}", headers=key)
    assert r.status_code == 200, r.text[:300]
    assert set(r.json()) == {"enterprise_code", "grade", "as_of", "dishonest", "customs_tier"}
    assert r.json()["enterprise_code"] == B_CODE and r.json()["grade"] in ("AAA", "AA", "A", "BBB", "BB")
    assert client.get(f"/api/v1/credit/{B_CODE}/record", headers=key).status_code == 404
    logged = callers["operator"].client.get("/api/v1/audit", params={"action": "credit.query"}).json()["items"]
    assert any(e["target"] == f"enterprise:{B_CODE}" and e["actor_kind"] == "api_key" for e in logged), logged[:2]
