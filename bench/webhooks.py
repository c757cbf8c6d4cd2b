"""Webhooks out (issue 20, item 4): deliveries per second to a local receiver, and the latency from
the commit of the change that queued an event to its receipt, next to a baseline measured in the
same run: the same bodies posted with httpx2 straight to the same receiver (no database, no
signing, no retries), with the same number of threads.

    uv run python bench/webhooks.py [--events N] [--rate R] [--concurrency C] [--database-url URL]

Three figures:
  baseline   N raw posts, C threads, one connection pool: posts/s, p50/p99 of one post
  backlog    N events committed at once, then the dispatcher drains them: deliveries/s (one
             ordering key per event, so C go at once), p50/p99 from the commit to the receipt
  steady     events committed in small transactions at R a second while the dispatcher runs
             (the worker loop's pass every 20 ms): p50/p99 from each commit to its receipt
The receiver is a threaded HTTP server on 127.0.0.1 that checks every signature. Client, server
and database share the machine's cores: the figures are for one node carrying all three.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2 as httpx

SELLER = "91330782MA2DEMN016"


class Sink:
    """Records when each order's first delivery arrived; counts bad signatures and duplicates."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrived: dict[str, float] = {}
        self.bad = 0
        self.duplicates = 0
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                now = time.time()
                sink.take(body, self.headers.get("X-Cbec-Signature", ""), now)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def take(self, body: bytes, header: str, now: float) -> None:
        if self.secret:
            parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
            mac = hmac.new(self.secret.encode(), parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(mac, parts.get("v1", "")):
                with self.lock:
                    self.bad += 1
                return
        key = json.loads(body)["data"]["order_no"]
        with self.lock:
            if key in self.arrived:
                self.duplicates += 1
            else:
                self.arrived[key] = now

    def reset(self) -> None:
        with self.lock:
            self.arrived.clear()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def baseline(sink: Sink, n: int, concurrency: int) -> tuple[float, list[float]]:
    body = json.dumps({"id": "x" * 36, "type": "declaration.released", "data": {"order_no": "", "seller": SELLER}})
    latencies: list[float] = []
    with httpx.Client(timeout=10, trust_env=False, limits=httpx.Limits(max_connections=concurrency * 2)) as client:

        def post(i: int) -> None:
            started = time.perf_counter()
            client.post(sink.url, content=body.replace('"order_no": ""', f'"order_no": "RAW{i}"').encode())
            latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(post, range(n)))
        return n / (time.perf_counter() - started), latencies


def _event(i: int, tag: str) -> Any:
    from cbec.sharing.schemas import Released

    return Released(
        seller=SELLER, order_no=f"{tag}{i:08d}", declaration_id=i, message_type="CEB603", invt_no=f"{i:018d}",
        released_at="20261205120000",
    )  # fmt: skip


def backlog(settings: Any, sink: Sink, n: int) -> tuple[float, list[float]]:
    from cbec.sharing import service as sharing
    from cbec.sharing.dispatcher import Dispatcher
    from cbec.unit_of_work import UnitOfWork

    with UnitOfWork(settings) as uow:
        sharing.publish_many(uow.session, [_event(i, "BL") for i in range(n)])
        uow.commit()
    committed = time.time()
    started = time.perf_counter()
    with Dispatcher(settings) as d:
        while len(sink.arrived) < n:
            if not d.dispatch_once().attempted:
                time.sleep(0.01)
    took = time.perf_counter() - started
    return n / took, [t - committed for t in sink.arrived.values()]


def steady(settings: Any, sink: Sink, n: int, rate: float) -> list[float]:
    from cbec.sharing import service as sharing
    from cbec.sharing.dispatcher import run_forever
    from cbec.unit_of_work import UnitOfWork

    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(settings,), kwargs={"interval": 0.02, "stop": stop})
    worker.start()
    committed: dict[str, float] = {}
    batch = 5
    try:
        for start in range(0, n, batch):
            with UnitOfWork(settings) as uow:
                events = [_event(i, "ST") for i in range(start, min(start + batch, n))]
                sharing.publish_many(uow.session, events)
                uow.commit()
            now = time.time()
            committed.update((e.order_no, now) for e in events)
            time.sleep(batch / rate)
        deadline = time.monotonic() + 120
        while len(sink.arrived) < n and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=30)
    return [sink.arrived[k] - committed[k] for k in committed if k in sink.arrived]


def _ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="events a second in the steady run")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from cbec.config import Settings
    from cbec.db import migrate
    from cbec.sharing import service as sharing
    from cbec.sharing.schemas import EventType, SubscriptionCreate
    from cbec.unit_of_work import UnitOfWork

    sink = Sink()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), database_url=args.database_url, webhook_allow_loopback=True,
            webhook_concurrency=args.concurrency,
        )  # fmt: skip
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrate(settings.database_url)
        with UnitOfWork(settings) as uow:
            made = sharing.create_subscription(
                uow.session, settings, SubscriptionCreate(url=sink.url, event_types=[EventType.DECLARATION_RELEASED]),
                enterprise=SELLER, created_by="bench",
            )  # fmt: skip
            uow.commit()
        db = "PostgreSQL" if settings.database_url.startswith("postgresql") else "SQLite"
        print(f"webhooks to a local receiver, {args.events} events, {args.concurrency} threads, {db}")
        rate, lat = baseline(sink, args.events, args.concurrency)
        print(f"  baseline (raw httpx2 posts): {rate:8.0f} posts/s       one post {_ms(lat)}")
        sink.reset()
        sink.secret = made.secret
        rate, lat = backlog(settings, sink, args.events)
        print(f"  backlog (outbox, signed):    {rate:8.0f} deliveries/s  commit→receipt {_ms(lat)}")
        sink.reset()
        lat = steady(settings, sink, args.events, args.rate)
        print(f"  steady at {args.rate:.0f} events/s:      {len(lat):8d} delivered     commit→receipt {_ms(lat)}")
        print(f"  bad signatures {sink.bad}, duplicates {sink.duplicates}")


if __name__ == "__main__":
    main()
