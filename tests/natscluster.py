"""A real three-server NATS JetStream cluster and ``cbec node`` worker processes against one
PostgreSQL, for the tests marked ``cluster`` and for ``make cluster`` (``python -m
tests.natscluster``). When ``nats-server`` is not installed the tests are skipped, unless
``CBEC_REQUIRE_NATS=1`` (set by ``make test``), where its absence is a failure."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from cbec.bus.cluster import NatsCluster, nats_server_binary
from cbec.customs.keys import sandbox_key
from cbec.customs.models import Declaration, OutboxMessage
from cbec.customs.rules import FINAL
from cbec.db import engine_for, migrate
from cbec.intake.models import Document
from cbec.matching.models import MatchResult
from cbec.tax.models import BuyerLedgerEntry, TaxAssessment
from tests.pgcluster import PostgresCluster, pg_bindir

CBEC = [sys.executable, "-m", "cbec.cli.main"]
LISTS = ("CEB603", "CEB621")


def require_nats() -> bool:
    return os.environ.get("CBEC_REQUIRE_NATS", "") not in ("", "0", "false")


@dataclass
class BusRun:
    """Workers, the sandbox customs and the submissions of one run, on one database."""

    nats: NatsCluster
    database_url: str
    data_dir: Path
    partitions: int = 6
    lease_ttl: float = 6.0
    ack_wait: float = 10.0
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    sandbox: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        key, cert = sandbox_key(self.data_dir / "keys", "bus tests")
        return {
            **os.environ,
            "CBEC_DATABASE_URL": self.database_url,
            "CBEC_DATA_DIR": str(self.data_dir),
            "CBEC_SIGNING_KEY": str(key),
            "CBEC_SIGNING_CERT": str(cert),
        }

    def bus_args(self) -> list[str]:
        return ["--bus", self.nats.url, "--partitions", str(self.partitions)]

    def start_node(self) -> subprocess.Popen[bytes]:
        log = (self.data_dir / f"node-{len(self.nodes)}.log").open("ab")
        args = [*CBEC, "node", *self.bus_args(), "--lease-ttl", str(self.lease_ttl), "--ack-wait", str(self.ack_wait)]
        p = subprocess.Popen([*args, "--json"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.nodes.append(p)
        return p

    def start(self, workers: int) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        migrate(self.database_url)
        for _ in range(workers):
            self.start_node()
        log = (self.data_dir / "sandbox.log").open("ab")
        sandbox = [*CBEC, "sandbox", "--interval", "0.3"]
        self.sandbox = subprocess.Popen(sandbox, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def submit(self, folder: Path) -> dict[str, Any]:
        out = subprocess.run(
            [*CBEC, "bus", "submit", str(folder), *self.bus_args(), "--json"],
            env=self.env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if out.returncode:
            raise RuntimeError(f"cbec bus submit failed: {out.stdout[-2000:]} {out.stderr[-3000:]}")
        return dict(json.loads(out.stdout))

    def kill_node(self, p: subprocess.Popen[bytes]) -> None:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)

    def stop(self) -> None:
        for p in [*self.nodes, self.sandbox]:
            if p is not None and p.poll() is None:
                p.terminate()
        for p in [*self.nodes, self.sandbox]:
            if p is not None:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()

    def counts(self) -> dict[str, Any]:
        return outcome(self.database_url)

    def wait_until_final(self, expected: int, timeout: float = 600) -> dict[str, Any]:
        """Until ``expected`` orders are decided (a list, final, or refused by the tax limits)
        and the outbox is empty."""
        deadline = time.monotonic() + timeout
        while True:
            c = self.counts()
            if c["decided"] >= expected and c["open_lists"] == 0 and c["pending"] == 0:
                return c
            if time.monotonic() > deadline:
                left = undecided(self.database_url)
                raise TimeoutError(f"not final after {timeout} s: {c}; undecided: {left}; logs in {self.data_dir}")
            time.sleep(1)


def outcome(database_url: str) -> dict[str, Any]:
    """What a run left in the database: declarations per type, final states, the outbox, the
    buyers' ledgers (the annual limit of 财关税〔2018〕49号 is checked by the tests)."""
    engine = engine_for(database_url)
    final = [s.value for s in FINAL]
    with engine.connect() as c:
        by_type = dict(
            c.execute(select(Declaration.message_type, func.count()).group_by(Declaration.message_type)).all()
        )
        twice = select(Declaration.message_type, Declaration.cop_no).group_by(
            Declaration.message_type, Declaration.cop_no
        )
        doubled = c.scalar(select(func.count()).select_from(twice.having(func.count() > 1).subquery()))
        lists = sum(v for k, v in by_type.items() if k in LISTS)
        not_final = Declaration.message_type.in_(LISTS), Declaration.status.not_in(final)
        open_lists = c.scalar(select(func.count()).select_from(Declaration).where(*not_final))
        pending = c.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent"))
        resent = c.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.attempts > 1))
        per_buyer = (BuyerLedgerEntry.id_number, BuyerLedgerEntry.period_start)
        ledger = c.execute(select(*per_buyer, func.sum(BuyerLedgerEntry.amount)).group_by(*per_buyer)).all()
        assessed = c.scalar(
            select(func.count())
            .select_from(TaxAssessment)
            .where(TaxAssessment.kind == "import", ~TaxAssessment.is_refused)
        )
        entries = c.scalar(select(func.count()).select_from(BuyerLedgerEntry))
        refused = c.scalar(
            select(func.count(func.distinct(TaxAssessment.reference))).where(
                TaxAssessment.kind == "import", TaxAssessment.is_refused
            )
        )
    engine.dispose()
    return {
        "by_type": by_type,
        "lists": lists,
        "open_lists": open_lists,
        "pending": pending,
        "resent": resent,
        "doubled": doubled,
        "ledger_max": max((float(s) for _, _, s in ledger), default=0.0),
        "buyers": len(ledger),
        "assessed": assessed,
        "ledger_entries": entries,
        "refused": refused,
        "decided": lists + (refused or 0),  # every matched order ends declared or refused by the tax limits
    }


def undecided(database_url: str, limit: int = 20) -> list[dict[str, Any]]:
    """Current orders with no declaration and no refused assessment, each with its current match
    results and how many current waybills and payments name it: what a failed run left behind."""
    engine = engine_for(database_url)
    with engine.connect() as c:
        declared = select(Declaration.order_doc_id).where(Declaration.order_doc_id.is_not(None))
        refused = select(TaxAssessment.reference).where(TaxAssessment.is_refused)
        orders = c.execute(
            select(Document.id, Document.doc_type, Document.order_no, Document.inbox_id)
            .where(Document.is_current.is_(True), Document.doc_type.like("%order%"))
            .where(Document.id.not_in(declared), Document.order_no.not_in(refused))
            .order_by(Document.id)
            .limit(limit)
        ).all()
        out = []
        for oid, doc_type, no, inbox in orders:
            results = c.execute(
                select(MatchResult.id, MatchResult.state, MatchResult.reason, MatchResult.is_current)
                .where(MatchResult.order_doc_id == oid)
                .order_by(MatchResult.id)
            ).all()
            others = c.execute(
                select(Document.doc_type, func.count())
                .where(Document.order_no == no, Document.is_current.is_(True), Document.id != oid)
                .group_by(Document.doc_type)
            ).all()
            out.append(
                {"order": f"{doc_type}:{no}", "doc_id": oid, "inbox": inbox, "others": dict(others),
                 "results": [tuple(r) for r in results]}
            )  # fmt: skip
    engine.dispose()
    return out


def main() -> None:
    """``make cluster``: a throwaway PostgreSQL, three nats-servers and N workers, until Ctrl-C."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--data-dir", type=Path, default=Path("cbec-cluster"))
    args = ap.parse_args()
    bindir, binary = pg_bindir(), nats_server_binary()
    if bindir is None or binary is None:
        sys.exit("needs PostgreSQL and nats-server: run scripts/setup --test")
    pg = PostgresCluster(bindir)
    pg.start()
    nats = NatsCluster(binary)
    run = BusRun(nats, pg.create_database(), args.data_dir.resolve(), partitions=args.partitions, lease_ttl=6.0)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill PID` stops it like Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    try:
        nats.start()
        run.start(args.workers)
        cli = f"CBEC_DATABASE_URL={run.database_url} CBEC_DATA_DIR={run.data_dir} uv run cbec"
        print(f"PostgreSQL  {run.database_url}\nbus         {nats.url}\nworkers     {[p.pid for p in run.nodes]}")
        print(
            f"load:   uv run cbec generate --orders 2000 --out /tmp/load && {cli} bus submit /tmp/load {' '.join(run.bus_args())}"
        )
        print(f"watch:  {cli} bus status {' '.join(run.bus_args())}   ·   {cli} declarations")
        print("stop:   Ctrl-C", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the workers too: let them stop
        run.stop()
        nats.stop()
        pg.stop()


if __name__ == "__main__":
    main()
