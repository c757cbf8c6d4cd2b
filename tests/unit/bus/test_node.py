"""A node's handling of a batch of messages, without a bus: what it acknowledges and what it
has delivered again (docs/decisions/0015)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cbec.bus.engine import BusOptions
from cbec.bus.node import Node
from cbec.config import Settings


@dataclass
class FakeMsg:
    """What the node reads of a JetStream message, and what it answers."""

    data: bytes
    subject: str = "cbec.matched.p01"
    acked: bool = False
    naked: bool = False
    metadata: Any = field(default_factory=lambda: SimpleNamespace(num_delivered=1, sequence=SimpleNamespace(stream=1)))

    async def ack(self) -> None:
        self.acked = True

    async def nak(self, delay: float | None = None) -> None:
        self.naked = True


def _node(tmp_path: Path) -> Node:
    return Node(
        Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'cbec.db'}"),
        BusOptions("nats://127.0.0.1:4222"),
    )


def test_an_order_that_cannot_be_declared_does_not_hold_back_its_batch(tmp_path: Path) -> None:
    node = _node(tmp_path)
    declared: list[bytes] = []

    async def declare(js: Any, msgs: list[Any]) -> None:
        if any(m.data == b"poison" for m in msgs):
            raise RuntimeError("UNIQUE constraint failed: declaration.message_type, declaration.cop_no")
        declared.extend(m.data for m in msgs)

    node._declare = declare  # type: ignore[method-assign]
    msgs = [FakeMsg(b"a"), FakeMsg(b"poison"), FakeMsg(b"c")]
    asyncio.run(node._handle(None, "matched-p01", msgs))  # type: ignore[arg-type]
    assert declared == [b"a", b"c"]
    assert [(m.acked, m.naked) for m in msgs] == [(True, False), (False, True), (True, False)]
    assert node.report.retried == 1 and node.report.messages["matched"] == 2


def test_a_batch_that_fails_as_a_whole_on_documents_is_delivered_again(tmp_path: Path) -> None:
    node = _node(tmp_path)

    async def documents(js: Any, m: Any) -> None:
        raise RuntimeError("database unreachable")

    node._documents = documents  # type: ignore[method-assign]
    msgs = [FakeMsg(b"x", "cbec.docs.p01"), FakeMsg(b"y", "cbec.docs.p01")]
    asyncio.run(node._handle(None, "docs-p01", msgs))  # type: ignore[arg-type]
    assert all(m.naked and not m.acked for m in msgs)
    assert node.report.retried == 2
