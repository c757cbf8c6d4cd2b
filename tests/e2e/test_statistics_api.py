"""Issue 20 over HTTP: the regulator reads the zone's indicators (every seller, no buyer), drills
into a cell, downloads the monthly report, and exports the released export lists for a tax and
an FX bureau, each export an audit entry; a seller's key sees its own figures and may not export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.e2e.web_world import BUYER_ID, SELLER_B, World, build_world
from tests.integration.helpers import SELLER

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("stats-api") / "data")


def test_regulator_figures_drill_report_and_audited_exports(world: World) -> None:
    client, _token = world.login("regina")
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    figures = client.get("/api/v1/statistics/indicators", params={"by": "seller"}).json()
    assert {r["key"]["seller"] for r in figures["rows"]} == {SELLER.code, SELLER_B.code}
    assert sum(Decimal(r["value_cny"]) for r in figures["rows"]) == Decimal(figures["total"]["value_cny"])
    cell = figures["rows"][0]
    behind = client.get("/api/v1/statistics/lists", params={"seller": cell["key"]["seller"]}).json()
    assert behind["total"] == cell["lists"] and all(x["order_no"] == "" for x in behind["items"])
    assert BUYER_ID not in str(behind)

    report = client.get("/api/v1/statistics/report", params={"period": month})
    assert report.status_code == 200
    assert "定义 Definitions" in load_workbook(io.BytesIO(report.content)).sheetnames

    shared = client.get("/api/v1/statistics/exports/released", params={"period": month, "for": "tax"}).json()
    exports = shared["lists"]
    assert exports and {s["seller"] for s in shared["sellers"]} <= {SELLER.code, SELLER_B.code}
    assert all(x["released_at"] and x["rate_source"] for x in exports)
    fx = client.get("/api/v1/statistics/exports/released", params={"period": month, "for": "fx", "format": "csv"})
    rows = list(csv.reader(io.StringIO(fx.content.decode("utf-8-sig"))))
    assert fx.headers["content-type"].startswith("text/csv") and len(rows) == len(exports) + 1

    operator, _ = world.login("operator")
    audit = operator.get("/api/v1/audit", params={"action": "statistics.export"}).json()
    entries = audit["items"] if isinstance(audit, dict) and "items" in audit else audit
    recipients = sorted(e["detail"]["recipient"] for e in entries if e["action"] == "statistics.export")
    assert recipients == ["fx", "tax"]


def test_a_seller_key_sees_its_own_figures_and_may_not_export(world: World) -> None:
    key = {"Authorization": f"Bearer {world.keys['a']}"}
    figures = world.client().get("/api/v1/statistics/indicators", params={"by": "seller"}, headers=key).json()
    assert [r["key"]["seller"] for r in figures["rows"]] == [SELLER.code]
    refused = world.client().get(
        "/api/v1/statistics/exports/released", params={"period": "2026-11", "for": "tax"}, headers=key
    )
    assert refused.status_code == 403 and refused.json()["field"] == "role"
