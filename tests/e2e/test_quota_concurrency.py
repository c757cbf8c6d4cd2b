"""The buyer's annual limit under concurrency (财关税〔2018〕49号: 26,000 CNY a year): fifty
orders of 1,000 CNY of one buyer sent at once over HTTP to a running server, on SQLite and on
PostgreSQL. Exactly 26 are accepted, 24 refused, and the ledger holds the sum of the accepted
orders, never more than the limit: assessments of one buyer run one after the other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from cbec.config import get_settings
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.tax import service as tax
from cbec.unit_of_work import UnitOfWork
from tests.pgcluster import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

SELLER = "91330782MA2DEMN016"
PLATFORM = "91330782MA2DEMP02Y"
BUYER = "110101199003074477"
IN_FLIGHT = 50


def _order(i: int) -> dict[str, Any]:
    return {
        "OrderHead": {"orderNo": f"QUOTA{i:04d}", "ebpCode": PLATFORM, "on": "2026-06-01", "buyerIdNumber": BUYER,
                      "tradeMode": "9610"},
        "OrderList": [{"gnum": 1, "gcode": "3305100000", "itemName": "洗发水 shampoo", "qty": "1", "unit": "011",
                       "price": "1000.00"}],
    }  # fmt: skip


def _serve(data_dir: Path, url: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    # the database by its URL (a --data-dir would choose the SQLite file in that folder); the
    # server's own files go to ./cbec-data beside the test's data directory
    env |= {"CBEC_API_RATE_PER_MINUTE": "0", "CBEC_DATABASE_URL": url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cbec.cli.main",
            "serve",
            "--port",
            str(port),
            "--no-worker",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=data_dir.parent,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return proc, base
        except httpx.HTTPError:
            assert proc.poll() is None and time.monotonic() < deadline, "cbec serve did not start"
            time.sleep(0.2)


def test_fifty_orders_of_one_buyer_at_once_never_pass_the_annual_limit(database_url: str, data_dir: Path) -> None:
    with UnitOfWork(get_settings()) as uow:
        partners.ensure_enterprise(uow.session, EnterpriseCreate(code=PLATFORM, name="示范平台", roles=["ebp"]))
        partners.ensure_enterprise(uow.session, EnterpriseCreate(code=SELLER, name="示范卖家", roles=["ebc"]))
        key = partners.issue_credential(uow.session, SELLER, label="quota").api_key
        uow.commit()
    proc, base = _serve(data_dir, database_url)
    try:

        def send(i: int) -> int:
            r = httpx.post(
                f"{base}/api/v1/tax/imports", json=_order(i), headers={"Authorization": f"Bearer {key}"}, timeout=120
            )
            return r.status_code

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            statuses = list(pool.map(send, range(IN_FLIGHT)))
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert sorted(set(statuses)) == [200, 422], statuses
    accepted, refused = statuses.count(200), statuses.count(422)
    assert (accepted, refused) == (26, 24)
    with UnitOfWork(get_settings()) as uow:
        total = tax.DbLedger(uow.session).used_amount(BUYER, date(2026, 1, 1), date(2026, 12, 31))
    assert total == Decimal(26_000) == accepted * Decimal(1000)
    print(
        f"\n{database_url.split(':', maxsplit=1)[0]}: {IN_FLIGHT} attempts, {accepted} accepted, {refused} refused, ledger {total}"
    )
