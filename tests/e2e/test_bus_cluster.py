"""The pipeline on a real three-server NATS JetStream cluster with worker processes and one
PostgreSQL (docs/scale-out.md, decision 0015): documents for a few hundred orders flow through
the bus to declarations; a worker killed with ``kill -9`` mid-run, or one of the three
nats-servers, changes nothing in what ends declared; the buyers' annual ledgers never pass the
limit although one buyer's orders arrive on several partitions (财关税〔2018〕49号)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cbec import pipeline
from cbec.bus.cluster import NatsCluster, nats_server_binary
from cbec.bus.partitions import order_key, partition_of
from cbec.bus.publish import generated
from cbec.config import Settings
from cbec.customs.models import Declaration
from cbec.db import migrate
from cbec.generate.basics import GenerateOptions
from cbec.generate.service import generate
from tests.natscluster import BusRun, outcome, require_nats
from tests.pgcluster import PostgresCluster

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

ORDERS = 300
ANNUAL_LIMIT = Decimal("26000")  # 财关税〔2018〕49号: the annual limit of retail imports per person


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred generated orders, some buyers buying past their annual limit."""
    folder = tmp_path_factory.mktemp("load")
    generate(GenerateOptions(orders=ORDERS, seed=7, over_quota_share=0.2), folder, batch_size=60, overwrite=True)
    return folder


@pytest.fixture(scope="module")
def baseline(load: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same load through the embedded path (one process, SQLite, no bus)."""
    data_dir = tmp_path_factory.mktemp("baseline")
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'cbec.db'}")
    migrate(settings.database_url)
    for sub in generated(settings, load):
        pipeline.import_bytes(settings, sub.data, sub.ctx, fmt=sub.fmt, filename=sub.filename)
    pipeline.declare(settings)
    return outcome(settings.database_url)


@pytest.fixture
def nats() -> Iterator[NatsCluster]:
    binary = nats_server_binary()
    if binary is None:
        if require_nats():
            pytest.fail("nats-server is required (CBEC_REQUIRE_NATS=1) but was not found")
        pytest.skip("nats-server is not installed (scripts/setup --test); set CBEC_REQUIRE_NATS=1 to fail instead")
    cluster = NatsCluster(binary)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def bus_run(nats: NatsCluster, postgres: PostgresCluster | None, tmp_path: Path) -> Iterator[BusRun]:
    if postgres is None:
        pytest.skip("PostgreSQL is not installed (apt install postgresql)")
    run = BusRun(nats, postgres.create_database(), tmp_path / "data")
    yield run
    run.stop()


def _expect_same(run: BusRun, baseline: dict[str, Any]) -> dict[str, Any]:
    """Every order decided exactly once, as on the embedded path. Which of an over-limit buyer's
    orders the limit refuses depends on the order they reach the buyer's partition, so imports
    compare by declared + refused; exports compare message type by message type."""
    got = run.wait_until_final(baseline["decided"])
    exports = ("CEB303", "CEB505", "CEB603")
    assert {k: got["by_type"].get(k) for k in exports} == {k: baseline["by_type"].get(k) for k in exports}
    assert got["decided"] == baseline["decided"]
    assert got["by_type"]["CEB621"] == got["assessed"] == got["ledger_entries"]  # one assessment, one entry each
    assert got["doubled"] == 0  # no copNo twice per message type
    assert got["resent"] == 0 and got["pending"] == 0  # each message sent once, none left behind
    assert got["ledger_max"] <= ANNUAL_LIMIT
    return got


def _declared(run: BusRun) -> int:
    return int(outcome(run.database_url)["lists"])


def _wait_for(run: BusRun, lists: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while _declared(run) < lists:
        assert time.monotonic() < deadline, f"fewer than {lists} lists declared after {timeout} s"
        time.sleep(0.5)


def test_documents_flow_to_declarations_through_the_bus(bus_run: BusRun, load: Path, baseline: dict[str, Any]) -> None:
    bus_run.start(workers=2)
    sent = bus_run.submit(load)
    assert sent["messages"] > sent["files"]  # each file cut by partition
    got = _expect_same(bus_run, baseline)
    assert got["lists"] >= ORDERS * 0.7


def test_a_worker_killed_mid_run_leaves_its_partitions_to_the_others(
    bus_run: BusRun, load: Path, baseline: dict[str, Any]
) -> None:
    bus_run.start(workers=3)
    bus_run.submit(load)
    _wait_for(bus_run, random.randint(10, baseline["lists"] // 2))
    bus_run.kill_node(bus_run.nodes[0])  # kill -9, mid-transaction or not
    _expect_same(bus_run, baseline)


def test_one_nats_server_killed_the_run_completes(bus_run: BusRun, load: Path, baseline: dict[str, Any]) -> None:
    bus_run.start(workers=2)
    bus_run.submit(load)
    _wait_for(bus_run, random.randint(10, baseline["lists"] // 2))
    bus_run.nats.kill_server(random.randrange(3))  # R3 streams keep a quorum of two
    _expect_same(bus_run, baseline)


def test_one_buyers_orders_on_several_partitions_share_one_ledger(load: Path, baseline: dict[str, Any]) -> None:
    """The load has buyers whose orders fall on different order partitions; re-keyed by buyer,
    their ledgers are written by one consumer and stay within the limit."""
    import json

    heads = [d["head"] for f in sorted(load.glob("import-orders-*.json")) for d in json.loads(f.read_bytes())]
    by_buyer: dict[str, set[int]] = {}
    for h in heads:
        by_buyer.setdefault(h["buyerIdNumber"], set()).add(partition_of(order_key(h["ebpCode"], h["orderNo"]), 6))
    assert any(len(p) > 1 for p in by_buyer.values())
    assert baseline["ledger_max"] <= ANNUAL_LIMIT
    assert select(func.count()).select_from(Declaration) is not None


def test_everything_stopped_and_started_again_goes_on(bus_run: BusRun, load: Path, baseline: dict[str, Any]) -> None:
    """Workers and all three servers stopped mid-run (the streams are on disk), then started."""
    bus_run.start(workers=2)
    bus_run.submit(load)
    _wait_for(bus_run, random.randint(10, baseline["lists"] // 2))
    bus_run.stop()
    bus_run.nats.stop(remove=False)
    bus_run.nodes.clear()
    bus_run.nats.start()
    bus_run.start(workers=2)
    _expect_same(bus_run, baseline)
