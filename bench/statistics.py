"""Statistics benchmark (issue 20): a year of a zone's customs lists (1,000,000 by default: 90 %
export under 9610/9710/9810, 10 % import under 1210/9610; 2,000 sellers, 20 platforms, 60
countries, four currencies, one to three goods lines in 40 HS headings; 5 % rejected and 3 %
cancelled), then the indicators, each case in its own process (its own peak RSS):

* ``refresh``: each list counted once into ``stat_list``/``stat_line`` (Beijing day and month,
  parcels, CNY value at the month's rate, lines by HS chapter and heading);
* ``indicators``: the year cut by every breakdown of the monthly report and by month (each with
  its total, growth, active/new sellers and CR10): GROUP BYs in the database;
* ``report``: the monthly zone report of the last month as XLSX;
* ``dashboard``: the old dashboard's queries over the same year (its daily trend reads every
  list's time and status into Python);
* ``floor``: the same group-bys in Polars over an export of the counted lists (export timed
  apart), the least work any engine does; its totals are checked against the database's.

    uv run python bench/statistics.py [--lists N]

The lists are inserted straight into the ``declaration`` table in bulk (declaring a million
lists through customs is bench/e2e.py's subject, not this one's): the rows carry what a declared
list carries (its head's packNo and country, its lines' gcode and totalPrice) and nothing more.
Prints seconds, rows/s and peak RSS per case and the ratio to the floor. Not a test.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import cases

START = datetime(2025, 12, 1, tzinfo=UTC) - timedelta(hours=8)  # Beijing 2025-12-01 00:00
MODES = ("9610",) * 6 + ("9710", "9810")
CURRENCIES = ("502",) * 6 + ("303", "300", "142")  # USD, GBP, EUR, CNY
HEADINGS = [f"{h:04d}" for h in (3926, 4202, 6109, 6110, 6204, 6402, 6403, 6912, 7013, 7323, 8414, 8471, 8504, 8509,
                                 8516, 8517, 8518, 8525, 8528, 8539, 9004, 9102, 9403, 9404, 9405, 9503, 9506, 9507,
                                 9603, 9613, 3304, 3305, 3401, 4819, 6302, 6505, 7117, 8211, 8301, 9401)]  # fmt: skip


def _settings(root: Path):  # type: ignore[no-untyped-def]
    from cbec.config import Settings

    return Settings(data_dir=root / "data")


def _rows(lo: int, hi: int, n: int, countries: list[str]):  # type: ignore[no-untyped-def]
    rnd = random.Random(lo)
    for i in range(lo, hi):
        export = rnd.random() < 0.9
        lines = [
            {"gnum": k + 1, "gcode": rnd.choice(HEADINGS) + "009000", "totalPrice": str(Decimal(rnd.randint(500, 40000)) / 100)}
            for k in range(rnd.choice((1, 1, 1, 2, 2, 3)))
        ]  # fmt: skip
        roll = rnd.random()
        country = rnd.choice(countries)
        yield {
            "message_type": "CEB603" if export else "CEB621", "direction": "export" if export else "import",
            "trade_mode": rnd.choice(MODES) if export else rnd.choice(("1210", "9610")), "cop_no": f"B{i:029d}",
            "guid": f"{i:036d}", "seller_code": f"9133{rnd.randint(1, 2000):014d}",
            "ebp_code": f"9144{rnd.randint(1, 20):014d}", "order_no": f"SO{i:012d}", "invt_no": f"2933{i:014d}",
            "country": country if export else "", "currency": rnd.choice(CURRENCIES) if export else "142",
            "total_value": sum((Decimal(ln["totalPrice"]) for ln in lines), Decimal(0)),
            "status": "rejected" if roll < 0.05 else "cancelled" if roll < 0.08 else "closed",
            "entity": {"head": {"packNo": rnd.choice((1, 1, 1, 2)), "ieFlag": "E" if export else "I",
                                "country": country}, "lines": lines},
            "created_at": START + timedelta(seconds=int(365 * 86400 * i / n)),
        }  # fmt: skip


def setup(root: Path, n: int) -> dict[str, float]:
    """A year of lists in the ``declaration`` table, inserted in bulk (module notes)."""
    from sqlalchemy import insert

    from cbec.customs.models import Declaration
    from cbec.db import migrate
    from cbec.kit.codes import code_lists
    from cbec.unit_of_work import UnitOfWork

    settings = _settings(root)
    migrate(settings.database_url)
    countries = sorted(code_lists().countries)[:60]
    t = time.perf_counter()
    with UnitOfWork(settings) as uow:
        for lo in range(0, n, 10_000):
            uow.session.execute(insert(Declaration), list(_rows(lo, min(n, lo + 10_000), n, countries)))
        uow.commit()
    return {"seconds": time.perf_counter() - t, "rows": n}


def case_refresh(root: Path) -> dict[str, float]:
    from cbec.statistics import service as stats
    from cbec.unit_of_work import UnitOfWork

    t = time.perf_counter()
    with UnitOfWork(_settings(root)) as uow:
        done = stats.refresh(uow.session)
        uow.commit()
    return {"seconds": time.perf_counter() - t, "rows": done.lists, "lines": done.lines}


def case_indicators(root: Path) -> dict[str, float]:
    from cbec.statistics import rules
    from cbec.statistics import service as stats
    from cbec.unit_of_work import UnitOfWork

    t = time.perf_counter()
    with UnitOfWork(_settings(root)) as uow:
        year = rules.parse_period(None)
        summary = stats.indicators(uow.session, None, year, ("month",))
        cuts = {",".join(by): stats.cut(uow.session, None, year, by, total=summary.total.value_cny)
                for by in rules.REPORT_BREAKDOWNS}  # fmt: skip
    cuts["month"] = summary.rows
    total = summary.total
    return {
        "seconds": time.perf_counter() - t, "rows": total.lists, "value_cny": str(total.value_cny),
        "by_country": {c.key["country"]: str(c.value_cny) for c in cuts["country"]},
        "by_chapter": {c.key["chapter"]: str(c.value_cny) for c in cuts["chapter"]},
        "cr10": str(summary.top10_seller_share), "active": summary.enterprises.active,
    }  # fmt: skip


def case_report(root: Path) -> dict[str, float]:
    from cbec.statistics import rules, workbook
    from cbec.statistics import service as stats
    from cbec.unit_of_work import UnitOfWork

    t = time.perf_counter()
    with UnitOfWork(_settings(root)) as uow:
        zone = stats.zone_report(uow.session, None, rules.parse_period("2026-11"))
    data = workbook.xlsx(zone)
    return {"seconds": time.perf_counter() - t, "rows": zone.summary.total.lists, "bytes": len(data)}


def case_dashboard(root: Path) -> dict[str, float]:
    from cbec.statistics import service as stats
    from cbec.unit_of_work import UnitOfWork

    t = time.perf_counter()
    with UnitOfWork(_settings(root)) as uow:
        figures = stats.dashboard(uow.session, None, date(2025, 12, 1), date(2026, 11, 30), today=date(2026, 11, 30))
    return {"seconds": time.perf_counter() - t, "rows": figures.lists}


def case_floor(root: Path) -> dict[str, float]:
    """Polars over an export of the counted lists and lines (the export timed apart)."""
    import polars as pl

    db = root / "data" / "cbec.db"
    t0 = time.perf_counter()
    con = sqlite3.connect(db)
    cols = ["id", "mode", "direction", "country", "seller", "platform", "status", "day", "month", "parcels", "value"]
    lists = pl.DataFrame(
        con.execute(
            "SELECT d.id, d.trade_mode, d.direction, s.country, d.seller_code, d.ebp_code, d.status, s.day, s.month, "
            "s.parcels, s.value_cny FROM stat_list s JOIN declaration d ON d.id = s.declaration_id"
        ).fetchall(),
        schema=cols,
        orient="row",
    )
    lines = pl.DataFrame(
        con.execute("SELECT declaration_id, chapter, heading, value_cny FROM stat_line").fetchall(),
        schema=["id", "chapter", "heading", "value"],
        orient="row",
    )
    exported = time.perf_counter() - t0
    t = time.perf_counter()
    counted = lists.filter(pl.col("status").is_in(["released", "closed", "return_requested"]))
    agg = [pl.len().alias("lists"), pl.col("parcels").sum(), pl.col("value").sum()]
    out = {}
    for by in (["mode", "direction"], ["day"], ["country"], ["seller"], ["platform"], ["month"]):
        out[",".join(by)] = counted.group_by(by).agg(agg)
    counted_lines = lines.join(counted.select("id"), on="id")
    for by in ("chapter", "heading"):
        out[by] = counted_lines.group_by(by).agg(pl.col("value").sum())
    seconds = time.perf_counter() - t
    by_country = {k: str(Decimal(v) / 100000) for k, v in out["country"].select("country", "value").iter_rows()}
    return {
        "seconds": seconds, "export_seconds": exported, "rows": counted.height,
        "value_cny": str(Decimal(int(counted["value"].sum())) / 100000), "by_country": by_country,
    }  # fmt: skip


CASES = {
    "floor": case_floor,
    "indicators": case_indicators,
    "report": case_report,
    "dashboard": case_dashboard,
}


def _same(a: dict[str, str], b: dict[str, str]) -> bool:
    return {k: Decimal(v) for k, v in a.items()} == {k: Decimal(v) for k, v in b.items()}


def main() -> None:
    results = cases.measure(
        __file__,
        "--lists",
        1_000_000,
        setup,
        {"refresh": case_refresh, **CASES},  # the indicators read what refresh counted
        lambda lists, prepared: (
            f"statistics benchmark — {lists:,} lists over a year (bulk insert {prepared['seconds']:.1f} s)"
        ),
    )
    if results is None:
        return
    cases.print_table(results, name_width=12, rows_width=11)
    ind, fl = results["indicators"], results["floor"]
    print(f"floor export from SQLite into Polars: {fl['export_seconds']:.1f} s (not in its seconds)")
    print(f"refresh: {results['refresh']['lines']:,} lines; counted lists {ind['rows']:,}, value CNY {ind['value_cny']}, "
          f"active sellers {ind['active']}, CR10 {ind['cr10']}")  # fmt: skip
    agree = ind["value_cny"] == fl["value_cny"] and _same(ind["by_country"], fl["by_country"])
    print(f"database and Polars agree on the total and by country: {agree}")
    print(
        f"HS chapters add up to the total: {sum(Decimal(v) for v in ind['by_chapter'].values()) == Decimal(ind['value_cny'])}"
    )


if __name__ == "__main__":
    main()
