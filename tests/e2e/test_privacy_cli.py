"""``cbec privacy erase|list|open`` as an operator runs them: the key made beside the data
directory on first use (development), the erasure in the audit trail, the copy opened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import cbec
from tests.integration.helpers import BUYER, PLATFORM, SELLER, import_order

pytestmark = pytest.mark.e2e


def test_erase_list_and_open_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cbec(data, "partner", "add", "--code", SELLER.code, "--name", SELLER.name, "--role", "ebc")
    cbec(data, "partner", "add", "--code", PLATFORM.code, "--name", PLATFORM.name, "--role", "ebp")
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([import_order("IO-CLI-1")], ensure_ascii=False), encoding="utf-8")
    cbec(data, "import", str(orders), "--format", "json", "--seller", SELLER.code, "--platform", PLATFORM.code)

    out = cbec(
        data, "privacy", "erase", "--buyer-id", BUYER["buyerIdNumber"], "--reason", "PIPL 第47条 request 2026-12-05"
    )
    assert out["counts"]["documents"] == 1 and out["counts"]["inbox_blobs_rewritten"] == 1
    key = tmp_path / "data-retention.key"  # development: beside the data directory, never inside it
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    blobs = [p for p in (data / "inbox").rglob("*") if p.is_file()]
    assert blobs and not any(BUYER["buyerIdNumber"].encode() in p.read_bytes() for p in blobs)

    listed = cbec(data, "privacy", "list")
    assert [x["token"] for x in listed["items"]] == [out["token"]]
    opened = cbec(data, "privacy", "open", out["token"], "--reason", "customs audit")
    assert opened["content"]["buyerIdNumber"] == BUYER["buyerIdNumber"]
    trail = cbec(data, "audit", "list")["items"]
    assert [(e["action"], e["target"]) for e in trail[:2]] == [
        ("retention.open", f"erasure:{out['token']}"),
        ("privacy.erase", f"erasure:{out['token']}"),
    ]
    again = cbec(data, "privacy", "erase", "--buyer-id", BUYER["buyerIdNumber"], "--reason", "twice", ok=False)
    assert again["error"] == "not_found"
