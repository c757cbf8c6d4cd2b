"""A real process kill of the worker in the middle of sending: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from cbec import pipeline
from cbec.catalogue import service as catalogue
from cbec.config import Settings
from cbec.customs.models import Declaration, OutboxMessage
from cbec.customs.rules import State
from cbec.db import migrate
from cbec.matching import service as matching
from cbec.sandbox import SandboxCustoms
from cbec.unit_of_work import UnitOfWork

from ..integration.helpers import PLATFORM, SELLER, as_bytes, export_order, export_waybill, register_partners

pytestmark = pytest.mark.e2e

ORDERS = 1200  # 12 messages of each of CEB303, CEB505, CEB603


def _worker(data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cbec.cli.main",
            "--data-dir",
            str(data_dir),
            "worker",
            "--pace",
            "0.15",
            "--interval",
            "0.2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_killed_worker_restarts_and_every_declaration_ends_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = Settings(data_dir=data_dir)
    migrate(settings.database_url)
    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(ORDERS):
        docs += [export_order(f"K{i:05d}"), export_waybill(f"K{i:05d}", logistics_no=f"LP{i:09d}CN")]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json", rematch=False)
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "MUG-001", "6912001000")
        matching.run_matching(uow.session)
        uow.commit()
    declared = pipeline.declare(settings)
    assert declared["messages"] == 36

    out = pipeline.messages_dir(settings) / "out"
    worker = _worker(data_dir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*.xml"))) < 5:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)  # a real kill, mid-send
    worker.wait(timeout=10)
    sent_at_kill = len(list(out.glob("*.xml")))
    assert 5 <= sent_at_kill < 36, "the kill must land in the middle of sending"

    worker = _worker(data_dir)  # restart: it carries on where the dead one stopped
    deadline = time.monotonic() + 60
    with UnitOfWork(settings) as uow:
        while time.monotonic() < deadline:
            pending = uow.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).all()
            if not pending:
                break
            uow.session.rollback()
            time.sleep(0.2)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=10)

    # exactly one copy of each message is in the out folder, whatever the crash left behind
    files = sorted(out.glob("*.xml"))
    assert len(files) == 36 and not list(out.glob("*.part"))
    with UnitOfWork(settings) as uow:
        names = set(uow.session.scalars(select(OutboxMessage.filename)).all())
    assert {f.name for f in files} == names

    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=1)
    for _ in range(4):
        sandbox.step()
        pipeline.work_once(settings)
    with UnitOfWork(settings) as uow:
        states = Counter(uow.session.scalars(select(Declaration.status)).all())
    # every declaration reached exactly one final state: lists closed, orders and waybills stored
    assert states == {State.CLOSED.value: ORDERS, State.STORED.value: 2 * ORDERS}
    processed = list((pipeline.messages_dir(settings) / "sandbox").rglob("*.xml"))
    assert len(processed) == 36  # customs saw each message once
