"""The partitioned bus (docs/decisions/0006, 0015), measured on this machine:

    uv run python bench/bus.py [--orders N] [--workers 1,2,4] [--messages M] [--mix online-retail|national]

1. the three-server JetStream cluster alone: messages/s published (acknowledged by a quorum)
   and consumed with explicit acks, on an R3 stream and, as a baseline, an R1 stream;
2. the generated load (``cbec generate``) through ``cbec node`` worker processes against one
   PostgreSQL (intake with matching, risk, tax, build, sign, XSD, outbox, send to the folder),
   with 1, 2 and 4 workers, beside a baseline in the same run: the same load through the
   embedded path in one process (no bus) on PostgreSQL. For each: wall seconds, orders/s,
   lists/s and the CPU seconds of the workers, the nats-servers and PostgreSQL, so the share
   each takes of the two cores shows. The customs simulator does not run (customs is elsewhere
   in a deployment); receipts are therefore not part of these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nats  # noqa: E402
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig  # noqa: E402
from sqlalchemy import text  # noqa: E402
from tests.natscluster import CBEC, outcome  # noqa: E402
from tests.pgcluster import PostgresCluster, pg_bindir  # noqa: E402

from cbec import pipeline  # noqa: E402
from cbec.bus.cluster import NatsCluster, nats_server_binary  # noqa: E402
from cbec.bus.publish import generated  # noqa: E402
from cbec.config import Settings  # noqa: E402
from cbec.customs.keys import sandbox_key  # noqa: E402
from cbec.db import engine_for, migrate  # noqa: E402
from cbec.generate.basics import GenerateOptions, Mix  # noqa: E402
from cbec.generate.service import generate  # noqa: E402

IDLE = 4.0


def cpu_of(pid: int) -> float:
    """CPU seconds of a process and of its children it waited for (PostgreSQL's backends)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def row_writes(url: str) -> int:
    """Rows inserted, updated and deleted in the run's database (PostgreSQL's statistics)."""
    time.sleep(1.5)  # the statistics of the last transactions reach shared memory within a second
    engine = engine_for(url)
    with engine.connect() as c:
        n = c.scalar(text("select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) from pg_stat_user_tables"))
    engine.dispose()
    return int(n or 0)


def postmaster_pid(pg: PostgresCluster) -> int:
    return int((pg.data / "postmaster.pid").read_text().split()[0])


async def raw(cluster: NatsCluster, messages: int, replicas: int) -> tuple[float, float]:
    nc = await nats.connect(cluster.url.split(","))
    js = nc.jetstream(timeout=30)
    name = f"RAW{replicas}"
    await js.add_stream(StreamConfig(name=name, subjects=[f"raw{replicas}.>"], num_replicas=replicas))
    body = b"x" * 1024
    t = time.perf_counter()
    for start in range(0, messages, 500):
        acks = [js.publish(f"raw{replicas}.p{i % 8:02d}", body) for i in range(start, min(messages, start + 500))]
        await asyncio.gather(*acks)
    pub = messages / (time.perf_counter() - t)
    sub = await js.pull_subscribe(f"raw{replicas}.>", durable="c", config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT))
    t, got = time.perf_counter(), 0
    while got < messages:
        for m in await sub.fetch(200, timeout=10):
            await m.ack()
            got += 1
    con = messages / (time.perf_counter() - t)
    await nc.close()
    return pub, con


def embedded(pg: PostgresCluster, load: Path, data: Path) -> dict[str, Any]:
    url = pg.create_database()
    key, cert = sandbox_key(data / "keys", "bench")
    settings = Settings(data_dir=data, database_url=url, signing_key=key, signing_cert=cert)
    migrate(url)
    pg_cpu, c, t = cpu_of(postmaster_pid(pg)), time.process_time(), time.perf_counter()
    for sub in generated(settings, load):
        pipeline.import_bytes(settings, sub.data, sub.ctx, fmt=sub.fmt, filename=sub.filename)
    pipeline.declare(settings)
    pipeline.work_once(settings)
    wall = time.perf_counter() - t
    workers_cpu = time.process_time() - c
    engine_for(settings.database_url).dispose()  # a backend's CPU reaches its postmaster when it exits
    time.sleep(0.5)
    return {"wall": wall, "workers_cpu": workers_cpu, "pg_cpu": cpu_of(postmaster_pid(pg)) - pg_cpu,
            "nats_cpu": 0.0, "writes": row_writes(url), **outcome(url)}  # fmt: skip


def on_bus(pg: PostgresCluster, binary: str, load: Path, data: Path, workers: int) -> dict[str, Any]:
    url = pg.create_database()
    migrate(url)
    cluster = NatsCluster(binary)
    cluster.start()
    key, cert = sandbox_key(data / "keys", "bench")
    env = {**os.environ, "CBEC_DATABASE_URL": url, "CBEC_DATA_DIR": str(data),
           "CBEC_SIGNING_KEY": str(key), "CBEC_SIGNING_CERT": str(cert)}  # fmt: skip
    bus = ["--bus", cluster.url, "--partitions", "8"]
    try:
        subprocess.run([*CBEC, "bus", "submit", str(load), *bus, "--json"], env=env, check=True, capture_output=True)
        nats_cpu = sum(cpu_of(s.process.pid) for s in cluster.servers if s.process)
        pg_cpu = cpu_of(postmaster_pid(pg))
        node = [*CBEC, "node", *bus, "--idle-exit", str(IDLE), "--json"]
        procs = [subprocess.Popen(node, env=env, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
        reports = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        # from the first message any node took to the last (the processes' start-up apart)
        wall = max(r["last_work"] for r in reports) - min(r["first_work"] for r in reports if r["first_work"])
        nats_cpu = sum(cpu_of(s.process.pid) for s in cluster.servers if s.process) - nats_cpu
        return {"wall": wall, "workers_cpu": sum(r["cpu_seconds"] for r in reports), "nats_cpu": nats_cpu,
                "pg_cpu": cpu_of(postmaster_pid(pg)) - pg_cpu, "writes": row_writes(url), **outcome(url)}  # fmt: skip
    finally:
        cluster.stop()


def show(label: str, orders: int, r: dict[str, Any], base: float | None) -> float:
    rate = float(orders / r["wall"])
    cpu = r["workers_cpu"] + r["nats_cpu"] + r["pg_cpu"]
    print(
        f"{label:>22}: {r['wall']:7.1f} s  {rate:6.1f} orders/s  {r['lists'] / r['wall']:6.1f} lists/s"
        f"  cpu: workers {r['workers_cpu']:.1f} s · nats {r['nats_cpu']:.1f} s · postgres {r['pg_cpu']:.1f} s"
        f" = {cpu / orders * 1000:.2f} ms an order; {r['writes'] / max(r['lists'], 1):.1f} row writes a list"
        + (f"  ×{rate / base:.2f}" if base else ""),
        flush=True,
    )
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--mix", choices=[m.value for m in Mix], default=Mix.ONLINE_RETAIL.value,
                    help="the load's shape (cbec generate --mix)")  # fmt: skip
    ap.add_argument("--no-raw", action="store_true", help="skip the JetStream-alone figures")
    args = ap.parse_args()
    binary, bindir = nats_server_binary(), pg_bindir()
    if binary is None or bindir is None:
        sys.exit("needs nats-server and PostgreSQL: scripts/setup --test")
    root = Path(tempfile.mkdtemp(prefix="cbec-bench-bus-"))
    cluster = NatsCluster(binary)
    cluster.start()
    for replicas in () if args.no_raw else (1, 3):
        pub, con = asyncio.run(raw(cluster, args.messages, replicas))
        print(f"JetStream R{replicas}, 1 kB messages: published {pub:8.0f}/s, consumed+acked {con:8.0f}/s", flush=True)
    cluster.stop()
    load = root / "load"
    generate(GenerateOptions(orders=args.orders, seed=1, mix=Mix(args.mix)), load, batch_size=500, overwrite=True)
    print(f"{args.orders:,} generated orders, {args.mix} mix; machine: {os.cpu_count()} cores", flush=True)
    pg = PostgresCluster(bindir)
    pg.start()
    try:
        base = show("embedded, 1 process", args.orders, embedded(pg, load, root / "embedded"), None)
        for w in (int(x) for x in args.workers.split(",")):
            show(f"bus, {w} worker(s)", args.orders, on_bus(pg, binary, load, root / f"bus{w}", w), base)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
