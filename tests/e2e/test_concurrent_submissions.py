"""Partners submit at the same time: a served platform takes 24 single-document submissions in
flight at once and answers every one. Each submission runs intake's own units of work beside the
request's; when the request kept its connection after authenticating, and the import ran on the
event loop, 16 such requests exhausted the connection pool and the server stood still until the
pool's timeout, answering 500."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest

from cbec.config import Settings
from cbec.db import migrate
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.unit_of_work import UnitOfWork
from tests.pgcluster import free_port

pytestmark = pytest.mark.e2e

SELLER = "91330782MA2DEMN016"
PLATFORM = "91330782MA2DEMP02Y"
IN_FLIGHT = 24


def _order(i: int) -> dict[str, object]:
    return {
        "type": "export_order",
        "head": {
            "orderType": "E", "orderNo": f"CONC{i:06d}", "ebpCode": PLATFORM, "ebpName": "义乌示范跨境电商平台有限公司",
            "ebcCode": SELLER, "ebcName": "义乌示范礼品家居有限公司", "goodsValue": "25.00", "freight": "5",
            "currency": "502", "orderTime": "20261123101500", "destinationCountry": "502",
        },
        "lines": [{"gnum": 1, "itemNo": "MUG-001", "itemName": "陶瓷马克杯 ceramic mug", "qty": "2", "unit": "011",
                   "price": "12.50", "totalPrice": "25.00", "currency": "502"}],
    }  # fmt: skip


def _api_key(data_dir: Path) -> str:
    settings = Settings(data_dir=data_dir, database_url="")
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    with UnitOfWork(settings) as uow:
        partners.ensure_enterprise(
            uow.session, EnterpriseCreate(code=PLATFORM, name="义乌示范跨境电商平台", roles=["ebp"])
        )
        partners.ensure_enterprise(uow.session, EnterpriseCreate(code=SELLER, name="义乌示范礼品家居", roles=["ebc"]))
        key = partners.issue_credential(uow.session, SELLER, label="concurrency").api_key
        uow.commit()
    return key


def test_two_dozen_submissions_in_flight_are_all_answered(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    key = _api_key(data_dir)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")} | {"CBEC_API_RATE_PER_MINUTE": "0"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cbec.cli.main",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--no-worker",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, "cbec serve did not start"
                time.sleep(0.2)

        def submit(i: int) -> int:
            r = httpx.post(f"{base}/api/v1/documents", json=_order(i), headers=headers, timeout=120)
            return r.status_code

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            statuses = list(pool.map(submit, range(IN_FLIGHT)))
        assert statuses == [201] * IN_FLIGHT
        listed = httpx.get(f"{base}/api/v1/documents", params={"page_size": 100}, headers=headers, timeout=30)
        assert listed.status_code == 200
        assert sorted(d["order_no"] for d in listed.json()["items"]) == [f"CONC{i:06d}" for i in range(IN_FLIGHT)]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
