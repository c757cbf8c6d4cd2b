"""What the bus holds: the lease of every partition and what waits on every consumer."""

from __future__ import annotations

from typing import Any

from nats.js.errors import NoKeysError

from cbec.bus.engine import LEASES, BusOptions, connect, ensure
from cbec.bus.partitions import DECLARED, TRANSPORT, consumers_of


async def bus_status(opts: BusOptions) -> dict[str, Any]:
    nc, js = await connect(opts)
    try:
        buckets = await ensure(js, opts)
        leases: dict[str, str] = {}
        try:
            for key in await buckets[LEASES].keys():
                leases[key] = ((await buckets[LEASES].get(key)).value or b"").decode()
        except NoKeysError:
            pass
        names = [(s, d) for p in range(opts.partitions) for s, d, _ in consumers_of(p)] + [(DECLARED, TRANSPORT)]
        consumers = {}
        for stream, durable in names:
            info = await js.consumer_info(stream, durable)
            consumers[durable] = {"pending": info.num_pending, "ack_pending": info.num_ack_pending}
        return {"leases": leases, "consumers": consumers}
    finally:
        await nc.close()
