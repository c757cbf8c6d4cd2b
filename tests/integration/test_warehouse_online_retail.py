"""Issue 18 (part 2) acceptance: an FBA Inventory Ledger built from real sales (the Online Retail
lines of thirty SKUs: four fulfillment centres, receipts, shipments, customer returns,
adjustments both ways, removals and transfers, over about two years) gives, once imported,
on-hand and ageing figures equal to an independent computation written here: unit by unit,
from the file's own rows, without the lot rules. The same events as a canonical movement CSV
give the same check; each file sent again adds nothing."""

from __future__ import annotations

import csv
import io
from collections import deque
from datetime import date

import polars as pl
import pytest

from cbec import pipeline
from cbec.generate.ledger import Event, Sale, canonical_csv, fba_ledger, ledger_events
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.unit_of_work import UnitOfWork
from cbec.warehouse import service as warehouse
from tests.conftest import ONLINE_RETAIL

pytestmark = pytest.mark.integration

SELLER = EnterpriseCreate(code="91330782MA2DEMN016", name="义乌示范礼品家居有限公司", roles=["ebc"])
AS_OF = (date(2024, 7, 1), date(2025, 3, 15), date(2026, 6, 30))


@pytest.fixture(scope="module")
def events() -> list[Event]:
    """Thirty SKUs of middling sales (ranked 60th–89th by lines), units 1–24 a line."""
    df = (
        pl.read_parquet(ONLINE_RETAIL)
        .with_columns(pl.col("InvoiceNo").cast(pl.Utf8), pl.col("StockCode").cast(pl.Utf8))
        .filter(pl.col("Quantity").is_between(1, 24), pl.col("InvoiceNo").str.contains(r"^\d+$"))
    )
    ranked = df.group_by("StockCode").len().sort(["len", "StockCode"], descending=[True, False])
    skus = ranked.get_column("StockCode").slice(60, 30).to_list()
    rows = df.filter(pl.col("StockCode").is_in(skus)).sort("InvoiceDate", maintain_order=True)
    sales = [
        Sale(str(sku), int(q), when.date(), str(inv), str(title or ""))
        for sku, q, when, inv, title in rows.select(
            "StockCode", "Quantity", "InvoiceDate", "InvoiceNo", "Description"
        ).iter_rows()
    ]
    return ledger_events(sales, seed=18)


def _bucket(age: int) -> int:
    return 0 if age <= 90 else 1 if age <= 180 else 2 if age <= 270 else 3 if age <= 365 else 4


def _by_unit(rows: list[tuple[date, str, str, int, str]], as_of: date) -> dict[tuple[str, str], list[int]]:
    """(warehouse, sku) → units per bucket, one date per unit: out of a shelf the oldest units
    first (none when the shelf is empty); a transfer's units keep their dates."""
    shelves: dict[tuple[str, str], deque[date]] = {}
    flying: dict[str, deque[date]] = {}
    for day, wh, sku, qty, to in sorted(rows, key=lambda r: r[0]):
        if day > as_of:
            break
        shelf = shelves.setdefault((wh, sku), deque())
        if qty > 0:
            pool = flying.get(sku, deque()) if to == "<arrive>" else deque()
            for _ in range(qty):
                shelf.append(pool.popleft() if pool else day)
            continue
        gone = [shelf.popleft() for _ in range(min(-qty, len(shelf)))]
        if to == "<leave>":
            flying.setdefault(sku, deque()).extend(gone)
        elif to:
            shelves.setdefault((to, sku), deque()).extend(gone)
    out = {}
    for key, shelf in shelves.items():
        if shelf:
            counts = [0] * 5
            for d in shelf:
                counts[_bucket((as_of - d).days)] += 1
            out[key] = counts
    return out


def _ledger_rows(data: bytes) -> list[tuple[date, str, str, int, str]]:
    out = []
    for r in csv.DictReader(io.StringIO(data.decode()), delimiter="\t"):
        m, d, y = (int(x) for x in r["Date"].split("/"))
        qty = int(r["Quantity"])
        to = ("<arrive>" if qty > 0 else "<leave>") if r["Event Type"] == "WhseTransfers" else ""
        out.append((date(y, m, d), r["Fulfillment Center"], r["MSKU"], qty, to))
    return out


def _canonical_rows(data: bytes) -> list[tuple[date, str, str, int, str]]:
    out = []
    for r in csv.DictReader(io.StringIO(data.decode())):
        qty = int(r["quantity"])
        if r["movement"] in ("sale", "removal", "transfer"):
            qty = -qty
        out.append((date.fromisoformat(r["date"]), r["warehouse"], r["sku"], qty, r["to_warehouse"]))
    return out


def _check(settings, data: bytes, rows: list[tuple[date, str, str, int, str]], name: str) -> None:
    first = pipeline.import_movements(settings, data, seller=SELLER.code, filename=name)
    assert first["error_count"] == 0 and first["movements"] == first["rows"] == len(rows)
    again = pipeline.import_movements(settings, data, seller=SELLER.code, filename=name)
    assert (again["movements"], again["duplicates"]) == (0, len(rows))
    for as_of in AS_OF:
        expected = _by_unit(rows, as_of)
        with UnitOfWork(settings) as uow:
            got = warehouse.stock(uow.session, SELLER.code, as_of)
        assert {(p.warehouse, p.sku): list(p.buckets.values()) for p in got.positions} == expected, as_of
        assert got.on_hand == sum(sum(v) for v in expected.values())
        assert list(got.buckets.values()) == [sum(v[i] for v in expected.values()) for i in range(5)]
        assert sum(w.on_hand for w in got.warehouses) == got.on_hand


def _seller(settings) -> None:
    with UnitOfWork(settings) as uow:
        partners.ensure_enterprise(uow.session, SELLER)
        uow.commit()


def test_fba_ledger_on_hand_and_ageing_equal_an_independent_count(settings, events) -> None:
    data = fba_ledger(events)
    rows = _ledger_rows(data)
    centres = {r[1] for r in rows}
    kinds = {e.event for e in events}
    assert len(centres) == 4 and kinds == {
        "Receipts", "Shipments", "CustomerReturns", "Adjustments", "VendorReturns", "WhseTransfers"
    }  # fmt: skip
    assert (max(r[0] for r in rows) - min(r[0] for r in rows)).days > 700
    _seller(settings)
    _check(settings, data, rows, "ledger.tsv")
    with UnitOfWork(settings) as uow:
        final = warehouse.stock(uow.session, SELLER.code, AS_OF[-1])
    assert final.shortfalls  # the generator oversells now and then: flagged, never negative
    assert all(p.on_hand > 0 for p in final.positions)


def test_canonical_csv_on_hand_and_ageing_equal_an_independent_count(settings, events) -> None:
    data = canonical_csv(events)
    _seller(settings)
    _check(settings, data, _canonical_rows(data), "movements.csv")
