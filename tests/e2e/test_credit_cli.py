"""Issue 19's CLI: ``cbec credit show CODE --json`` gives the grade with every contribution;
``cbec credit import-list`` takes an operator's dishonesty list with its source and date (a bad
row refused, naming it) and the grade drops to BB with the override explained;
``cbec risk screen --seller CODE --json`` and ``cbec risk lanes --json`` answer on an empty
platform; ``cbec credit object`` and ``answer`` leave the objection answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import SELLER, cbec

pytestmark = pytest.mark.e2e


def test_credit_show_import_list_and_objection(registered: Path, tmp_path: Path) -> None:
    clean = cbec(registered, "credit", "show", SELLER, "--as-of", "2026-12-05")
    assert clean["enterprise_code"] == SELLER and clean["current"]["grade"] in ("AAA", "AA", "A")
    factors = {c["factor"]: c for c in clean["current"]["contributions"]}
    assert set(factors) == {
        "registered", "customs_tier", "refusal_rate", "confirmed_hits",
        "tax_refusals", "cancel_return_rate", "invalid_share", "fx_overdue_share", "delivery_exception_share",
        "volume",
    }  # fmt: skip
    assert all(c["source"] for c in factors.values())

    bad = tmp_path / "bad.csv"
    bad.write_text(f"code,name,value,valid_from,valid_until\n{SELLER},x,失信,2026-13-01,\n", encoding="utf-8")
    refused = cbec(registered, "credit", "import-list", str(bad), "--source", "s", "--date", "2026-12-01", ok=False)
    assert refused["field"] == "valid_from" and "第 2 行" in refused["message_zh"]

    listed = tmp_path / "list.csv"
    listed.write_text(
        f"code,name,value,valid_from,valid_until\n{SELLER},示例,海关失信企业名单,2026-11-01,2027-05-01\n",
        encoding="utf-8",
    )
    out = cbec(
        registered, "credit", "import-list", str(listed), "--source", "credit.customs.gov.cn export",
        "--date", "2026-12-01",
    )  # fmt: skip
    assert out["enterprises"] == [SELLER] and out["imported"] == 1
    now = cbec(registered, "credit", "show", SELLER, "--as-of", "2026-12-05")
    assert now["current"]["grade"] == "BB" and now["current"]["dishonest"]
    assert "credit.customs.gov.cn export" in now["current"]["overrides"][0]["message_zh"]
    assert now["facts"][0]["active"] and len(now["grades"]) >= 2

    objection = cbec(registered, "credit", "object", SELLER, "--text", "名单有误")
    answered = cbec(
        registered, "credit", "answer", str(objection["id"]), "--status", "rejected", "--answer", "核实无误"
    )
    assert answered["status"] == "rejected"


def test_risk_screen_and_lanes_on_an_empty_platform(registered: Path) -> None:
    screened = cbec(registered, "risk", "screen", "--seller", SELLER)
    assert screened == {"seller_code": SELLER, "orders_screened": 0, "orders_hit": 0, "hits": []}
    lanes = cbec(registered, "risk", "lanes")
    assert lanes["lists"] == 0 and [ln["lane"] for ln in lanes["lanes"]] == ["red", "yellow", "blue", "green"]
