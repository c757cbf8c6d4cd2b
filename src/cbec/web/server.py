"""Serving the platform: the web application under Uvicorn, and beside it (optionally) the
worker loop that sends queued messages, lets the sandbox customs answer and applies receipts,
so what a user uploads walks on to declarations and receipts while they watch; the same loop
posts the partners' webhooks (docs/sharing.md)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import uvicorn

from cbec import pipeline
from cbec.config import Settings
from cbec.sandbox import SandboxCustoms
from cbec.sharing.dispatcher import Dispatcher
from cbec.web.app import create_app

log = logging.getLogger("cbec.serve")


class PlatformWorker(threading.Thread):
    """Every ``interval`` seconds: send, let the sandbox answer, apply receipts, post the webhooks
    the pass queued. Stops on ``stop()``."""

    def __init__(self, settings: Settings, *, sandbox: bool, interval: float = 2.0, seed: int = 2026) -> None:
        super().__init__(name="cbec-worker", daemon=True)
        self.settings = settings
        self.interval = interval
        self._stop_event = threading.Event()
        self.sandbox = sandbox
        self.seed = seed
        self.customs: Any = None

    def run(self) -> None:
        if self.sandbox:  # made here: the sandbox's own SQLite state belongs to this thread
            self.customs = SandboxCustoms(
                pipeline.messages_dir(self.settings),
                seed=self.seed,
                inspection_rate=0.02,
                require_signatures=True,
                lanes=pipeline.lanes_of(self.settings),
            )
        with Dispatcher(self.settings) as webhooks:
            while not self._stop_event.is_set():
                try:
                    pipeline.work_once(self.settings)
                    if self.customs is not None:
                        self.customs.step()
                        pipeline.work_once(self.settings)
                except Exception:  # a failed pass is logged and retried; the next pass starts clean
                    log.exception("worker pass failed")
                try:  # a receiver that is down never holds up customs, nor customs the receivers
                    webhooks.dispatch_once(budget=max(self.interval, 5.0))
                except Exception:
                    log.exception("webhook dispatch failed")
                self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()


def serve(settings: Settings, *, host: str, port: int, worker: bool, sandbox: bool) -> None:
    """Serve until Ctrl-C (SIGINT) or SIGTERM; Uvicorn finishes the requests in flight."""
    loop: PlatformWorker | None = PlatformWorker(settings, sandbox=sandbox) if worker else None
    if loop is not None:
        loop.start()
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:  # Uvicorn re-raises the Ctrl-C it handled, once it has shut down
        pass
    finally:
        if loop is not None:
            loop.stop()
            loop.join(timeout=30)
