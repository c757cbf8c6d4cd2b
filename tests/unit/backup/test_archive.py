"""The archive reader refuses what it must not write: members outside the data folders, members
the manifest does not list, a manifest of a newer format, a file that differs from its sha256."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from cbec.backup import archive
from cbec.errors import InvalidInput

DB = b"SQLite format 3\x00" + bytes(100)


def _manifest(files: dict[str, bytes], **overrides: object) -> bytes:
    body = {
        "format": "cbec-backup",
        "format_version": 1,
        "cbec_version": "0.1.0",
        "created_at": "2026-12-05T00:00:00+00:00",
        "database_kind": "sqlite",
        "alembic_revision": "0011",
        "tables": {"document": 0},
        "files": [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for p, d in files.items()],
    }
    body.update(overrides)
    return json.dumps(body).encode()


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_whole_archive_is_read_back_and_placed(tmp_path: Path) -> None:
    files = {"database/cbec.sqlite3": DB, "data/inbox/ab/abc": b"raw", "data/keys/k.pem": b"key"}
    path = _tar(tmp_path / "a.tar.gz", {**files, "manifest.json": _manifest(files)})
    manifest = archive.verify(path)
    assert [e.path for e in manifest.files] == list(files)
    written = archive.extract(path, manifest, lambda member: tmp_path / "out" / member)
    assert written == sum(len(d) for d in files.values())
    assert (tmp_path / "out" / "data" / "inbox" / "ab" / "abc").read_bytes() == b"raw"


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "/etc/passwd", "data/../../x", "data/sandbox/state.sqlite3", "data/inbox", "notes.txt"]
)
def test_a_member_outside_the_data_folders_is_refused(tmp_path: Path, name: str) -> None:
    files = {"database/cbec.sqlite3": DB, name: b"x"}
    path = _tar(tmp_path / "a.tar.gz", {**files, "manifest.json": _manifest({"database/cbec.sqlite3": DB})})
    with pytest.raises(InvalidInput) as refused:
        archive.verify(path)
    assert refused.value.field == "file" and name in refused.value.message_en


def test_a_member_the_manifest_does_not_list_is_refused(tmp_path: Path) -> None:
    listed = {"database/cbec.sqlite3": DB}
    path = _tar(tmp_path / "a.tar.gz", {**listed, "data/inbox/ab/abc": b"raw", "manifest.json": _manifest(listed)})
    with pytest.raises(InvalidInput, match="not in its manifest"):
        archive.verify(path)


def test_a_file_that_differs_from_the_manifest_is_named(tmp_path: Path) -> None:
    files = {"database/cbec.sqlite3": DB, "data/inbox/ab/abc": b"raw"}
    path = _tar(tmp_path / "a.tar.gz", {**files, "data/inbox/ab/abc": b"rax", "manifest.json": _manifest(files)})
    with pytest.raises(InvalidInput) as refused:
        archive.verify(path)
    assert "data/inbox/ab/abc" in refused.value.message_en and "data/inbox/ab/abc" in refused.value.message_zh


def test_a_newer_format_or_no_manifest_is_refused(tmp_path: Path) -> None:
    files = {"database/cbec.sqlite3": DB}
    newer = _tar(tmp_path / "n.tar.gz", {**files, "manifest.json": _manifest(files, format_version=2)})
    with pytest.raises(InvalidInput, match="newer than this cbec reads"):
        archive.verify(newer)
    bare = _tar(tmp_path / "b.tar.gz", files)
    with pytest.raises(InvalidInput, match="holds no manifest"):
        archive.verify(bare)
    (tmp_path / "x.tar.gz").write_bytes(b"not a tar at all")
    with pytest.raises(InvalidInput, match="damaged"):
        archive.verify(tmp_path / "x.tar.gz")
