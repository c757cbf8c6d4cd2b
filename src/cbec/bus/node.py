"""A node: the consumer loop that runs the areas' services on the partitions it holds.

Each partition ``p`` has three durable pull consumers (declaring imports by buyer, declaring
exports, taking documents: downstream first, so a busy node finishes orders before it takes
new ones). A message is acknowledged after the database commit of its step and after the
messages of the next stage are published (with a message id JetStream deduplicates on), so a
node killed at any point leaves the message to be delivered again to whoever holds the
partition next. The holder of the ``transport`` lease sends the outbox and applies receipts
(``pipeline.work_once``) when declarations arrive and every ``receipt_poll`` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext

from cbec import pipeline
from cbec.bus import stages
from cbec.bus.engine import LEASES, MEMBERS, BusOptions, connect, ensure
from cbec.bus.leases import Leases
from cbec.bus.partitions import DECLARED, TRANSPORT, consumers_of, declared_subject, lease_key
from cbec.config import Settings

log = logging.getLogger("cbec.bus")
Sub = JetStreamContext.PullSubscription
FETCH_WAIT = 0.01  # seconds a fetch waits on an empty consumer: a pass over 3 consumers × partitions held


def node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class NodeReport:
    node: str
    messages: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    refused_files: int = 0
    lease_moves: int = 0
    cpu_seconds: float = 0.0  # spent from the first message taken to the end (start-up apart)
    first_work: float = 0.0  # epoch seconds of the first and the last message worked on
    last_work: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "messages": dict(self.messages),
            "retried": self.retried,
            "refused_files": self.refused_files,
            "lease_moves": self.lease_moves,
            "cpu_seconds": round(self.cpu_seconds, 2),
            "first_work": self.first_work,
            "last_work": self.last_work,
        }


@dataclass
class Node:
    settings: Settings
    opts: BusOptions
    me: str = field(default_factory=node_id)
    receipt_poll: float = 2.0
    report: NodeReport = field(init=False)
    subs: dict[str, list[tuple[str, Sub]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.report = NodeReport(self.me)
        self.signing = stages.Signing.of(self.settings)  # read the key once, not per message

    async def run(self, stop: asyncio.Event, idle_exit: float | None = None) -> NodeReport:
        """Until ``stop`` is set (or, with ``idle_exit``, after that many seconds without work)."""
        nc, js = await connect(self.opts)
        buckets = await ensure(js, self.opts)
        leases = Leases(buckets[LEASES], buckets[MEMBERS], self.me, self.opts.partitions, self.opts.lease_ttl)
        beat = asyncio.create_task(self._beat(leases, stop))
        last_work, last_transport, idle, cpu_at_start = time.monotonic(), 0.0, 0.0, 0.0
        try:
            while not stop.is_set():
                await self._follow(js, leases)
                worked = await self._one_round(js, leases)
                if TRANSPORT in leases.held and (
                    worked == "declared" or time.monotonic() - last_transport > self.receipt_poll
                ):
                    moved = await self._transport()
                    last_transport = time.monotonic()
                    worked = worked or ("transport" if moved else "")
                if worked:
                    last_work, idle = time.monotonic(), 0.0
                    if not self.report.first_work:
                        self.report.first_work, cpu_at_start = time.time(), time.process_time()
                    self.report.last_work = time.time()
                elif idle_exit is not None and time.monotonic() - last_work > idle_exit:
                    if await self._bus_empty(js):
                        break
                    last_work = time.monotonic()  # others' partitions still hold work: they may come here
                else:  # nothing anywhere: wait longer each empty pass, up to a quarter second
                    idle = min(0.25, idle + 0.02)
                    await asyncio.sleep(idle)
        finally:
            beat.cancel()
            self.report.lease_moves = leases.moves
            self.report.cpu_seconds = time.process_time() - cpu_at_start
            with contextlib.suppress(TimeoutError, NatsError):  # the servers may be gone already
                await asyncio.wait_for(leases.release_all(), 3)  # else the leases expire by TTL
                await asyncio.wait_for(nc.close(), 3)
        return self.report

    async def _bus_empty(self, js: JetStreamContext) -> bool:
        """Nothing waits on, or is taken and not acknowledged by, any consumer of the bus."""
        names = [(st, d) for p in range(self.opts.partitions) for st, d, _ in consumers_of(p)] + [(DECLARED, TRANSPORT)]
        try:
            for stream, durable in names:
                info = await js.consumer_info(stream, durable)
                if (info.num_pending or 0) + (info.num_ack_pending or 0):
                    return False
        except NatsError:
            return False
        return True

    async def _beat(self, leases: Leases, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await leases.beat()
            except NatsError as exc:
                log.warning("lease beat failed: %r", exc)
            await asyncio.sleep(self.opts.lease_ttl / 4)

    async def _follow(self, js: JetStreamContext, leases: Leases) -> None:
        """Bind to the consumers of partitions just taken, unbind from those given up."""
        wanted = {lease_key(p) for p in leases.partitions_held}
        if TRANSPORT in leases.held:
            wanted.add(TRANSPORT)
        for key in set(self.subs) - wanted:
            for _, sub in self.subs.pop(key):
                await sub.unsubscribe()
        for key in wanted - set(self.subs):
            names = [(DECLARED, TRANSPORT)] if key == TRANSPORT else [(s, d) for s, d, _ in consumers_of(int(key[1:]))]
            self.subs[key] = [(d, await js.pull_subscribe_bind(durable=d, stream=s)) for s, d in names]

    async def _one_round(self, js: JetStreamContext, leases: Leases) -> str:
        """One pass over every consumer held, downstream first, taking what waits on each (a
        fetch that finds nothing costs one short round trip); the last kind worked on, or ''."""
        worked = ""
        for key, subs in list(self.subs.items()):
            for durable, sub in subs:
                batch = 50 if key == TRANSPORT else (10 if durable.startswith("matched") else 2)
                try:
                    msgs = await sub.fetch(batch, timeout=FETCH_WAIT)
                except (NatsTimeout, TimeoutError):
                    continue
                except NatsError as exc:
                    log.warning("fetch %s: %r", durable, exc)
                    continue
                leases.busy = key
                try:
                    await self._handle(js, durable, msgs)
                finally:
                    leases.busy = None
                worked = "declared" if key == TRANSPORT else durable
        return worked

    async def _handle(self, js: JetStreamContext, durable: str, msgs: list[Msg]) -> None:
        try:
            await self._step(js, durable, msgs)
        except Exception as exc:
            if len(msgs) == 1 or not durable.startswith("matched"):
                return await self._retry(durable, msgs, exc)
            # a batch of matched messages is declared in one unit of work: one order that cannot
            # be declared must not hold back the others, so each message is tried on its own
            for m in msgs:
                await self._handle(js, durable, [m])
            return None
        for m in msgs:
            await m.ack()
        self.report.messages[durable.split("-", maxsplit=1)[0]] += len(msgs)

    async def _step(self, js: JetStreamContext, durable: str, msgs: list[Msg]) -> None:
        if durable == TRANSPORT:
            await self._transport()
        elif durable.startswith("matched"):
            await self._declare(js, msgs)
        else:
            for m in msgs:
                await self._documents(js, m)

    async def _retry(self, durable: str, msgs: list[Msg], exc: BaseException) -> None:
        times = max((m.metadata.num_delivered or 1) for m in msgs)
        log.warning("%s: %r; delivered again in 1 s (taken %d time(s) so far)", durable, exc, times)
        self.report.retried += len(msgs)
        for m in msgs:
            with contextlib.suppress(NatsError):  # else delivered again after ack_wait
                await m.nak(delay=1)

    async def _documents(self, js: JetStreamContext, m: Msg) -> None:
        done = await asyncio.to_thread(
            stages.take_documents, self.settings, m.data, dict(m.headers or {}), self.opts.partitions
        )
        if done.failure:
            self.report.refused_files += 1
        for r in done.routed:
            body = json.dumps({"order_keys": list(r.order_keys)}).encode()
            await js.publish(r.subject, body, headers={"Nats-Msg-Id": f"d{m.metadata.sequence.stream}:{r.subject}"})

    async def _declare(self, js: JetStreamContext, msgs: list[Msg]) -> None:
        keys = [k for m in msgs for k in json.loads(m.data)["order_keys"]]
        out = await asyncio.to_thread(stages.declare_orders, self.settings, keys, self.signing)
        subject = declared_subject(msgs[0].subject)
        body = json.dumps({"orders": len(keys), "declared": out.get("declared", {})}).encode()
        ids = "-".join(str(m.metadata.sequence.stream) for m in msgs)
        await js.publish(subject, body, headers={"Nats-Msg-Id": f"m{ids}:{subject}"})

    async def _transport(self) -> bool:
        out = await asyncio.to_thread(pipeline.work_once, self.settings)
        moved = bool(out["sent"] or out["receipts"].get("files"))
        if moved:
            self.report.messages["sent"] += out["sent"]
            self.report.messages["receipt_files"] += out["receipts"].get("files", 0)
        return moved
