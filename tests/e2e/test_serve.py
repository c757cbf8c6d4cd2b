"""`cbec serve` as a user runs it: it serves, prints its address, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.pgcluster import free_port

pytestmark = pytest.mark.e2e


def test_serve_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cbec.cli.main", "serve", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "cbec serve did not start"
                time.sleep(0.2)
        assert r.json() == {"status": "ok"}
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "登录" in login.text
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=5).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert f"http://127.0.0.1:{port}/" in out
    assert "stopped" in out
