"""The CLI as a user runs it: a real process, a fresh data directory, one JSON object per command."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import PLATFORM, SELLER, cbec

pytestmark = pytest.mark.e2e


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


def test_risk_review_from_the_command_line(registered: Path, tmp_path: Path) -> None:
    """Two 3,000 CNY orders of one buyer a minute apart (over the 5,000 single limit together,
    财关税〔2018〕49号) are held by `cbec declare`; `cbec risk hits` explains them; a reviewer clears
    one and refuses the other (a decision needs its note), and the next declare sends the first."""
    from tests.integration.helpers import LOGISTICS, PAYER, as_bytes, import_order, import_payment, import_waybill

    cbec(registered, "partner", "add", "--code", LOGISTICS.code, "--name", LOGISTICS.name, "--role", "logistics")
    cbec(registered, "partner", "add", "--code", PAYER.code, "--name", PAYER.name, "--role", "pay")
    docs = []
    for k in range(2):
        no = f"IO-CLI-{k}"
        order = import_order(no, price="3000.00", tax="0")
        order["head"]["orderTime"] = f"2026061820{k:02d}00"
        docs += [
            order,
            import_payment(no, amount="3010.00"),
            import_waybill(no, logisticsNo=f"EE00000000{k}JP", billNo="784-12345675", trafNo="CA930", voyageNo="CA930"),
        ]
    file = tmp_path / "orders.json"
    file.write_bytes(as_bytes(*docs))
    cbec(registered, "import", str(file), "--seller", SELLER, "--platform", PLATFORM, "--format", "json")
    cbec(registered, "catalogue", "confirm", "--seller", SELLER, "--sku", "CREAM-50", "--hs", "3304990099")
    first = cbec(registered, "declare")
    assert first["held_for_review"] == 2 and first["declared"] == {}
    hits = cbec(registered, "risk", "hits", "--status", "open")
    assert hits["total"] == 2 and {h["rule"] for h in hits["items"]} == {"split_purchase"}
    assert hits["items"][0]["detail"]["total"] == "6020.00" and "化整为零" in hits["items"][0]["message_zh"]
    keep, drop = hits["items"]
    no_note = cbec(registered, "risk", "refuse", str(drop["id"]), "--note", " ", ok=False)
    assert no_note["field"] == "note" and "理由" in no_note["message_zh"]
    cleared = cbec(registered, "risk", "clear", str(keep["id"]), "--note", "two gifts / 两份礼品", "--by", "li")
    assert (cleared["status"], cleared["decided_by"]) == ("cleared", "li")
    cbec(registered, "risk", "refuse", str(drop["id"]), "--note", "split to pass the limit / 拆单")
    again = cbec(registered, "risk", "clear", str(drop["id"]), "--note", "x", ok=False)
    assert again["error"] == "rule_violation"
    second = cbec(registered, "declare")
    assert second["declared"]["CEB621"] == 1 and second["refused_in_review"] == 1
    assert cbec(registered, "risk", "hits", "--status", "open")["total"] == 0
    bad = cbec(registered, "risk", "hits", "--status", "pending", ok=False)
    assert bad["field"] == "status"


def test_catalogue_import_accept_and_search(registered: Path, tmp_path: Path) -> None:
    """A seller's day on the CLI: orders wait on unconfirmed SKUs; the ERP file and one bulk
    accept release them, each step saying how many."""
    from tests.integration.helpers import LOGISTICS, as_bytes, export_order, export_waybill

    cbec(registered, "partner", "add", "--code", LOGISTICS.code, "--name", LOGISTICS.name, "--role", "logistics")
    docs = []
    for k, (sku, name) in enumerate(
        [("TEAPOT-1", "CERAMIC TEAPOT"), ("LAMP-1", "TABLE LAMP"), ("VASE-1", "GLASS VASE")]
    ):
        order = export_order(f"SO-CLI-{k}", sku=sku)
        order["lines"][0]["itemName"] = name
        docs += [order, export_waybill(f"SO-CLI-{k}", f"LP1234567{k}5CN")]
    file = tmp_path / "orders.json"
    file.write_bytes(as_bytes(*docs))
    cbec(registered, "import", str(file), "--seller", SELLER, "--platform", PLATFORM, "--format", "json")
    cbec(registered, "catalogue", "suggest", "--seller", SELLER)
    catalogue_file = tmp_path / "catalogue.csv"
    catalogue_file.write_text("SKU,HS编码,中文品名\nLAMP-1,9405490000,台灯\nVASE-1,7013,玻璃花瓶\n", encoding="utf-8")
    imported = cbec(registered, "catalogue", "import", str(catalogue_file), "--seller", SELLER)
    assert (imported["created"] + imported["updated"], len(imported["errors"])) == (1, 1)
    assert imported["errors"][0]["field"] == "hs_code" and imported["errors"][0]["line"] == 3
    listed = cbec(registered, "catalogue", "list", "--seller", SELLER)
    assert {p["sku"]: p["hs_status"] for p in listed["products"]}["LAMP-1"] in {"confirmed", "corrected"}
    accepted = cbec(registered, "catalogue", "accept", "--seller", SELLER, "--min-score", "0")
    assert "TEAPOT-1" in accepted["confirmed"] and accepted["released"] >= 1
    hits = cbec(registered, "catalogue", "search", "teapot")
    assert any(h["hs6"].startswith("6912") for h in hits["hits"])


def test_a_missing_platform_says_what_to_do_and_the_default_platform_fills_it(registered: Path, tmp_path: Path) -> None:
    from tests.integration.helpers import as_bytes, export_order

    order = export_order("SO-NOPLAT-1")
    del order["head"]["ebpCode"], order["head"]["ebpName"]
    file = tmp_path / "orders.json"
    file.write_bytes(as_bytes(order))
    first = cbec(registered, "import", str(file), "--seller", SELLER, "--format", "json")
    assert first["invalid"] == 1
    text = json.dumps(first, ensure_ascii=False)
    assert "--platform" in text and "set-platform" in text and "默认平台" in text
    set_ = cbec(registered, "partner", "set-platform", "--seller", SELLER, "--platform", PLATFORM)
    assert set_["default_platform"] == PLATFORM
    wrong = cbec(registered, "partner", "set-platform", "--seller", SELLER, "--platform", SELLER, ok=False)
    assert wrong["field"] and wrong["message_zh"]
    second = cbec(registered, "import", str(file), "--seller", SELLER, "--format", "json")
    assert second["invalid"] == 0
