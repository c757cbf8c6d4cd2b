"""End-to-end benchmark: N generated orders through the whole pipeline, stage by stage, on
SQLite and on PostgreSQL, next to the floor measured in the same run.

    uv run python bench/e2e.py [--orders N] [--db sqlite|postgresql|both] [--mix online-retail|national|both]
                               [--mode pipelined|sequential] [--keep DIR]
    uv run python bench/e2e.py --orders N --floor-only XML_MB    # the floor alone

Stages, batch by batch (a batch is the numbered set of generated files: orders, waybills,
payments): intake (every file through the same import path as the CLI and the API, with the
matching of the orders each file touches), declare (imports screened by the risk rules and
assessed by the tax rules, declarations built, signed, XSD-validated into the outbox), customs
(send through the folder transport, apply receipts; at the end, until every list is final; the
imports held for risk review are counted apart). The sandbox customs answers in its own process, as `cbec sandbox` runs
beside the platform. `--mode pipelined` (the default) runs intake, declare and the worker as
three processes at once, as a deployment does; `--mode sequential` runs them batch by batch in
one. Printed for each stage: its busy seconds and orders/s, and the CPU seconds of each of our
processes (steadier than wall time on a shared machine: the A/B figure); overall orders/s (wall time); peak
RSS of each process and their sum (the machine's worst case); every message checked against the
XSD when built (and again by the sandbox on receipt); the floor: the time to read the generated
files and write as many XML bytes as the run produced, doing no work. Each run is made for each
load mix (`cbec generate --mix`: the Online Retail wholesale invoices, ~26 goods lines an order,
and the national B2C parcels, 1–3 lines) and reported in orders, lists and goods lines a second. The goal (≥ 1,500
orders/s overall on this 2-core machine) is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from cbec import pipeline  # noqa: E402
from cbec.config import Settings  # noqa: E402
from cbec.customs.models import Declaration, OutboxMessage  # noqa: E402
from cbec.customs.rules import FINAL  # noqa: E402
from cbec.db import engine_for, migrate  # noqa: E402
from cbec.demo import with_sandbox_signing  # noqa: E402
from cbec.generate.basics import GenerateOptions, Mix  # noqa: E402
from cbec.generate.service import generate  # noqa: E402
from cbec.intake.documents import ParseContext  # noqa: E402
from cbec.matching.models import MatchResult  # noqa: E402
from cbec.partners import service as partners  # noqa: E402
from cbec.partners.schemas import EnterpriseCreate  # noqa: E402
from cbec.risk.models import RiskHit  # noqa: E402
from cbec.sandbox import SandboxCustoms  # noqa: E402
from cbec.unit_of_work import UnitOfWork  # noqa: E402

LIST_TYPES = ("CEB603", "CEB621")
#: share of the sandbox's receipt files it checks against the official XSD in this benchmark
#: (1.0, every one, by default and in the tests): the sandbox plays customs, which is elsewhere in
#: a real deployment, and its CPU is reported apart (key ``sandbox``); see docs/sandbox.md
E2E_CHECK_RECEIPTS = 0.1


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def register(settings: Settings, manifest: dict[str, Any]) -> None:
    with UnitOfWork(settings) as uow:
        for role, party in manifest["parties"].items():
            roles = {"platform": ["ebp"], "seller": ["ebc"], "logistics": ["logistics"], "payer": ["pay"]}.get(role)
            if roles and isinstance(party, dict) and "code" in party:
                partners.ensure_enterprise(
                    uow.session, EnterpriseCreate(code=party["code"], name=party["name"], roles=roles)
                )
        uow.commit()


def ctx_for(path: Path, manifest: dict[str, Any]) -> ParseContext:
    p = manifest["parties"]
    seller, platform = p["seller"], p["platform"]
    sender = seller["code"]
    if "waybill" in path.name:
        sender = p["logistics"]["code"]
    elif "payment" in path.name:
        sender = p["payer"]["code"]
    return ParseContext(seller["code"], seller["name"], platform["code"], platform["name"], sender_code=sender)


def batches(files: Path, manifest: dict[str, Any]) -> list[list[Path]]:
    """The files of each numbered batch together (orders, then waybills and payments)."""
    by_number: dict[str, list[Path]] = {}
    for entry in manifest["files"]:
        name = entry if isinstance(entry, str) else entry["name"]
        number = name.rsplit("-", 1)[-1].split(".")[0]
        by_number.setdefault(number, []).append(files / name)
    return [by_number[k] for k in sorted(by_number)]


def open_lists(settings: Settings) -> int:
    final = {s.value for s in FINAL}
    with UnitOfWork(settings) as uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(Declaration)
                .where(Declaration.message_type.in_(LIST_TYPES), Declaration.status.not_in(final))
            )
            or 0
        )


def customs_side(messages: Path, stop: Any, rss: Any = None, cpu: Any = None) -> None:
    """The customs side in its own process, as `cbec sandbox` runs beside the platform; its
    peak RSS (MB) and CPU seconds go into ``rss`` and ``cpu`` (shared values) as it runs."""
    with SandboxCustoms(
        messages, seed=1, inspection_rate=0.0, require_signatures=True, check_receipts=E2E_CHECK_RECEIPTS
    ) as sandbox:
        while not stop.is_set():
            report = sandbox.step()
            if rss is not None:
                rss.value = peak_rss_mb()
            if cpu is not None:
                cpu.value = time.process_time()
            if report.files_read == 0:
                time.sleep(0.2)


def prune_copies(messages: Path) -> int:
    """Delete the transport's and the sandbox's file copies of what is already done: the archive
    of sent messages and applied receipts, and the sandbox's processed folder. The platform's
    record of each message is its outbox row (and its receipts' events) in the database; the
    copies are written (and so measured) all the same, then removed so that a 1,000,000-order run
    fits on the disk (~85 GB otherwise)."""
    removed = 0
    for folder in (
        messages / "archive" / "sent",
        messages / "archive" / "received",
        messages / "sandbox" / "processed",
    ):
        for f in folder.rglob("*.xml"):
            f.unlink(missing_ok=True)
            removed += 1
    return removed


def pipeline_run(
    settings: Settings,
    files: Path,
    manifest: dict[str, Any],
    timings: dict[str, float],
    cpu: dict[str, float],
    prune: bool = False,
) -> dict[str, Any]:
    """Batch by batch: intake (with matching of the orders each file touches), declare, send and
    apply receipts, while the sandbox customs answers in another process."""
    totals: dict[str, Any] = {"documents": 0, "invalid": 0, "declared": {}, "refused": 0}
    for key in ("intake", "declare", "customs"):
        timings[key] = cpu[key] = 0.0
    stop, sandbox_rss, sandbox_cpu = mp.Event(), mp.Value("d", 0.0), mp.Value("d", 0.0)
    side = mp.Process(
        target=customs_side, args=(pipeline.messages_dir(settings), stop, sandbox_rss, sandbox_cpu), daemon=True
    )
    side.start()
    started = time.perf_counter()
    try:
        for group in batches(files, manifest):
            t, c = time.perf_counter(), time.process_time()
            for path in group:
                out = pipeline.import_bytes(
                    settings, path.read_bytes(), ctx_for(path, manifest), filename=path.name, channel="api"
                )
                totals["documents"] += out["documents"]
                totals["invalid"] += out["invalid"]
            timings["intake"] += time.perf_counter() - t
            cpu["intake"] += time.process_time() - c
            t, c = time.perf_counter(), time.process_time()
            declared = pipeline.declare(settings)
            for k, v in declared["declared"].items():
                totals["declared"][k] = totals["declared"].get(k, 0) + v
            totals["refused"] += declared["refused"]
            timings["declare"] += time.perf_counter() - t
            cpu["declare"] += time.process_time() - c
            t, c = time.perf_counter(), time.process_time()
            pipeline.work_once(settings)
            timings["customs"] += time.perf_counter() - t
            cpu["customs"] += time.process_time() - c
            if prune:
                prune_copies(pipeline.messages_dir(settings))
            print(
                f"    batch {group[0].name.rsplit('-', 1)[-1].split('.')[0]}: {totals['documents']:,} documents, "
                f"{sum(totals['declared'].values()):,} declarations, peak RSS {peak_rss_mb():.0f} MB, {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        t, c = time.perf_counter(), time.process_time()
        deadline = time.monotonic() + 600
        while open_lists(settings) and time.monotonic() < deadline:
            pipeline.work_once(settings)
            time.sleep(0.2)
        timings["customs"] += time.perf_counter() - t
        cpu["customs"] += time.process_time() - c
    finally:
        stop.set()
        side.join(timeout=30)
    cpu["sandbox"] = sandbox_cpu.value
    totals["rss"] = {"platform": peak_rss_mb(), "sandbox": sandbox_rss.value}
    return totals


def _declared_total(out: dict[str, Any]) -> int:
    return sum(out["declared"].values())


def _own_connections(settings: Settings) -> None:
    """A forked process must not use the connections it inherited (SQLAlchemy: dispose the
    pool without closing the parent's connections)."""
    engine_for(settings.database_url).dispose(close=False)


def intake_side(settings: Settings, files: Path, manifest: dict[str, Any], done: Any, results: Any) -> None:
    """Partners' files arriving, batch after batch, through the same import path as the API."""
    _own_connections(settings)
    busy, documents, invalid = 0.0, 0, 0
    started = time.perf_counter()
    for group in batches(files, manifest):
        t = time.perf_counter()
        for path in group:
            out = pipeline.import_bytes(
                settings, path.read_bytes(), ctx_for(path, manifest), filename=path.name, channel="api"
            )
            documents += out["documents"]
            invalid += out["invalid"]
        busy += time.perf_counter() - t
        print(
            f"    batch {group[0].name.rsplit('-', 1)[-1].split('.')[0]} in: {documents:,} documents, "
            f"intake peak RSS {peak_rss_mb():.0f} MB, {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    results.put(
        (
            "intake",
            {
                "seconds": busy,
                "documents": documents,
                "invalid": invalid,
                "rss": peak_rss_mb(),
                "cpu": time.process_time(),
            },
        )
    )
    done.set()


def declare_side(settings: Settings, intake_done: Any, done: Any, results: Any) -> None:
    """A worker declaring whatever is newly matched while intake goes on, then one sweep of
    every matched order (what a cursor may have passed). An order is refused once: the sweep
    counts the ones refused before as held (imports over the tax limits) or refuses them again
    (the rest), so refusals are counted by order."""
    _own_connections(settings)
    busy, declared, cursor, refused = 0.0, Counter[str](), 0, set[str]()
    while not intake_done.is_set():
        t = time.perf_counter()
        out, cursor = pipeline.declare_after(settings, cursor)
        busy += time.perf_counter() - t
        declared.update(out["declared"])
        refused.update(out["refused_orders"])
        if not _declared_total(out):
            time.sleep(0.1)
    t = time.perf_counter()
    out = pipeline.declare(settings)  # intake is done: everything it stored is visible
    busy += time.perf_counter() - t
    declared.update(out["declared"])
    refused.update(out["refused_orders"])
    results.put(
        (
            "declare",
            {
                "seconds": busy,
                "declared": dict(declared),
                "refused": len(refused),
                "rss": peak_rss_mb(),
                "cpu": time.process_time(),
            },
        )
    )
    done.set()


def pipelined_run(
    settings: Settings,
    files: Path,
    manifest: dict[str, Any],
    timings: dict[str, float],
    cpu: dict[str, float],
    prune: bool = False,
) -> dict[str, Any]:
    """Intake, declare and the worker (send, receipts) as three processes working at once, as a
    deployment runs them (API, declaring worker, sending worker), with the sandbox customs in a
    fourth; SQLite's single writer is shared through short transactions (declare commits every
    chunk of orders). Stage times are each process's busy time; overall is the wall time."""
    ctx = mp.get_context("fork")
    stop, intake_done, declare_done = ctx.Event(), ctx.Event(), ctx.Event()
    results, sandbox_rss, sandbox_cpu = ctx.Queue(), ctx.Value("d", 0.0), ctx.Value("d", 0.0)
    side = ctx.Process(
        target=customs_side, args=(pipeline.messages_dir(settings), stop, sandbox_rss, sandbox_cpu), daemon=True
    )
    side.start()
    workers = [
        ctx.Process(target=intake_side, args=(settings, files, manifest, intake_done, results), daemon=True),
        ctx.Process(target=declare_side, args=(settings, intake_done, declare_done, results), daemon=True),
    ]
    for w in workers:
        w.start()
    busy, rounds, c = 0.0, 0, time.process_time()
    try:
        while True:
            finished = declare_done.is_set()
            t = time.perf_counter()
            out = pipeline.work_once(settings)
            busy += time.perf_counter() - t
            rounds += 1
            if prune and rounds % 20 == 0:
                prune_copies(pipeline.messages_dir(settings))
            idle = not out["sent"] and not out["receipts"]["files"]
            if finished and idle and not open_lists(settings):
                break
            if idle:
                time.sleep(0.2)
            if any(w.exitcode not in (None, 0) for w in workers):
                raise SystemExit("a pipeline process failed (see above)")
        got = dict(results.get(timeout=60) for _ in workers)
    finally:
        stop.set()
        side.join(timeout=30)
        for w in workers:
            w.join(timeout=30)
    timings["intake"] = got["intake"]["seconds"]
    timings["declare"] = got["declare"]["seconds"]
    timings["customs"] = busy
    cpu.update(
        intake=got["intake"]["cpu"],
        declare=got["declare"]["cpu"],
        customs=time.process_time() - c,
        sandbox=sandbox_cpu.value,
    )
    return {
        "documents": got["intake"]["documents"],
        "invalid": got["intake"]["invalid"],
        "declared": got["declare"]["declared"],
        "refused": got["declare"]["refused"],
        "rss": {
            "intake": got["intake"]["rss"],
            "declare": got["declare"]["rss"],
            "worker": peak_rss_mb(),
            "sandbox": sandbox_rss.value,
        },
    }


def floor(files: Path, xml_bytes: int, out: Path) -> float:
    """Read every generated file and write ``xml_bytes`` of XML in 100 kB files, doing no work
    (a hundred file names written over in turn, so the floor does not need the run's disk twice)."""
    t = time.perf_counter()
    for f in sorted(files.glob("*.json")):
        f.read_bytes()
    out.mkdir(parents=True, exist_ok=True)
    chunk = b"<a>" + b"x" * (100_000 - 7) + b"</a>"
    written, i = 0, 0
    while written < xml_bytes:
        (out / f"{i % 100}.xml").write_bytes(chunk)
        written += len(chunk)
        i += 1
    return time.perf_counter() - t


def one_run(
    db: str,
    n: int,
    files: Path,
    manifest: dict[str, Any],
    work: Path,
    cluster: Any,
    prune: bool = False,
    mode: str = "pipelined",
) -> dict[str, Any]:
    data_dir = work / f"data-{db}"
    url = cluster.create_database() if db == "postgresql" else ""
    settings = with_sandbox_signing(Settings(data_dir=data_dir, database_url=url))
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    register(settings, manifest)
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    print(f"\n{db}: {n:,} orders, {manifest['mix']['name']} mix, {mode}", flush=True)
    t = time.perf_counter()
    run = pipelined_run if mode == "pipelined" else pipeline_run
    totals = run(settings, files, manifest, timings, cpu, prune)
    wall = time.perf_counter() - t
    for k, v in timings.items():
        print(f"  {k:<10} {v:8.2f} s  {n / v:9.1f} orders/s", flush=True)
    # CPU seconds of our processes (user + system; PostgreSQL's own server processes not
    # counted): steadier than wall time on a shared machine, so A/B comparisons read these
    cpu_total = sum(cpu.values())
    print(
        "  cpu        "
        + " · ".join(f"{k} {v:.1f} s" for k, v in cpu.items())
        + f" · {cpu_total:.1f} s, {cpu_total / n * 1000:.2f} ms an order",
        flush=True,
    )
    with UnitOfWork(settings) as uow:
        matched = dict(
            uow.session.execute(
                select(MatchResult.state, func.count())
                .where(MatchResult.is_current.is_(True))
                .group_by(MatchResult.state)
            ).all()
        )
    with UnitOfWork(settings) as uow:
        by_status = dict(
            uow.session.execute(
                select(Declaration.status, func.count())
                .where(Declaration.message_type.in_(LIST_TYPES))
                .group_by(Declaration.status)
            ).all()
        )
        xml_bytes = uow.session.scalar(select(func.sum(func.length(OutboxMessage.payload)))) or 0
        messages = uow.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        # import orders the risk rules hold for a person (docs/risk.md): not declared, final for the run
        held_for_review = (
            uow.session.scalar(select(func.count(func.distinct(RiskHit.order_doc_id))).where(RiskHit.status == "open"))
            or 0
        )
    total = wall
    floor_s = floor(files, int(xml_bytes), work / f"floor-{db}")
    lists = sum(by_status.values())
    goods_lines = manifest["export"]["goods_lines"] + manifest["import"]["goods_lines"]
    row = {
        "db": db,
        "mix": manifest["mix"]["name"],
        "orders": n,
        "lists": lists,
        "goods_lines": goods_lines,
        "lists_per_s": round(lists / total, 1),
        "goods_lines_per_s": round(goods_lines / total, 1),
        "documents": totals["documents"],
        "invalid": totals["invalid"],
        "match_states": matched,
        "declared": totals["declared"],
        "refused": totals["refused"],
        "lists_by_status": by_status,
        "held_for_review": held_for_review,
        "messages": messages,
        "xml_mb": round(xml_bytes / 1e6, 1),
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "orders_per_s": {k: round(n / v, 1) for k, v in timings.items()},
        "overall_orders_per_s": round(n / total, 1),
        "cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
        "cpu_ms_per_order": round(cpu_total / n * 1000, 3),
        "floor_seconds": round(floor_s, 2),
        "ratio_to_floor": round(total / floor_s, 1),
        "mode": mode,
        "xsd_check_share": Settings().xsd_check_share,  # CBEC_STRICT_XSD=1: every declaration validated
        "peak_rss_mb": round(max(totals["rss"].values()), 1),
        "peak_rss_sum_mb": round(sum(totals["rss"].values()), 1),
        "peak_rss_by_process_mb": {k: round(v, 1) for k, v in totals["rss"].items()},
    }
    print(
        f"  overall {row['overall_orders_per_s']:,} orders/s · {row['lists_per_s']:,} lists/s · "
        f"{row['goods_lines_per_s']:,} goods lines/s ({total:.1f} s) · floor {floor_s:.2f} s "
        f"(×{row['ratio_to_floor']}) · lists {by_status} · {held_for_review} import orders held for risk review · {messages} messages ({row['xml_mb']} MB, each XSD-checked "
        f"when built) · peak RSS {row['peak_rss_mb']} MB a process, {row['peak_rss_sum_mb']} MB summed "
        f"{row['peak_rss_by_process_mb']}",
        flush=True,
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument(
        "--batch-size",
        type=int,
        default=2000,
        help="documents per generated file (one batch); memory follows this, not --orders",
    )
    ap.add_argument(
        "--mix",
        choices=[m.value for m in Mix] + ["both"],
        default="both",
        help="the load's shape (cbec generate --mix); both: each mix in turn",
    )
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one)")
    ap.add_argument(
        "--mode",
        choices=["pipelined", "sequential"],
        default="pipelined",
        help="pipelined: intake, declare and the worker as processes at once; sequential: batch by batch in one",
    )
    ap.add_argument(
        "--prune-copies",
        action="store_true",
        help="after each batch delete the transport's and sandbox's file copies (disk, for 1,000,000 orders)",
    )
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument(
        "--floor-only",
        type=float,
        metavar="XML_MB",
        help="generate the load and measure only its floor, writing XML_MB of XML (the bytes a run of "
        "the same --orders produced): for a long run whose stages were measured but not its floor",
    )
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cbec-e2e-"))
    mixes = list(Mix) if args.mix == "both" else [Mix(args.mix)]
    loads = []
    for mix in mixes:
        files = work / f"files-{mix.value}"
        t = time.perf_counter()
        options = GenerateOptions(orders=args.orders, seed=1, mix=mix)
        manifest = generate(options, files, batch_size=args.batch_size, overwrite=True)
        print(
            f"generated {args.orders:,} orders ({mix.value}) in {time.perf_counter() - t:.1f} s into {files}",
            flush=True,
        )
        loads.append((mix, files, manifest))
    if args.floor_only is not None:
        xml_bytes = int(args.floor_only * 1e6)
        for mix, files, _ in loads:
            floor_s = floor(files, xml_bytes, work / f"floor-{mix.value}")
            print(
                f"floor {floor_s:.2f} s: read {args.orders:,} orders' files ({mix.value}), wrote {xml_bytes / 1e6:,.1f} MB of XML"
            )
        return
    rows = []
    cluster = None
    if args.db in ("postgresql", "both"):
        from tests.pgcluster import PostgresCluster, pg_bindir

        bindir = pg_bindir()
        if bindir is None:
            raise SystemExit("PostgreSQL is not installed (scripts/setup --test installs it)")
        cluster = PostgresCluster(bindir)
        cluster.start()
    try:
        for mix, files, manifest in loads:
            for db in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
                run_dir = work / mix.value
                run_dir.mkdir(exist_ok=True)
                rows.append(one_run(db, args.orders, files, manifest, run_dir, cluster, args.prune_copies, args.mode))
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(json.dumps(rows, indent=1))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
