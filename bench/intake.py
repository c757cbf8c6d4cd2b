"""Intake benchmark: the full Online Retail file through `cbec import` (parse, validate, store)
on a fresh SQLite database, next to the floor measured in the same run: a bare Polars read of
the same file. Each case runs in its own process so peak RSS is its own.

    uv run python bench/intake.py [--path FILE] [--repeat N]

Prints lines/s, seconds and peak RSS per case and the ratio to the floor. Not a test: the goal
(within 5x of the floor, under 500 MB) is reported, never asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import cases

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "online-retail.parquet"


def case_floor(path: Path) -> dict[str, float]:
    import polars as pl

    t = time.perf_counter()
    df = pl.read_parquet(path)
    secs = time.perf_counter() - t
    return {"rows": df.height, "seconds": secs}


def case_floor_rows(path: Path) -> dict[str, float]:
    """The floor plus turning every cell into a Python object (what any row-wise reader pays)."""
    import polars as pl

    t = time.perf_counter()
    df = pl.read_parquet(path)
    n = sum(1 for _ in zip(*(df.get_column(c).to_list() for c in df.columns), strict=True))
    return {"rows": n, "seconds": time.perf_counter() - t}


def case_parse(path: Path) -> dict[str, float]:
    from cbec.intake.documents import ParseContext
    from cbec.intake.parsers.online_retail import parse

    data = path.read_bytes()
    t = time.perf_counter()
    r = parse(data, ParseContext("91330782MA2DEMN016", "seller", "91330782MA2DEMP02Y", "platform"))
    documents = sum(1 for _ in r.documents)  # a streaming parser works as its documents are read
    return {"rows": r.stats["rows"], "seconds": time.perf_counter() - t, "documents": documents}


def case_intake(path: Path) -> dict[str, float]:
    from cbec import pipeline
    from cbec.config import Settings
    from cbec.db import migrate
    from cbec.partners import service as partners
    from cbec.partners.schemas import EnterpriseCreate
    from cbec.unit_of_work import UnitOfWork

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        migrate(settings.database_url)
        with UnitOfWork(settings) as uow:
            partners.register_enterprise(
                uow.session, EnterpriseCreate(code="91330782MA2DEMN016", name="seller", roles=["ebc"])
            )
            partners.register_enterprise(
                uow.session, EnterpriseCreate(code="91330782MA2DEMP02Y", name="platform", roles=["ebp"])
            )
            uow.commit()
        ctx = pipeline.context_for(settings, "91330782MA2DEMN016", "91330782MA2DEMP02Y")
        t = time.perf_counter()
        out = pipeline.import_path(settings, path, ctx, fmt="online-retail", rematch=False)
        secs = time.perf_counter() - t
        return {"rows": out["parser"]["rows"], "seconds": secs, "documents": out["documents"]}


CASES = {"floor": case_floor, "floor_rows": case_floor_rows, "parse": case_parse, "intake": case_intake}


def run_case(name: str, path: Path) -> dict[str, Any]:
    """A case in a process of its own (see bench/cases.py)."""
    return cases.run_case(__file__, name, "--path", str(path), stderr_tail=0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", type=Path, default=DEFAULT)
    ap.add_argument("--case")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if args.case:
        cases.report(CASES[args.case](args.path))
        return
    if not args.path.exists():
        print(f"skipped: {args.path} not found")
        return
    results = {}
    for name in CASES:
        best = min((run_case(name, args.path) for _ in range(args.repeat)), key=lambda r: r["seconds"])
        results[name] = best
    floor = results["floor"]["seconds"]
    print(f"intake benchmark — {args.path.name}, {results['floor']['rows']:,} lines")
    print(f"{'case':<12}{'seconds':>10}{'lines/s':>14}{'peak RSS MB':>14}{'x floor':>10}")
    for name, r in results.items():
        print(
            f"{name:<12}{r['seconds']:>10.3f}{r['rows'] / r['seconds']:>14,.0f}{r['peak_rss_mb']:>14.0f}{r['seconds'] / floor:>10.1f}"
        )
    goal = results["intake"]
    print(
        f"goal: within 5x of the floor and under 500 MB — reached {goal['seconds'] / floor:.1f}x, "
        f"{goal['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
