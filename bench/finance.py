"""Finance benchmark (issue 17): a year of a seller's declared exports (100,000 orders by default,
one to three lines each, released over 365 days), their Amazon settlements (every 14 days, with
refunds, FBA fees, promotions and account-level charges) and the receipts of the payouts:
importing the settlement files and reconciling the year, each in its own process so that peak
RSS is its own, next to the floor measured in the same run: a bare Polars read of the same files
summing the amounts by order (the least work any reconciliation does).

    uv run python bench/finance.py [--orders N]

The declared lists are written straight into the database (declaring them is bench/e2e.py's
subject, not this one's). Prints seconds, rows/s and peak RSS per case and the ratio to the
floor. Not a test: nothing is asserted.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import cases

SELLER, PLATFORM = "91330782MA2DEMN016", "91330782MA2DEMP02Y"
START = date(2025, 1, 1)


def _settings(root: Path):  # type: ignore[no-untyped-def]
    from cbec.config import Settings

    return Settings(data_dir=root / "data")


def setup(root: Path, orders: int) -> dict[str, float]:
    """The year's declared lists in the database, and its settlement and receipt files on disk."""
    from sqlalchemy import insert

    from cbec.customs.models import Declaration, DeclarationEvent
    from cbec.db import migrate
    from cbec.generate.settlements import SoldLine, SoldOrder, amazon_settlements
    from cbec.partners import service as partners
    from cbec.partners.schemas import EnterpriseCreate
    from cbec.unit_of_work import UnitOfWork

    settings = _settings(root)
    migrate(settings.database_url)
    rnd = random.Random(2026)
    sold = []
    for i in range(orders):
        lines = tuple(
            SoldLine(f"SKU-{rnd.randint(1, 400):03d}", rnd.randint(1, 3), Decimal(rnd.randint(299, 4999)) / 100)
            for _ in range(rnd.choice((1, 1, 1, 2, 2, 3)))
        )
        sold.append(
            SoldOrder(f"114-{i:07d}-{i * 7 % 10**7:07d}", START + timedelta(days=i * 365 // orders), "USD", lines)
        )
    t = time.perf_counter()
    with UnitOfWork(settings) as uow:
        for code, role in ((SELLER, "ebc"), (PLATFORM, "ebp")):
            partners.register_enterprise(uow.session, EnterpriseCreate(code=code, name=code, roles=[role]))
        rows = [
            {"message_type": "CEB603", "direction": "export", "trade_mode": "9610", "cop_no": f"E{i:029d}",
             "guid": f"{i:036d}", "seller_code": SELLER, "ebp_code": PLATFORM, "order_no": o.order_no,
             "invt_no": f"2933{o.shipped.year}E{i:09d}", "status": "closed", "currency": "502",
             "total_value": sum((ln.price * ln.qty for ln in o.lines), Decimal(0)), "entity": {}}
            for i, o in enumerate(sold)
        ]  # fmt: skip
        for start in range(0, len(rows), 5000):
            uow.session.execute(insert(Declaration), rows[start : start + 5000])
        ids = list(range(1, len(rows) + 1))
        events = [
            {"declaration_id": i, "before": "declaring", "after": "released", "source": "bench",
             "at": datetime.combine(o.shipped, datetime.min.time(), UTC)}
            for i, o in zip(ids, sold, strict=True)
        ]  # fmt: skip
        for start in range(0, len(events), 5000):
            uow.session.execute(insert(DeclarationEvent), events[start : start + 5000])
        uow.commit()
    money = amazon_settlements(sold)
    folder = root / "files"
    folder.mkdir()
    for k, data in enumerate(money.amazon):
        (folder / f"settlement-{k:03d}.txt").write_bytes(data)
    (folder / "receipts.csv").write_bytes(money.receipts)
    return {"seconds": time.perf_counter() - t, "rows": len(rows), "settlements": len(money.amazon)}


def case_floor(root: Path) -> dict[str, float]:
    import polars as pl

    t = time.perf_counter()
    frames = [
        pl.read_csv(p, separator="\t", infer_schema=False, columns=["order-id", "amount"])
        for p in sorted((root / "files").glob("settlement-*.txt"))
    ]
    whole = pl.concat(frames).with_columns(pl.col("amount").cast(pl.Decimal(18, 2)))
    by_order = whole.group_by("order-id").agg(pl.col("amount").sum())
    return {"seconds": time.perf_counter() - t, "rows": whole.height, "orders": by_order.height}


def case_import(root: Path) -> dict[str, float]:
    from cbec import pipeline

    settings = _settings(root)
    t = time.perf_counter()
    rows = 0
    for path in sorted((root / "files").glob("settlement-*.txt")):
        out = pipeline.import_money(settings, path.read_bytes(), seller=SELLER, platform=PLATFORM, filename=path.name)
        rows += out["settlement_lines"]
    got = pipeline.import_money(settings, (root / "files" / "receipts.csv").read_bytes(), seller=SELLER)
    return {"seconds": time.perf_counter() - t, "rows": rows + got["receipts"]}


def case_reconcile(root: Path) -> dict[str, float]:
    from cbec import pipeline

    settings = _settings(root)
    t = time.perf_counter()
    out = pipeline.reconcile(settings, SELLER, as_of=date(2026, 3, 1))
    return {
        "seconds": time.perf_counter() - t,
        "rows": out["orders"],
        "settled": out["orders_settled"],
        "unmatched": out["unmatched_count"],
        "status": out["by_status"],
    }


CASES = {"floor": case_floor, "import": case_import, "reconcile": case_reconcile}


def main() -> None:
    results = cases.measure(
        __file__,
        "--orders",
        100_000,
        setup,
        CASES,
        lambda orders, prepared: (
            f"finance benchmark — {orders:,} declared orders over a year, {prepared['settlements']} settlements "
            f"(setup {prepared['seconds']:.1f} s)"
        ),
    )
    if results is None:
        return
    cases.print_table(results, name_width=11, rows_width=11)
    rec = results["reconcile"]
    print(f"reconciled: {rec['settled']:,} orders settled, {rec['unmatched']} unmatched, by status {rec['status']}")


if __name__ == "__main__":
    main()
