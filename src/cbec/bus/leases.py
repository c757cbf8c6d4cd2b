"""Who holds which partition: a lease per partition in a JetStream key-value bucket (R3).

A lease is a key (``p07``) whose value names its holder. It is taken with ``create`` (succeeds
only when the key is absent), renewed with ``update`` checked against the revision the holder
last wrote, and given up with ``delete`` checked the same way. The bucket's TTL (its streams'
``max_age``) removes a lease its holder stopped renewing, so the partitions of a node killed
with ``kill -9`` are free ``ttl`` seconds later and the others take them. The engine orders
the writes (the stream's RAFT group); nothing here votes or elects: a node only asks
"create if absent" or "update if still revision r", which JetStream answers for everyone alike.

Nodes announce themselves in a second bucket with the same TTL; each holds at most its fair
share (``ceil(partitions / live nodes)``), so when a node joins the others give partitions up
and it takes them, and when one dies its share is spread over the survivors."""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass, field

from nats.errors import Error as NatsError
from nats.js.errors import KeyWrongLastSequenceError, NoKeysError
from nats.js.kv import KeyValue

from cbec.bus.partitions import TRANSPORT, fair_share, lease_key


@dataclass
class Leases:
    leases: KeyValue
    members: KeyValue
    me: str
    partitions: int
    ttl: float
    held: dict[str, int] = field(default_factory=dict)  # key → revision of our last write
    renewed: dict[str, float] = field(default_factory=dict)  # key → monotonic time of it
    busy: str | None = None  # the partition whose message is being worked on: not given up now
    moves: int = 0  # leases taken or given up, for the report

    @property
    def partitions_held(self) -> list[int]:
        return sorted(int(k[1:]) for k in self.held if k != TRANSPORT)

    async def beat(self) -> None:
        """Announce this node, renew its leases, then give up or take partitions to its share."""
        with contextlib.suppress(NatsError):  # a server down or electing: the renewals decide
            await self.members.put(self.me, b"alive")
        await self._renew()
        share = fair_share(self.partitions, await self._live())
        mine = [k for k in sorted(self.held) if k != TRANSPORT]
        for key in mine[share:]:
            if key != self.busy:
                await self._release(key)
        wanted = share - len([k for k in self.held if k != TRANSPORT])
        free = [lease_key(p) for p in range(self.partitions) if lease_key(p) not in self.held]
        random.shuffle(free)
        for key in free:
            if wanted <= 0:
                break
            wanted -= await self._take(key)
        if TRANSPORT not in self.held:
            await self._take(TRANSPORT)

    async def _live(self) -> int:
        try:
            return max(1, len(await self.members.keys()))
        except NoKeysError:
            return 1
        except NatsError:
            return max(1, len(self.held))

    async def _renew(self) -> None:
        for key, rev in list(self.held.items()):
            try:
                self.held[key] = await self.leases.update(key, self.me.encode(), last=rev)
                self.renewed[key] = time.monotonic()
            except KeyWrongLastSequenceError:
                self._drop(key)  # it expired and another node took it
            except NatsError:
                if time.monotonic() - self.renewed.get(key, 0.0) > self.ttl:
                    self._drop(key)  # not renewed within its TTL: it may be another's by now

    async def _take(self, key: str) -> int:
        try:
            self.held[key] = await self.leases.create(key, self.me.encode())
        except (KeyWrongLastSequenceError, NatsError):
            return 0
        self.renewed[key] = time.monotonic()
        self.moves += 1
        return 1

    async def _release(self, key: str) -> None:
        rev = self.held.pop(key)
        self.renewed.pop(key, None)
        self.moves += 1
        with contextlib.suppress(NatsError):  # it expires within its TTL anyway
            await self.leases.delete(key, last=rev)

    def _drop(self, key: str) -> None:
        self.held.pop(key, None)
        self.renewed.pop(key, None)
        self.moves += 1

    async def release_all(self) -> None:
        for key in list(self.held):
            await self._release(key)
