"""The JetStream side: connect, declare the streams, the consumers and the key-value buckets.

Every stream and bucket is replicated ``replicas`` times (R3 on a three-server cluster: a stream
keeps accepting and delivering while one server is down). Consumers are durable pull consumers
with explicit acknowledgement: a message is acknowledged after the database commit of what it
caused, and one not acknowledged within ``ack_wait`` is delivered again (at least once)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, KeyValueConfig, StreamConfig
from nats.js.errors import (
    BadRequestError,
    KeyWrongLastSequenceError,
    NoStreamResponseError,
    NotFoundError,
    ServiceUnavailableError,
)
from nats.js.kv import KeyValue

from cbec.bus.partitions import DECLARED, STREAMS, TRANSPORT, consumers_of

LEASES, MEMBERS, SETTINGS = "cbec_leases", "cbec_members", "cbec_bus"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BusOptions:
    """How the bus is set up; every node of a zone must agree on ``partitions``."""

    url: str
    partitions: int = 8
    replicas: int = 3
    lease_ttl: float = 6.0  # seconds a lease outlives its holder's last renewal
    ack_wait: float = 30.0  # seconds before a message taken and not acknowledged is delivered again

    @property
    def servers(self) -> list[str]:
        return [s for s in self.url.split(",") if s]


async def connect(opts: BusOptions) -> tuple[Client, JetStreamContext]:
    nc = await nats.connect(servers=opts.servers, max_reconnect_attempts=-1, reconnect_time_wait=0.5, connect_timeout=5)
    return nc, nc.jetstream(timeout=10)


async def retry(make: Callable[[], Awaitable[T]], attempts: int = 60) -> T:
    """JetStream answers 503 while a cluster elects its meta leader (start, or a server lost)."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return await make()
        except (
            ServiceUnavailableError, NoStreamResponseError, TimeoutError, nats.errors.TimeoutError, NotFoundError
        ) as exc:  # fmt: skip
            last = exc
            await asyncio.sleep(0.5)
    raise RuntimeError(f"JetStream did not answer: {last!r}")


async def ensure(js: JetStreamContext, opts: BusOptions) -> dict[str, KeyValue]:
    """Declare streams, consumers and buckets (idempotent), and check the partition count."""
    for name, subject in STREAMS:
        config = StreamConfig(name=name, subjects=[subject], num_replicas=opts.replicas, duplicate_window=300)
        await retry(partial(_declared_once, js.add_stream, config))
    buckets: dict[str, KeyValue] = {}
    for bucket, ttl in ((LEASES, opts.lease_ttl), (MEMBERS, opts.lease_ttl), (SETTINGS, None)):
        config_kv = KeyValueConfig(bucket=bucket, ttl=ttl, replicas=opts.replicas, history=1)
        await retry(partial(_declared_once, js.create_key_value, config_kv))
        buckets[bucket] = await retry(partial(js.key_value, bucket))
    await retry(partial(_check_partitions, buckets[SETTINGS], opts.partitions))
    for p in range(opts.partitions):
        for stream, durable, subject in consumers_of(p):
            await retry(partial(_declared_once, js.add_consumer, stream, _consumer(durable, subject, opts)))
    await retry(partial(_declared_once, js.add_consumer, DECLARED, _consumer(TRANSPORT, "cbec.declared.>", opts)))
    return buckets


async def _declared_once(make: Callable[..., Awaitable[object]], *args: object) -> None:
    """Declare a stream, bucket or consumer; one another node declared first is kept as it is
    (nodes starting together race to declare the same; the server's defaults can make the second
    request differ from what it stored, and it answers 10058 "already in use")."""
    try:
        await make(*args)
    except BadRequestError as exc:
        if exc.err_code not in (10058, 10148, 10013):  # stream, consumer exists with another config
            raise


def _consumer(durable: str, subject: str, opts: BusOptions) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=durable,
        filter_subject=subject,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=opts.ack_wait,
        max_deliver=-1,
        max_ack_pending=1000,
    )


async def _check_partitions(kv: KeyValue, partitions: int) -> None:
    try:
        await kv.create("partitions", str(partitions).encode())
    except KeyWrongLastSequenceError:
        there = int((await kv.get("partitions")).value or b"0")
        if there != partitions:
            raise BadRequestError(
                description=f"the bus has {there} partitions; this node was started with {partitions} "
                f"/ 总线已有 {there} 个分区，本节点配置为 {partitions}"
            ) from None
