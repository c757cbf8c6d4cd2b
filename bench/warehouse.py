"""Warehouse benchmark (issue 18, part 2): a seller's movement CSV of 1,000,000 movements by
default (2,000 SKUs in 8 warehouses over two years: receipts, sales, customer returns,
adjustments, removals, transfers), measured as four cases, each in its own process so that its
peak RSS is its own:

* ``floor``  — a bare Polars read of the file and a group-by of the signed quantities by
  warehouse and SKU (on hand with no lots, no ageing, no flags: the least work any stock does);
* ``lots``   — the same file parsed and applied to the pure lot rules, on hand and ageing as of
  the last day (no database);
* ``import`` — ``cbec warehouse import`` of the file: kept raw, parsed, keyed and inserted;
* ``stock``  — ``cbec warehouse stock`` as of the last day, from the database.

    uv run python bench/warehouse.py [--movements N]

Prints seconds, movements/s and peak RSS per case and the ratio to the floor, and checks that
the three ways agree on the units on hand. Not a test: nothing is asserted.
"""

from __future__ import annotations

import io
import random
import time
from datetime import date, timedelta
from pathlib import Path

import cases

SELLER = "91330782MA2DEMN016"
START = date(2024, 1, 1)
AS_OF = START + timedelta(days=730)
WAREHOUSES = ("LAX1", "ONT8", "PHL4", "BHX4", "FRA7", "NRT5", "SYD1", "YYZ9")
SIGN = {"inbound": 1, "sale": -1, "customer_return": 1, "removal": -1, "adjustment": 1, "transfer": -1}


def _settings(root: Path):  # type: ignore[no-untyped-def]
    from cbec.config import Settings

    return Settings(data_dir=root / "data")


def setup(root: Path, n: int) -> dict[str, float]:
    """The movement file, written in day order, and the seller registered."""
    from cbec.db import migrate
    from cbec.partners import service as partners
    from cbec.partners.schemas import EnterpriseCreate
    from cbec.unit_of_work import UnitOfWork

    t = time.perf_counter()
    rnd = random.Random(2026)
    out = io.StringIO()
    out.write("warehouse,sku,movement,quantity,date,reference,list_no,to_warehouse\n")
    kinds = ("inbound",) * 15 + ("sale",) * 70 + ("customer_return",) * 5 + ("adjustment",) * 5
    kinds += ("removal",) * 2 + ("transfer",) * 3
    for i in range(n):
        day = START + timedelta(days=i * 730 // n)
        kind = rnd.choice(kinds)
        n_sku = rnd.randint(1, 2000)  # each SKU is stocked in two warehouses
        wh, sku = WAREHOUSES[(n_sku + rnd.randint(0, 1)) % len(WAREHOUSES)], f"SKU-{n_sku:04d}"
        qty = rnd.randint(20, 200) if kind == "inbound" else rnd.randint(1, 4)
        if kind == "adjustment":
            qty = rnd.choice((-2, -1, 1, 2))
        to = rnd.choice([w for w in WAREHOUSES if w != wh]) if kind == "transfer" else ""
        out.write(f"{wh},{sku},{kind},{qty},{day.isoformat()},R{i},,{to}\n")
    (root / "movements.csv").write_text(out.getvalue(), encoding="utf-8")
    settings = _settings(root)
    migrate(settings.database_url)
    with UnitOfWork(settings) as uow:
        partners.register_enterprise(uow.session, EnterpriseCreate(code=SELLER, name=SELLER, roles=["ebc"]))
        uow.commit()
    return {"seconds": time.perf_counter() - t, "bytes": (root / "movements.csv").stat().st_size}


def case_floor(root: Path) -> dict[str, float]:
    import polars as pl

    t = time.perf_counter()
    df = pl.read_csv(root / "movements.csv", columns=["warehouse", "sku", "movement", "quantity", "to_warehouse"])
    sign = pl.col("movement").replace_strict(SIGN, return_dtype=pl.Int64)
    signed = df.with_columns((pl.col("quantity") * sign).alias("delta"))
    arriving = signed.filter(pl.col("to_warehouse").is_not_null()).select(
        pl.col("to_warehouse").alias("warehouse"), "sku", (-pl.col("delta")).alias("delta")
    )
    on_hand = (
        pl.concat([signed.select("warehouse", "sku", "delta"), arriving])
        .group_by("warehouse", "sku")
        .agg(pl.sum("delta"))
    )
    # the floor has no lots: a balance that went below zero stays there (the lots flag it instead)
    return {"seconds": time.perf_counter() - t, "rows": df.height, "on_hand": int(on_hand["delta"].sum())}


def case_lots(root: Path) -> dict[str, float]:
    from cbec.warehouse.parsers import MovementFormat, parse
    from cbec.warehouse.rules import stock_as_of

    t = time.perf_counter()
    parsed = parse((root / "movements.csv").read_bytes(), MovementFormat.CANONICAL, "movements.csv")
    report = stock_as_of(parsed.movements, AS_OF)
    return {
        "seconds": time.perf_counter() - t, "rows": len(parsed.movements),
        "on_hand": sum(p.on_hand for p in report.positions), "shortfalls": len(report.shortfalls),
    }  # fmt: skip


def case_import(root: Path) -> dict[str, float]:
    from cbec import pipeline

    t = time.perf_counter()
    out = pipeline.import_movements(
        _settings(root), (root / "movements.csv").read_bytes(), seller=SELLER, filename="movements.csv"
    )
    return {"seconds": time.perf_counter() - t, "rows": out["movements"], "errors": out["error_count"]}


def case_stock(root: Path) -> dict[str, float]:
    from cbec.unit_of_work import UnitOfWork
    from cbec.warehouse import service as warehouse

    t = time.perf_counter()
    with UnitOfWork(_settings(root)) as uow:
        s = warehouse.stock(uow.session, SELLER, AS_OF)
    return {
        "seconds": time.perf_counter() - t,
        "rows": s.movements,
        "on_hand": s.on_hand,
        "shortfalls": len(s.shortfalls),
    }


CASES = {"floor": case_floor, "lots": case_lots, "import": case_import, "stock": case_stock}


def main() -> None:
    results = cases.measure(
        __file__,
        "--movements",
        1_000_000,
        setup,
        CASES,
        lambda n, prepared: (
            f"warehouse benchmark — {n:,} movements, 2,000 SKUs in {len(WAREHOUSES)} warehouses over two "
            f"years, {prepared['bytes'] / 1e6:.0f} MB (setup {prepared['seconds']:.1f} s)"
        ),
    )
    if results is None:
        return
    cases.print_table(results, name_width=9, rows_width=12)
    lots, stock = results["lots"], results["stock"]
    print(
        f"on hand: lots {lots['on_hand']:,} = stock {stock['on_hand']:,} "
        f"({lots['shortfalls']:,} movements short, flagged); floor's signed sum {results['floor']['on_hand']:,}"
    )


if __name__ == "__main__":
    main()
