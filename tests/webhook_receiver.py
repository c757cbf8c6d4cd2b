"""A partner's webhook receiver for the tests: a real HTTP server on 127.0.0.1 in a thread, written
the way a partner would write one (its own HMAC check, not the platform's), that can be told to
fail: answer 500, answer after the sender has given up, drop the connection, or be down for a
stretch of requests and then recover. It dedupes on the delivery id, and counts everything."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Flakiness:
    """Shares of requests that fail each way (decided by a seeded generator), and an outage: the
    requests numbered ``outage`` (a range of the receiver's request counter) all get 503."""

    error: float = 0.0
    slow: float = 0.0  # answer only after ``slow_seconds``: the sender has timed out by then
    drop: float = 0.0  # close the connection without an answer
    outage: range = range(0)
    slow_seconds: float = 0.6
    always_fail: bool = False


@dataclass
class Received:
    raw: int = 0  # every request that reached the handler
    bad_signatures: int = 0
    stale: int = 0
    duplicates: int = 0
    failed_on_purpose: int = 0
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # delivery id → envelope
    order: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))  # key → envelopes
    at: dict[str, float] = field(default_factory=dict)  # delivery id → time.time() of first receipt


class Receiver:
    def __init__(
        self, secrets: dict[str, str], flaky: Flakiness | None = None, *, seed: int = 20, tolerance: int = 300
    ):
        self.secrets = secrets  # enterprise code → the secret its subscription was given
        self.flaky = flaky or Flakiness()
        self.tolerance = tolerance
        self.rng = random.Random(seed)
        self.got = Received()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def verify(self, secret: str, header: str, body: bytes) -> bool:
        """The receiver's check: t within the tolerance, v1 = HMAC-SHA256(secret, "t.body")."""
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
            return False
        if abs(time.time() - int(parts["t"])) > self.tolerance:
            with self.lock:
                self.got.stale += 1
            return False
        mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, parts["v1"])

    def _fate(self) -> str:
        f = self.flaky
        with self.lock:
            self.got.raw += 1
            n = self.got.raw
            x = self.rng.random()
        if f.always_fail or n in f.outage:
            return "down"
        if x < f.error:
            return "error"
        if x < f.error + f.slow:
            return "slow"
        if x < f.error + f.slow + f.drop:
            return "drop"
        return "ok"

    def take(self, body: bytes, headers: Any) -> int:
        envelope = json.loads(body)
        secret = self.secrets.get(envelope.get("enterprise", ""), "")
        if not self.verify(secret, headers.get("X-Cbec-Signature", ""), body):
            with self.lock:
                self.got.bad_signatures += 1
            return 401
        uid = headers.get("X-Cbec-Delivery", "")
        with self.lock:
            if uid in self.got.accepted:
                self.got.duplicates += 1
                return 200  # seen: acknowledged again, not processed again
            self.got.accepted[uid] = envelope
            self.got.at[uid] = time.time()
            self.got.order[f"{envelope['enterprise']}|{envelope['ordering_key']}"].append(envelope)
        return 204

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fate = receiver._fate()
                if fate == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fate in ("down", "error"):
                    with receiver.lock:
                        receiver.got.failed_on_purpose += 1
                    self._answer(503 if fate == "down" else 500)
                    return
                if fate == "slow":  # processed, but the answer comes after the sender gave up
                    code = receiver.take(body, self.headers)
                    time.sleep(receiver.flaky.slow_seconds)
                    self._answer(code)
                    return
                self._answer(receiver.take(body, self.headers))

            def _answer(self, code: int) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

        return Handler
