"""Sandbox customs benchmark: the sandbox alone, over the message files the platform wrote for N
generated orders, next to the sandbox before issue 22 item 6 and the floor, measured in the same run.

    uv run python bench/sandbox.py [--orders N] [--mix national|online-retail] [--repeat 3]
                                   [--baseline REV|none] [--check-receipts SHARE] [--profile]
                                   [--keep DIR [--reuse]]

The load (``cbec.generate``, seed 1) goes once through the platform (intake, declare, the
worker's send) with no customs answering, so that ``out/`` holds every declaration the
platform sends for it (orders, payments, waybills, lists; signed, as bench/e2e.py sends them).
Those files are copied aside; then, for each configuration, a fresh copy goes to a fresh folder
and ``SandboxCustoms(...).run_until_idle()`` answers them (every walk to its end), each run in a
process of its own: CPU seconds (``time.process_time``), wall seconds, messages/s, entities/s
and receipts/s (on CPU), CPU a list, peak RSS of that process. Configurations: the baseline (the
sandbox's code at ``--baseline``, by default this branch's starting commit, taken with
``git archive``), this code with every receipt XSD-checked (the default), this code as
bench/e2e.py runs it (``check_receipts`` = ``--check-receipts``); ``--repeat`` interleaved runs
each, the least CPU kept. The floor: the same files parsed with ``lxml.etree.fromstring`` only.
It also says whether every configuration wrote byte-identical receipts. ``--profile`` prints a
cProfile (timed with ``time.process_time``) of this code's default configuration.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
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
from cbec.config import Settings, get_settings  # noqa: E402
from cbec.db import migrate  # noqa: E402
from cbec.demo import with_sandbox_signing  # noqa: E402
from cbec.generate.basics import GenerateOptions, Mix  # noqa: E402
from cbec.generate.service import generate  # noqa: E402
from cbec.sandbox import SandboxCustoms  # noqa: E402

CLOCK = datetime(2026, 11, 23, 12, 0)
#: the sandbox before issue 22 item 6 (the last commit of main this branch started from)
BASELINE = "2afafe0"


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


def run_sandbox(aside: Path, root: Path, check_receipts: float, profile: bool) -> dict[str, Any]:
    """The sandbox over a fresh copy of the files, in this process (``--worker``)."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(aside, root / "out")
    (root / "in").mkdir()
    options: dict[str, Any] = {"check_receipts": check_receipts} if check_receipts != 1.0 else {}
    profiler = cProfile.Profile(time.process_time) if profile else None
    t, c = time.perf_counter(), time.process_time()
    with SandboxCustoms(
        root, seed=1, inspection_rate=0.0, require_signatures=True, clock=lambda: CLOCK, **options
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
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue(), file=sys.stderr)
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "rss_mb": peak_rss_mb(),
        "files_read": report.files_read,
        "receipt_files": report.receipt_files,
        "receipts": sum(sum(v.values()) for v in report.receipts.values()),
        "ceb900": report.ceb900,
        "steps": report.steps,
        "in_sha256": digest_of(root / "in"),
    }


def digest_of(folder: Path) -> str:
    """One digest of every receipt file (names and bytes): equal runs write equal receipts."""
    h = hashlib.sha256()
    for f in sorted(folder.glob("*.xml")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def in_process(aside: Path, root: Path, share: float, profile: bool, src: Path | None) -> dict[str, Any]:
    """One measurement in a process of its own (its peak RSS its own), on this code or on the
    code in ``src`` (the baseline's checkout)."""
    env = dict(os.environ)
    schema_dir = get_settings().ceb_schema_dir
    if schema_dir is not None:
        env["CBEC_CEB_SCHEMA_DIR"] = str(schema_dir)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    command = [sys.executable, __file__, "--worker", str(aside), str(root), str(share)]
    if profile:
        command.append("--profile")
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    if profile:
        print(out.stderr)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def baseline_src(rev: str, work: Path) -> Path | None:
    """The sandbox's code at ``rev`` (git archive of src/), for the baseline in the same run;
    None when there is no such revision here (a shallow clone, an archive): no baseline then."""
    if rev == "none":
        return None
    target = work / f"baseline-{rev}"
    if not target.exists():
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=False, capture_output=True)
        if archive.returncode != 0:
            print(f"no baseline: git cannot give revision {rev} here", flush=True)
            return None
        target.mkdir(parents=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "src"


def declared_entities(files: list[Path]) -> tuple[int, int]:
    """Entities declared in the files (orders, payments, waybills, lists …), and lists among them."""
    plumbing = {"BaseTransfer", "BaseSubscribe", "Signature", "ExtendMessage"}
    total = lists = 0
    for f in files:
        root = etree.fromstring(f.read_bytes())
        n = sum(1 for child in root.iterchildren("*") if etree.QName(child).localname not in plumbing)
        total += n
        if etree.QName(root).localname in ("CEB603Message", "CEB621Message"):
            lists += n
    return total, lists


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--mix", choices=[m.value for m in Mix], default=Mix.NATIONAL.value)
    ap.add_argument("--check-receipts", type=float, default=E2E_CHECK_RECEIPTS, help="the e2e configuration's share")
    ap.add_argument(
        "--baseline",
        default=BASELINE,
        help="git revision whose sandbox is the baseline (same files); none: no baseline",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs of each configuration, interleaved; the least CPU kept")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of this code's default configuration")
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    ap.add_argument("--reuse", action="store_true", help="with --keep: reuse the message files of an earlier run")
    ap.add_argument("--worker", nargs=3, metavar=("ASIDE", "ROOT", "SHARE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        aside, root, share = args.worker
        print(json.dumps(run_sandbox(Path(aside), Path(root), float(share), args.profile)))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="cbec-sandbox-"))
    t = time.perf_counter()
    aside = work / "messages-out"
    if not (args.reuse and aside.exists()):
        aside = produce(args.orders, Mix(args.mix), work)
    files = sorted(aside.glob("*.xml"))
    size = sum(f.stat().st_size for f in files)
    entities, lists = declared_entities(files)
    print(
        f"{args.orders:,} orders ({args.mix}): the platform's {len(files):,} message files, {entities:,} entities, "
        f"{lists:,} lists "
        f"({size / 1e6:.1f} MB), ready in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    base = baseline_src(args.baseline, work)
    configs: list[tuple[str, float, Path | None]] = [("now, check_receipts 1.0 (default)", 1.0, None)]
    if base is not None:
        configs.insert(0, (f"baseline {args.baseline[:10]} (before)", 1.0, base))
    if args.check_receipts != 1.0:
        configs.append((f"now, check_receipts {args.check_receipts} (e2e)", args.check_receipts, None))
    rows: dict[str, dict[str, Any]] = {}
    floors: list[float] = []
    for i in range(args.repeat):
        floors.append(floor(files))
        for name, share, src in configs:
            row = in_process(aside, work / "run", share, args.profile and i == 0 and src is None and share == 1.0, src)
            if name not in rows or row["cpu_s"] < rows[name]["cpu_s"]:
                rows[name] = row
    floor_s = min(floors)
    before = rows[configs[0][0]]
    print(
        f"\n{'configuration':<40} {'CPU s':>7} {'wall s':>7} {'msgs/s':>7} {'entities/s':>10} "
        f"{'receipts/s':>10} {'ms/list':>7} {'RSS MB':>7} {'× floor':>8} {'÷ before':>8}"
    )
    print(
        f"{'floor (lxml fromstring only)':<40} {floor_s:7.2f} {'':>7} {len(files) / floor_s:7.0f} {entities / floor_s:10.0f}"
    )
    for name, row in rows.items():
        cpu = row["cpu_s"]
        print(
            f"{name:<40} {cpu:7.2f} {row['wall_s']:7.2f} {len(files) / cpu:7.0f} {entities / cpu:10.0f} "
            f"{row['receipts'] / cpu:10.0f} {cpu / lists * 1000:7.2f} {row['rss_mb']:7.0f} {cpu / floor_s:8.1f} {before['cpu_s'] / cpu:8.2f}"
        )
    same = len({row["in_sha256"] for name, row in rows.items() if "1.0" in name or "before" in name}) == 1
    print(
        f"\n{len(files):,} files · {entities:,} entities · {before['receipts']:,} receipt entities in "
        f"{before['receipt_files']:,} files · receipts byte-identical to the baseline's: {'yes' if same else 'NO'} · "
        f"least CPU of {args.repeat} interleaved runs"
    )
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        json.dumps(
            {"floor_cpu_s": round(floor_s, 3), "files": len(files), "entities": entities, "lists": lists, "rows": rows},
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
