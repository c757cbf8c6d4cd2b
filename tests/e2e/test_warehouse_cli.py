"""Issue 18 (part 2) from the command line: a warehouse company and its overseas warehouse are
registered, a seller's movement CSV is imported (a bad row named, the file sent again adding
nothing), ``cbec warehouse stock --json`` gives on hand and ageing, a sale beyond stock flagged;
``reconcile`` runs with nothing declared; the bonded book takes an entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import SELLER, cbec

pytestmark = pytest.mark.e2e

WAREHOUSE_CO = "91310000MA1FL0W01Q"

MOVES = b"""warehouse,sku,movement,quantity,date,reference,list_no,to_warehouse
LAX1,MUG-001,inbound,10,2025-01-02,GRN-1,,
LAX1,MUG-001,sale,4,2025-03-01,SO-1,,
LAX1,MUG-001,inbound,6,2025-06-01,GRN-2,,
LAX1,MUG-001,transfer,5,2025-06-02,T-1,,ONT8
LAX1,MUG-001,customer_return,1,2025-07-01,SO-1,,
ONT8,LAMP-02,sale,2,2025-07-02,SO-2,,
LAX1,MUG-001,sale,lots,2025-07-03,SO-3,,
"""


def test_register_import_stock_and_book(registered: Path, tmp_path: Path) -> None:
    data = registered
    cbec(data, "partner", "add", "--code", WAREHOUSE_CO, "--name", "示范海外仓有限公司", "--role", "warehouse")
    w = cbec(data, "warehouse", "add", "--code", "LAX1", "--name", "洛杉矶一号仓", "--country", "502",
             "--operator", WAREHOUSE_CO, "--area-m2", "12000", "--address", "Ontario, CA")  # fmt: skip
    assert (w["code"], w["operator_code"], w["area_m2"]) == ("LAX1", WAREHOUSE_CO, 12000)
    refused = cbec(data, "warehouse", "add", "--code", "LAX1", "--name", "x", "--country", "502",
                   "--operator", WAREHOUSE_CO, ok=False)  # fmt: skip
    assert refused["error"] == "conflict"

    path = tmp_path / "moves.csv"
    path.write_bytes(MOVES)
    first = cbec(data, "warehouse", "import", str(path), "--seller", SELLER)
    assert (first["format"], first["rows"], first["movements"], first["error_count"]) == ("movements-csv", 7, 6, 1)
    assert (first["errors"][0]["line"], first["errors"][0]["field"]) == (8, "quantity")
    assert first["unregistered_warehouses"] == ["ONT8"]
    again = cbec(data, "warehouse", "import", str(path), "--seller", SELLER)
    assert (again["movements"], again["duplicates"]) == (0, 6)

    stock = cbec(data, "warehouse", "stock", "--seller", SELLER, "--as-of", "2025-07-31")
    by = {(p["warehouse"], p["sku"]): p for p in stock["positions"]}
    # LAX1: 10 (Jan) − 4 sold = 6 of Jan; +6 (Jun); 5 moved to ONT8 oldest first → 1 of Jan + 6 of Jun; +1 return
    assert by[("LAX1", "MUG-001")]["on_hand"] == 8
    assert by[("LAX1", "MUG-001")]["buckets"] == {"0-90": 7, "91-180": 0, "181-270": 1, "271-365": 0, "365+": 0}
    assert by[("ONT8", "MUG-001")]["buckets"]["181-270"] == 5  # moved, still dated January
    assert stock["on_hand"] == 13
    assert [(s["sku"], s["units"]) for s in stock["shortfalls"]] == [("LAMP-02", 2)]

    rec = cbec(data, "warehouse", "reconcile", "--seller", SELLER, "--as-of", "2025-07-31")
    assert (rec["lists"], rec["unexplained_units"]) == (0, 16)

    book = cbec(data, "warehouse", "book-in", "--ems-no", "T2933W000001", "--seller", SELLER,
                "--reference", "ENTRY-1", "--line", "CREAM-50=12", "--date", "2026-01-05")  # fmt: skip
    assert book["lines"] == [
        {"sku": "CREAM-50", "inbound": 12, "outbound": 0, "reserved": 0, "balance": 12, "available": 12}
    ]
    assert cbec(data, "warehouse", "book", "--ems-no", "T2933W000001", "--seller", SELLER)["lines"][0]["balance"] == 12
