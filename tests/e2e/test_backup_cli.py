"""``cbec backup`` and ``cbec restore`` as a user runs them: real processes, one JSON object each,
a backup taken while another process imports, and the refusals that keep data safe."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.cli import PLATFORM, SELLER, cbec
from tests.integration.helpers import export_order, export_waybill

pytestmark = pytest.mark.e2e


def _orders(prefix: str, n: int) -> bytes:
    docs = []
    for i in range(n):
        order = export_order(f"{prefix}{i:05d}")
        order["head"].update(ebpCode=PLATFORM, ebcCode=SELLER)
        waybill = export_waybill(f"{prefix}{i:05d}", logistics_no=f"LP{i:09d}CN")
        waybill["head"]["ebpCode"] = PLATFORM
        docs += [order, waybill]
    return json.dumps(docs).encode()


def _status(data: Path) -> dict[str, object]:
    out = cbec(data, "status")
    out.pop("data_dir")
    return out


def test_backup_then_restore_into_a_new_directory(registered: Path, tmp_path: Path) -> None:
    path = tmp_path / "orders.json"
    path.write_bytes(_orders("E2E", 20))
    cbec(registered, "import", str(path), "--seller", SELLER, "--platform", PLATFORM)
    archive = tmp_path / "cbec-backup.tar.gz"
    made = cbec(registered, "backup", "--out", str(archive))
    assert made["database"] == "sqlite" and made["tables"]["document"] == 40 and archive.is_file()
    again = cbec(registered, "backup", "--out", str(archive), ok=False)
    assert (again["error"], again["field"]) == ("conflict", "out") and "--force" in again["message_en"]
    assert cbec(registered, "backup", "--out", str(archive), "--force")["rows"] == made["rows"]

    restored_dir = tmp_path / "restored"
    restored = cbec(restored_dir, "restore", str(archive))
    assert restored["rows"] == made["rows"] and restored["migrated_to"] == made["alembic_revision"]
    assert _status(restored_dir) == _status(registered)
    blob = hashlib.sha256(path.read_bytes()).hexdigest()
    assert (restored_dir / "inbox" / blob[:2] / blob).read_bytes() == path.read_bytes()

    twice = cbec(restored_dir, "restore", str(archive), ok=False)
    assert (twice["error"], twice["field"]) == ("conflict", "data_dir") and str(restored_dir) in twice["message_en"]
    assert "数据目录" in twice["message_zh"]

    damaged = tmp_path / "damaged.tar.gz"
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 3] ^= 0x10
    damaged.write_bytes(bytes(raw))
    refused = cbec(tmp_path / "never", "restore", str(damaged), ok=False)
    assert (refused["error"], refused["field"]) == ("invalid_input", "file")
    assert not (tmp_path / "never").exists()


def test_text_output_of_both_commands(registered: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    archive = tmp_path / "b.tar.gz"
    for args in (["--data-dir", str(registered), "backup", "--out", str(archive)],
                 ["--data-dir", str(tmp_path / "r"), "restore", str(archive)]):  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-m", "cbec.cli.main", *args], capture_output=True, text=True, env=env, check=False
        )
        assert proc.returncode == 0, proc.stderr
        assert "备份" in proc.stdout or "恢复" in proc.stdout


def test_a_backup_taken_while_another_process_imports(registered: Path, tmp_path: Path) -> None:
    """``cbec import`` of 2,000 orders and waybills runs in its own process while ``cbec backup``
    is run again and again: every restored copy holds the submission whole (its blob, every
    document) or without its documents, never in part."""
    path = tmp_path / "big.json"
    path.write_bytes(_orders("BIG", 2000))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    importer = subprocess.Popen(
        [sys.executable, "-m", "cbec.cli.main", "--data-dir", str(registered), "import", str(path),
         "--seller", SELLER, "--platform", PLATFORM, "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    archives = []
    while importer.poll() is None and len(archives) < 6:
        archive = tmp_path / f"during-{len(archives)}.tar.gz"
        cbec(registered, "backup", "--out", str(archive))
        archives.append((archive, importer.poll() is None))
    _, err = importer.communicate(timeout=600)
    assert importer.returncode == 0, err[-2000:]
    assert any(running for _, running in archives), "no backup finished while the import ran"
    blob = hashlib.sha256(path.read_bytes()).hexdigest()
    for n, (archive, _) in enumerate(archives):
        target = tmp_path / f"restored-{n}"
        cbec(target, "restore", str(archive))
        status = _status(target)
        documents = status["documents"].get("export_order", {}).get("valid", 0)  # type: ignore[union-attr]
        assert documents in (0, 2000), f"backup {n} holds {documents} of the 2,000 orders"
        if status["submissions"]:
            assert (target / "inbox" / blob[:2] / blob).is_file()
        else:
            assert documents == 0
