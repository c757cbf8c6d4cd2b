"""The audit chain (issue 21, part 2): each entry's hash covers its own fields and the hash of the
entry before it, so changing, removing or reordering any entry breaks every hash after it. Pure.

hash = SHA-256 over the canonical JSON (keys sorted, no spaces, UTF-8) of {seq, at, actor_kind,
actor, enterprise, origin, action, target, detail, prev}; the first entry's ``prev`` is 64 zeros.
``at`` is written as UTC ISO text with microseconds, the way it is stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # user | api_key | cli | system
    name: str
    enterprise: str = ""
    origin: str = ""


SYSTEM = Actor("system", "cbec")


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    at: datetime
    actor: Actor
    action: str
    target: str
    detail: dict[str, Any]
    prev: str
    hash: str = ""


def _when(at: datetime) -> str:
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def digest(e: Entry) -> str:
    body = {
        "seq": e.seq, "at": _when(e.at), "actor_kind": e.actor.kind, "actor": e.actor.name,
        "enterprise": e.actor.enterprise, "origin": e.actor.origin, "action": e.action, "target": e.target,
        "detail": e.detail, "prev": e.prev,
    }  # fmt: skip
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    ).hexdigest()


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int
    why_en: str
    why_zh: str


def verify(entries: Iterable[Entry]) -> tuple[int, Broken | None]:
    """Walk the chain in order: (entries checked, the first broken one or None)."""
    prev, n = GENESIS, 0
    for e in entries:
        n += 1
        if e.prev != prev:
            return n, Broken(e.seq, f"entry {e.seq} does not follow the entry before it (an entry was removed, "
                             "inserted or reordered)", f"第 {e.seq} 条与前一条不相接（有条目被删除、插入或调换）")  # fmt: skip
        if digest(e) != e.hash:
            return n, Broken(e.seq, f"entry {e.seq} was changed after it was written (its hash does not match)",
                             f"第 {e.seq} 条在写入后被修改（哈希不符）")  # fmt: skip
        prev = e.hash
    return n, None
