"""Sandbox customs benchmark: the sandbox alone, over the message files the platform wrote for N
generated orders, next to the floor measured in the same run (the same files parsed with
``lxml.etree.fromstring`` and nothing else).

    uv run python bench/sandbox.py [--orders N] [--mix national|online-retail] [--profile]
                                   [--check-receipts SHARE] [--keep DIR]

The load (``cbec.generate``, seed 1) goes once through the platform (intake, declare, the
worker's send) with no customs answering, so that ``out/`` holds every declaration the
platform sends for it (orders, payments, waybills, lists; signed, as bench/e2e.py sends them).
Those files are copied aside; then, for each configuration, a fresh copy goes to a fresh folder
and ``SandboxCustoms(...).run_until_idle()`` answers them (the lists' walks to 899). Printed for
each: CPU seconds (``time.process_time``), wall seconds, messages/s and entities/s (CPU),
receipts written, and peak RSS of the process. ``--profile`` prints the top of a cProfile of the
sandbox run timed with ``time.process_time``.

Configurations measured in the same run: the floor; the default sandbox (``check_receipts``
1.0: every receipt checked against its XSD); the bench/e2e.py configuration
(``check_receipts`` = ``--check-receipts``, by default the share e2e uses).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.e2e import E2E_CHECK_RECEIPTS, batches, ctx_for, register  # noqa: E402
from lxml import etree  # noqa: E402

from cbec import pipeline  # noqa: E402
from cbec.config import Settings  # noqa: E402
from cbec.db import migrate  # noqa: E402
from cbec.demo import with_sandbox_signing  # noqa: E402
from cbec.generate.basics import GenerateOptions, Mix  # noqa: E402
from cbec.generate.service import generate  # noqa: E402
from cbec.sandbox import SandboxCustoms  # noqa: E402

CLOCK = datetime(2026, 11, 23, 12, 0)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def produce(n: int, mix: Mix, work: Path) -> Path:
    """The platform's out/ files for n generated orders (no customs answering), copied aside."""
    files = work / "files"
    manifest = generate(GenerateOptions(orders=n, seed=1, mix=mix), files, batch_size=2000, overwrite=True)
    settings = with_sandbox_signing(Settings(data_dir=work / "data", database_url=""))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    register(settings, manifest)
    for group in batches(files, manifest):
        for path in group:
            pipeline.import_bytes(
                settings, path.read_bytes(), ctx_for(path, manifest), filename=path.name, channel="api"
            )
        pipeline.declare(settings)
        pipeline.work_once(settings)
    aside = work / "messages-out"
    shutil.copytree(pipeline.messages_dir(settings) / "out", aside)
    return aside


def floor(files: list[Path]) -> float:
    c = time.process_time()
    for f in files:
        etree.fromstring(f.read_bytes())
    return time.process_time() - c


def run_sandbox(aside: Path, work: Path, check_receipts: float, profile: bool) -> dict[str, Any]:
    root = work
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(aside, root / "out")
    (root / "in").mkdir()
    profiler = cProfile.Profile(time.process_time) if profile else None
    t, c = time.perf_counter(), time.process_time()
    with SandboxCustoms(
        root, seed=1, inspection_rate=0.0, require_signatures=True, clock=lambda: CLOCK, check_receipts=check_receipts
    ) as sandbox:
        if profiler is not None:
            profiler.enable()
        report = sandbox.run_until_idle()
        if profiler is not None:
            profiler.disable()
    cpu, wall = time.process_time() - c, time.perf_counter() - t
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "files_read": report.files_read,
        "receipt_files": report.receipt_files,
        "receipts": sum(sum(v.values()) for v in report.receipts.values()),
        "ceb900": report.ceb900,
        "steps": report.steps,
        "by_status": {k: dict(v) for k, v in report.receipts.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--mix", choices=[m.value for m in Mix], default=Mix.NATIONAL.value)
    ap.add_argument("--check-receipts", type=float, default=E2E_CHECK_RECEIPTS)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the default configuration")
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    ap.add_argument("--reuse", action="store_true", help="with --keep: reuse the message files of an earlier run")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cbec-sandbox-"))
    t = time.perf_counter()
    aside = work / "messages-out"
    if not (args.reuse and aside.exists()):
        aside = produce(args.orders, Mix(args.mix), work)
    files = sorted(aside.glob("*.xml"))
    size = sum(f.stat().st_size for f in files)
    print(
        f"{args.orders:,} orders ({args.mix}): the platform's {len(files):,} message files "
        f"({size / 1e6:.1f} MB), ready in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    floor_s = floor(files)
    rows: dict[str, dict[str, Any]] = {}
    configs = [("default (check_receipts 1.0)", 1.0, args.profile)]
    if args.check_receipts != 1.0:
        configs.append((f"e2e (check_receipts {args.check_receipts})", args.check_receipts, False))
    for name, share, profile in configs:
        rows[name] = run_sandbox(aside, work / f"run-{share}", share, profile)
    entities = next(iter(rows.values()))["receipts"]
    print(f"\n{'configuration':<30} {'CPU s':>7} {'wall s':>7} {'files/s':>8} {'receipts/s':>10} {'× floor':>8}")
    print(f"{'floor (lxml fromstring only)':<30} {floor_s:7.2f} {'':>7} {len(files) / floor_s:8.0f} {'':>10} {1:8.1f}")
    for name, row in rows.items():
        print(
            f"{name:<30} {row['cpu_s']:7.2f} {row['wall_s']:7.2f} {len(files) / row['cpu_s']:8.0f} "
            f"{row['receipts'] / row['cpu_s']:10.0f} {row['cpu_s'] / floor_s:8.1f}"
        )
    print(
        f"\n{len(files):,} files · {entities:,} receipt entities (the first configuration's) · "
        f"peak RSS {peak_rss_mb():.0f} MB (the whole run, platform pass included)"
    )
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(json.dumps({"floor_cpu_s": round(floor_s, 3), "files": len(files), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
