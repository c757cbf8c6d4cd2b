"""Issue 17's CLI acceptance: a seller imports an Amazon All Orders report, its waybills come in,
the orders are declared and the sandbox releases them; the marketplace's settlement reports and
the payment institution's receipts are imported with ``cbec finance import``, and
``cbec finance reconcile --json`` reports the orders settled and refunded, the principal equal to
the orders' item prices, and the deposit totals, every figure computed again here from the
files."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cbec.generate.settlements import SoldLine, SoldOrder, amazon_settlements
from tests.e2e.cli import PLATFORM, SELLER, cbec

pytestmark = pytest.mark.e2e

AMAZON = Path(__file__).resolve().parents[1] / "data" / "amazon-all-orders.txt"
SKUS = {
    "FIN-MUG-01": ("Ceramic Coffee Mug", "6912001000", "陶瓷马克杯"),
    "FIN-LAMP-02": ("LED Table Lamp", "9405490000", "台灯"),
}


def _report(tmp: Path, n: int) -> tuple[Path, list[dict[str, str]]]:
    """An All Orders report in Amazon's layout: ``n`` shipped US orders of one or two units."""
    header, template = AMAZON.read_text(encoding="utf-8").splitlines()[:2]
    columns = header.split("\t")
    rows, lines = [header], []
    for i in range(n):
        sku = list(SKUS)[i % 2]
        qty = 1 + i % 2
        values = {
            "amazon-order-id": f"113-{5000000 + i:07d}-{2000000 + i:07d}", "sku": sku, "product-name": SKUS[sku][0],
            "quantity": str(qty), "currency": "USD", "item-price": str(Decimal("17.49") * qty), "item-tax": "0.00",
            "shipping-price": "0.00", "ship-country": "US", "purchase-date": f"2026-11-{1 + i % 25:02d}T10:00:00+00:00",
        }  # fmt: skip
        cells = template.split("\t")
        for name, value in values.items():
            cells[columns.index(name)] = value
        rows.append("\t".join(cells))
        lines.append(values)
    path = tmp / "all-orders.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, lines


def test_finance_reconcile_after_an_amazon_report_and_its_settlements(registered: Path, tmp_path: Path) -> None:
    from cbec.kit.tracking import make_s10
    from tests.integration.helpers import LOGISTICS

    cbec(registered, "partner", "add", "--code", LOGISTICS.code, "--name", LOGISTICS.name, "--role", "logistics")
    report, orders = _report(tmp_path, 40)
    imported = cbec(registered, "import", str(report), "--seller", SELLER, "--platform", PLATFORM)
    assert imported["new"] >= 40
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "SKU,HS编码,中文品名\n" + "".join(f"{s},{c},{zh}\n" for s, (_, c, zh) in SKUS.items()), encoding="utf-8"
    )
    cbec(registered, "catalogue", "import", str(catalogue), "--seller", SELLER)
    waybills = [
        {"type": "export_waybill", "head": {
            "logisticsCode": LOGISTICS.code, "logisticsName": LOGISTICS.name, "logisticsNo": make_s10("LP", 72_000_000 + i, "CN"),
            "freight": "0", "insuredFee": "0", "currency": "502", "grossWeight": "0.8", "packNo": "1",
            "goodsInfo": "household goods", "orderNo": o["amazon-order-id"], "ebpCode": PLATFORM}}
        for i, o in enumerate(orders)
    ]  # fmt: skip
    (tmp_path / "waybills.json").write_text(json.dumps(waybills), encoding="utf-8")
    cbec(registered, "import", str(tmp_path / "waybills.json"), "--seller", SELLER, "--platform", PLATFORM,
         "--sender", LOGISTICS.code, "--format", "json")  # fmt: skip
    declared = cbec(registered, "declare")
    assert declared["declared"]["CEB603"] == 40, declared
    for _ in range(7):  # until every list is answered: at most 7 rounds
        cbec(registered, "worker", "--once")
        cbec(registered, "sandbox", "--once")
        cbec(registered, "worker", "--once")
        lists = cbec(registered, "declarations")
        if set(lists["CEB603"]) <= {"released", "closed"}:
            break
    # released, then closed (结关); a list the risk lanes sent to inspection or a document check
    # (red, yellow) takes one more answer of the sandbox before its release: released is what the
    # money needs
    assert set(lists["CEB603"]) <= {"released", "closed"} and sum(lists["CEB603"].values()) == 40, lists

    today = date.today()
    sold = [
        SoldOrder(o["amazon-order-id"], today.replace(day=1) if today.day > 1 else today, "USD",
                  (SoldLine(o["sku"], int(o["quantity"]), Decimal("17.49")),))
        for o in orders
    ]  # fmt: skip
    money = amazon_settlements(sold, period_days=3)
    deposits = Decimal(0)
    for k, data in enumerate(money.amazon):
        path = tmp_path / f"settlement-{k}.txt"
        path.write_bytes(data)
        deposits += Decimal(next(csv.DictReader(io.StringIO(data.decode()), delimiter="\t"))["total-amount"])
        out = cbec(registered, "finance", "import", str(path), "--seller", SELLER, "--platform", PLATFORM)
        assert out["format"] == "amazon-settlement" and out["settlements"] == 1 and out["error_count"] == 0
    receipts = tmp_path / "receipts.csv"
    receipts.write_bytes(money.receipts)
    got = cbec(registered, "finance", "import", str(receipts), "--seller", SELLER)
    assert got["format"] == "receipts" and got["receipts"] >= 1

    r = cbec(registered, "finance", "reconcile", "--seller", SELLER)
    (usd,) = r["totals"]
    f = {k: Decimal(str(v)) for k, v in usd["figures"].items()}
    item_prices = sum(Decimal(o["item-price"]) for o in orders)
    assert r["orders"] == 40 and r["orders_settled"] == 40 and r["orders_refunded"] == len(money.refunded) >= 1
    assert f["principal"] == item_prices == f["declared"]
    assert f["deposits"] == deposits
    assert r["unmatched_count"] == 0 and sum(r["by_status"].values()) == 40
    # the financing pre-qualification, signed; a bank checks it, and a changed package fails
    package = tmp_path / "prequalification.json"
    sealed = cbec(registered, "finance", "prequalify", "--seller", SELLER, "--out", str(package))
    assert Decimal(sealed["package"]["score"]) > 0 and sealed["algorithm"] == "Ed25519"
    assert cbec(registered, "finance", "verify", str(package))["valid"] is True
    changed = json.loads(package.read_text(encoding="utf-8"))
    changed["package"]["score"] = "100.0"
    package.write_text(json.dumps(changed), encoding="utf-8")
    refused = cbec(registered, "finance", "verify", str(package), ok=False)
    assert refused["field"] == "signature" and "签名" in refused["message_zh"]
    bad = cbec(registered, "finance", "import", str(report), "--seller", SELLER, ok=False)
    assert bad["field"] == "format" and "--format" in bad["message_en"]
