"""The webhook dispatcher: a worker step (``cbec serve``'s worker loop, ``cbec sharing dispatch``).
Each pass claims due deliveries in one short transaction, posts them concurrently with no
transaction open, and records the outcomes in another. A crash between the post and the record
sends the delivery again after its lease: at-least-once, with a delivery id receivers dedupe on.

Before each post the receiver's host is resolved again and checked (a name that pointed at a
public address when subscribed may point inside later); redirects are not followed."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx

from cbec.config import Settings
from cbec.errors import InvalidInput
from cbec.sharing import rules as r
from cbec.sharing import service
from cbec.sharing.schemas import DispatchRead
from cbec.unit_of_work import UnitOfWork

log = logging.getLogger("cbec.sharing")
USER_AGENT = "cbec-webhooks/1"


class Dispatcher:
    """Holds one HTTP connection pool across passes; ``dispatch_once`` until nothing is due."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.Client | None = None,
        resolver: service.Resolver = service.resolve,
        rng: random.Random | None = None,
        batch: int = 200,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.client = client or httpx.Client(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=max(settings.webhook_concurrency, 1) * 2),
        )
        self.resolver = resolver
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.batch = batch
        self.clock = clock
        self._pool = ThreadPoolExecutor(max(settings.webhook_concurrency, 1), thread_name_prefix="cbec-webhook")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, item: service.Outgoing, subscription_id: int) -> service.Outcome:
        started = time.perf_counter()
        code: int | None = None
        error = ""
        try:
            if item.secret is None:
                raise InvalidInput("the subscription's secret was sealed under another CBEC_SECRET_KEY")
            service.check_receiver(self.settings, item.url, self.resolver)
            t = int(self.clock())
            headers = {
                "Content-Type": "application/json", "User-Agent": USER_AGENT,
                r.SIGNATURE_HEADER: r.signature_header(item.secret, t, item.body), r.TIMESTAMP_HEADER: str(t),
                r.DELIVERY_HEADER: item.uid, r.EVENT_HEADER: item.event_type, "X-Cbec-Attempt": str(item.attempt),
            }  # fmt: skip
            response = self.client.post(item.url, content=item.body, headers=headers)
            code = response.status_code
            if not r.is_success(code):
                error = f"HTTP {code}: {response.text[:200]}"
        except InvalidInput as exc:
            error = exc.message_en
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        return service.Outcome(
            item.id, subscription_id, item.attempt - 1, code, error, int((time.perf_counter() - started) * 1000)
        )

    def dispatch_once(self, *, budget: float | None = None) -> DispatchRead:
        """Attempt every delivery that is due now (waves of at most one per ordering key, so the
        next event of a key goes in the wave after the one before it was delivered); with
        ``budget``, start no new wave after that many seconds (the worker loop has customs to
        run too, and the rest is due at the next pass)."""
        total = DispatchRead()
        until = time.monotonic() + budget if budget is not None else None
        with self._lock:
            while until is None or time.monotonic() < until:
                with UnitOfWork(self.settings) as uow:
                    claimed = service.claim(uow.session, self.settings, limit=self.batch)
                    uow.commit()
                if not claimed:
                    return total
                outcomes = list(self._pool.map(lambda c: self._post(*c), claimed))
                with UnitOfWork(self.settings) as uow:
                    counts = service.settle(uow.session, self.settings, outcomes, rng=self.rng)
                    uow.commit()
                total.passes += 1
                total.attempted += len(outcomes)
                total.delivered += counts["delivered"]
                total.failed += counts["failed"]
                total.dead += counts["dead"]
            return total


def dispatch_once(settings: Settings) -> DispatchRead:
    with Dispatcher(settings) as d:
        return d.dispatch_once()


def run_forever(settings: Settings, *, interval: float, stop: threading.Event) -> None:
    with Dispatcher(settings) as d:
        while not stop.is_set():
            try:
                d.dispatch_once()
            except Exception:  # a failed pass is logged; the leases let the next one take over
                log.exception("webhook dispatch pass failed")
            stop.wait(interval)
