"""Issue 20's CLI acceptance: ``cbec stats`` over a data directory where export and import lists
of two sellers were declared and released by the sandbox customs (the web world): the figures by
mode × country add up to the total, a month's report regenerates byte-identically as XLSX and
CSV, the departments' export writes the released export lists, and a bad breakdown is refused
with the field at fault."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.e2e.cli import cbec
from tests.e2e.web_world import build_world

pytestmark = pytest.mark.e2e


def test_stats_by_mode_and_country_report_and_exports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_world(data)
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    figures = cbec(data, "stats", "--by", "mode,country")
    assert figures["period"] == "all" and figures["by"] == ["mode", "country"]
    total = figures["total"]
    assert total["lists"] >= 4
    assert sum(r["lists"] for r in figures["rows"]) == total["lists"]
    assert sum(Decimal(r["value_cny"]) for r in figures["rows"]) == Decimal(total["value_cny"])
    assert all(set(r["key"]) == {"mode", "country"} for r in figures["rows"])
    monthly = cbec(data, "stats", "--period", month, "--by", "country")
    assert monthly["total"] == total and monthly["growth"]["previous"] is not None

    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    cbec(data, "stats", "report", "--period", month, "--out", str(first))
    cbec(data, "stats", "report", "--period", month, "--out", str(second))
    assert first.read_bytes() == second.read_bytes()
    book = load_workbook(io.BytesIO(first.read_bytes()))
    assert "定义 Definitions" in book.sheetnames and "月度 Months" in book.sheetnames
    cbec(data, "stats", "report", "--period", month, "--out", str(tmp_path / "a.csv"))
    cbec(data, "stats", "report", "--period", month, "--out", str(tmp_path / "b.csv"))
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()

    shared = cbec(data, "stats", "exports", "--period", month, "--for", "fx", "--out", str(tmp_path / "fx.csv"))
    exports = [r for r in figures["rows"] if r["key"]["mode"] == "9610"]
    assert shared["lists"] >= 1 and shared["lists"] <= sum(r["lists"] for r in exports)
    text = (tmp_path / "fx.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("seller 电商企业") and len(text.splitlines()) == shared["lists"] + 1

    bad = cbec(data, "stats", "--by", "mode,planet", ok=False)
    assert bad["field"] == "by" and "统计维度" in bad["message_zh"]
