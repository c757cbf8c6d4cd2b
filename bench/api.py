"""Partner API benchmark: documents submitted over HTTP, next to the floor measured in the same
run: a bare FastAPI endpoint (bench/floor_app.py) that reads the body and does no work.

    uv run python bench/api.py [--requests N] [--concurrency C] [--batch B]

Each server is Uvicorn (one process) started on a free local port; the load generator is an
asyncio httpx2 client in this process keeping C requests in flight. Both share the machine's two
cores, so the figures are for one node carrying client and server. Printed: requests/s,
documents/s, p50/p99 latency, the server's peak RSS, and the ratio to the floor. The API runs
with rate limiting off (CBEC_API_RATE_PER_MINUTE=0) on the embedded default (SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
SELLER = "91330782MA2DEMN016"
PLATFORM = "91330782MA2DEMP02Y"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def order(i: int, run: str) -> dict[str, Any]:
    return {
        "type": "export_order",
        "head": {
            "orderType": "E", "orderNo": f"B{run}{i:08d}", "ebpCode": PLATFORM, "ebpName": "义乌示范跨境电商平台有限公司",
            "ebcCode": SELLER, "ebcName": "义乌示范礼品家居有限公司", "goodsValue": "25.00", "freight": "5",
            "currency": "502", "orderTime": "20261123101500", "destinationCountry": "502",
        },
        "lines": [{"gnum": 1, "itemNo": "MUG-001", "itemName": "陶瓷马克杯 ceramic mug", "qty": "2", "unit": "011",
                   "price": "12.50", "totalPrice": "25.00", "currency": "502"}],
    }  # fmt: skip


def prepare(data_dir: Path) -> str:
    """A database with the parties registered and an API key for the seller."""
    env = {**os.environ, "CBEC_DATA_DIR": str(data_dir)}
    code = (
        "from cbec.config import get_settings; from cbec.db import migrate; from cbec.unit_of_work import UnitOfWork\n"
        "from cbec.partners import service as p; from cbec.partners.schemas import EnterpriseCreate as E\n"
        "s = get_settings(); s.data_dir.mkdir(parents=True, exist_ok=True); migrate(s.database_url)\n"
        "with UnitOfWork(s) as u:\n"
        f"    p.ensure_enterprise(u.session, E(code='{PLATFORM}', name='义乌示范跨境电商平台有限公司', roles=['ebp']))\n"
        f"    p.ensure_enterprise(u.session, E(code='{SELLER}', name='义乌示范礼品家居有限公司', roles=['ebc']))\n"
        f"    k = p.issue_credential(u.session, '{SELLER}', label='bench'); u.commit(); print(k.api_key)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


class Server:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                *args,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            cwd=ROOT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url + "/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.1)

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def load(
    url: str, bodies: list[bytes], headers: dict[str, str], concurrency: int
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = 0
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal failures
            for body in queue:
                t = time.perf_counter()
                r = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - t)
                if r.status_code != 201:
                    failures += 1
                    if failures == 1:
                        print("  first failure:", r.status_code, r.text[:300])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, failures


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] * 1000 if len(values) > 1 else values[0] * 1000


def report(name: str, seconds: float, lat: list[float], failures: int, docs: int, rss: float) -> dict[str, float]:
    n = len(lat)
    row = {"rps": n / seconds, "docs": docs / seconds, "p50": pct(lat, 50), "p99": pct(lat, 99), "rss": rss}
    print(
        f"{name:<34} {n:>6} req in {seconds:6.2f} s  {row['rps']:8.1f} req/s  {row['docs']:8.1f} docs/s  "
        f"p50 {row['p50']:7.1f} ms  p99 {row['p99']:7.1f} ms  server peak RSS {rss:6.1f} MB  failures {failures}"
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--batch", type=int, default=100, help="documents per request in the batch run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        key = prepare(data_dir)
        env = {**os.environ, "CBEC_DATA_DIR": str(data_dir), "CBEC_API_RATE_PER_MINUTE": "0"}
        print(f"API benchmark: {args.requests} requests, {args.concurrency} in flight, SQLite, one Uvicorn process\n")

        floor = Server(["--app-dir", "bench", "floor_app:app"], env)
        bodies = [json.dumps([order(i, "F")]).encode() for i in range(args.requests)]
        secs, lat, fails = asyncio.run(
            load(floor.url + "/noop", bodies, {"Content-Type": "application/json"}, args.concurrency)
        )
        base = report("floor: bare FastAPI endpoint", secs, lat, fails, args.requests, floor.peak_rss_mb())
        floor.stop()

        api = Server(["--factory", "cbec.web.app:create_app"], env)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        bodies = [json.dumps([order(i, "S")]).encode() for i in range(args.requests)]
        secs, lat, fails = asyncio.run(load(api.url + "/api/v1/documents", bodies, headers, args.concurrency))
        one = report("cbec: 1 document per request", secs, lat, fails, args.requests, api.peak_rss_mb())
        n_batch = max(1, args.requests // 10)
        bodies = [
            json.dumps([order(i * args.batch + j, "M") for j in range(args.batch)]).encode() for i in range(n_batch)
        ]
        secs, lat, fails = asyncio.run(load(api.url + "/api/v1/documents", bodies, headers, min(args.concurrency, 4)))
        many = report(
            f"cbec: {args.batch} documents per request", secs, lat, fails, n_batch * args.batch, api.peak_rss_mb()
        )
        api.stop()

        print(
            f"\nratio to the floor (1 document per request): throughput {one['rps'] / base['rps']:.2f}x, "
            f"p50 {one['p50'] / base['p50']:.1f}x, p99 {one['p99'] / base['p99']:.1f}x; "
            f"batched: {many['docs']:.0f} documents/s"
        )


if __name__ == "__main__":
    main()
