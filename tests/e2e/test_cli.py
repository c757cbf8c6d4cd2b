"""The CLI as a user runs it: a real process, a fresh data directory, one JSON object per command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

pytestmark = pytest.mark.e2e

SELLER = "91330782MA2DEMN016"
PLATFORM = "91330782MA2DEMP02Y"


def cbec(data_dir: Path, *args: str, ok: bool = True) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    proc = subprocess.run(
        [sys.executable, "-m", "cbec.cli.main", "--data-dir", str(data_dir), *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )
    assert (proc.returncode == 0) is ok, proc.stderr[-3000:] + proc.stdout[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected exactly one JSON line on stdout, got: {proc.stdout[:2000]}"
    result: dict[str, Any] = json.loads(lines[0])
    return result


@pytest.fixture
def registered(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    cbec(data, "partner", "add", "--code", SELLER, "--name", "义乌示范礼品家居有限公司", "--role", "ebc")
    cbec(data, "partner", "add", "--code", PLATFORM, "--name", "义乌示范跨境电商平台", "--role", "ebp")
    return data


def test_partner_add_list_and_refusal(registered: Path) -> None:
    listed = cbec(registered, "partner", "list")
    assert {e["code"] for e in listed["enterprises"]} == {SELLER, PLATFORM}
    bad = cbec(registered, "partner", "add", "--code", "91330782MA2DEMN017", "--name", "x", "--role", "ebc", ok=False)
    assert (bad["error"], bad["field"]) == ("invalid_input", "code")
    assert "GB 32100" in bad["message_en"] and "校验码" in bad["message_zh"]
    dup = cbec(registered, "partner", "add", "--code", SELLER, "--name", "again", "--role", "ebc", ok=False)
    assert dup["error"] == "conflict"


def test_import_json_twice_is_idempotent(registered: Path, tmp_path: Path) -> None:
    order = {
        "type": "export_order",
        "head": {"orderType": "E", "orderNo": "A-1", "goodsValue": "10", "freight": "0", "currency": "502",
                 "destinationCountry": "502", "orderTime": "20261123101500"},
        "lines": [{"gnum": 1, "itemNo": "SKU1", "itemName": "mug", "qty": "1", "unit": "011", "price": "10",
                   "totalPrice": "10", "currency": "502"}],
    }  # fmt: skip
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order))
    first = cbec(registered, "import", str(path), "--seller", SELLER, "--platform", PLATFORM)
    second = cbec(registered, "import", str(path), "--seller", SELLER, "--platform", PLATFORM)
    assert (first["new"], second["new"], second["duplicates"]) == (1, 0, 1)
    status = cbec(registered, "status")
    assert status["submissions"] == 2
    assert status["documents"]["export_order"] == {"valid": 1, "invalid": 0}


def test_import_unknown_seller_is_a_clear_error(registered: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[]")
    out = cbec(registered, "import", str(path), "--seller", "1105910159", ok=False)
    assert out["error"] == "not_found" and "1105910159" in out["message_en"]


@pytest.mark.slow
def test_import_the_whole_online_retail_file(registered: Path) -> None:
    source = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "online-retail.parquet"
    report = cbec(
        registered, "import", str(source), "--format", "online-retail", "--seller", SELLER, "--platform", PLATFORM
    )
    # independent count over the raw file with Polars
    frame = pl.read_parquet(source).with_columns(pl.col("InvoiceNo").cast(pl.Utf8))
    invoices = frame.group_by("InvoiceNo").agg(
        pl.col("Quantity").min().alias("qmin"), pl.col("UnitPrice").max().alias("pmax")
    )
    credit = invoices.filter(pl.col("InvoiceNo").str.starts_with("C")).height
    bad_debt = invoices.filter(pl.col("InvoiceNo").str.starts_with("A")).height
    digits = invoices.filter(pl.col("InvoiceNo").str.contains(r"^\d+$"))
    zero_value = digits.filter(pl.col("pmax") <= 0).height
    sales = digits.height - zero_value
    parser = report["parser"]
    assert parser["invoices"] == invoices.height == 25_900
    assert parser["cancellations"] == credit == report["by_type"]["order_cancel"]
    assert parser["adjustment_invoices"] == bad_debt
    assert parser["orders"] == report["by_type"]["export_order"]
    assert parser["orders"] + parser["zero_value_invoices"] + parser["stock_correction_invoices"] == digits.height
    assert parser["orders"] == sales - 0  # every all-digit invoice with a priced line is an order
    assert parser["cancellation_lines"] == frame.filter(pl.col("InvoiceNo").str.starts_with("C")).height
    # orders of only postage/fee lines are kept but invalid (nothing to declare)
    orders = (
        frame.filter(pl.col("InvoiceNo").str.contains(r"^\d+$"))
        .group_by("InvoiceNo")
        .agg(
            pl.col("StockCode").cast(pl.Utf8).str.contains(r"^\d").any().alias("has_goods"),
            pl.col("UnitPrice").max().alias("pmax"),
            pl.col("Quantity").max().alias("qmax"),
        )
    )
    no_goods = orders.filter(~pl.col("has_goods") & (pl.col("pmax") > 0) & (pl.col("qmax") > 0)).height
    assert report["invalid"] == no_goods and report["row_error_count"] == 0
