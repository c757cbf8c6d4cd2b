"""Backing up and restoring the platform: the database and the data directory's files it refers
to (the inbox's raw blobs, the message folders, the signing keys), in one verified archive.

A backup runs while the platform works. Its order makes the copy one consistent state:

1. the receipts waiting in ``messages/in`` are taken first, and the names already under
   ``messages/archive/received`` noted;
2. then the database is copied (one snapshot);
3. then the inbox, the other message folders and the keys.

Blobs are written before their inbox row commits and never change, so every submission in the
copied database finds its blob (a blob newer than the copy is kept too, as after a crash
between the two). A receipt applied after the copy, which the live worker has moved to the
archive, goes back into ``messages/in`` in the backup: receipts are applied once by their
sha256, so the restored worker applies it if the copy did not have it and only archives it if
it did. A message sent after the copy is found in ``messages/out`` and is written again under the
same name by the restored worker (as after a crash).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cbec import __version__
from cbec.backup import archive, repository
from cbec.backup.archive import DATA, DATA_FOLDERS, DATABASE_MEMBERS, Manifest, Writer
from cbec.config import Settings
from cbec.db import is_known_revision, migrate
from cbec.errors import Conflict, InvalidInput

_RECEIVED = "messages/archive/received"
_IN = "messages/in"
#: what a backup walks after the database copy (``messages/sandbox`` is customs' side: not ours)
_AFTER_COPY = ("inbox", "messages/out", "messages/archive", "keys")


def _files(root: Path) -> list[Path]:
    """Complete files under ``root`` (never the ``.part``/``.incoming-`` files being written)."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(".part") or name.startswith(".incoming-"):
                continue
            found.append(Path(folder) / name)
    return found


def _sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def _check_out(settings: Settings, out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise Conflict(
            f"{out} exists already: choose another file or pass --force to overwrite it",
            f"{out} 已存在：请换一个文件名，或加 --force 覆盖",
            field="out",
        )
    if out.is_dir():
        raise InvalidInput(f"{out} is a folder, not a file", f"{out} 是文件夹而不是文件", field="out")
    for folder in DATA_FOLDERS:
        if out.is_relative_to(settings.data_dir / folder):
            raise InvalidInput(
                f"{out} is inside the data directory's {folder} folder, which the backup copies",
                f"{out} 位于数据目录的 {folder} 文件夹中，而备份会复制该文件夹",
                field="out",
            )


def back_up(settings: Settings, out: Path, *, force: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Write one archive of the database and its files to ``out`` while the platform may run."""
    out = out.expanduser().resolve()
    _check_out(settings, out, force)
    url, data = settings.database_url, settings.data_dir
    kind = repository.kind_of(url)
    created_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    with archive.writing(out) as writer, tempfile.TemporaryDirectory(dir=out.parent, prefix=".cbec-backup-") as tmp:
        received_before = {p.relative_to(data).as_posix() for p in _files(data / _RECEIVED)}
        waiting = {}
        for path in _files(data / _IN):
            entry = writer.add_file(f"{DATA}/{path.relative_to(data).as_posix()}", path)
            if entry:
                waiting[entry.sha256] = entry.path
        copy = Path(tmp) / "database"
        if kind == repository.SQLITE:
            state = repository.snapshot_sqlite(url, copy)
        else:
            state = repository.dump_postgres(url, copy)
        writer.add_file(DATABASE_MEMBERS[kind], copy)
        for folder in _AFTER_COPY:
            for path in _files(data / folder):
                _add_after_copy(writer, data, path, received_before, waiting)
        manifest = Manifest(
            cbec_version=__version__,
            created_at=created_at,
            database_kind=kind,
            alembic_revision=state.alembic_revision,
            tables=state.tables,
            files=list(writer.entries),
        )
        writer.add_manifest(manifest)
    return {"out": str(out), "archive_bytes": out.stat().st_size, "tables": state.tables} | archive.summary(manifest)


def _add_after_copy(writer: Writer, data: Path, path: Path, received_before: set[str], waiting: dict[str, str]) -> None:
    rel = path.relative_to(data).as_posix()
    if not rel.startswith(_RECEIVED + "/") or rel in received_before:
        writer.add_file(f"{DATA}/{rel}", path)
        return
    # applied while the backup ran, perhaps after the database copy: back to the waiting receipts
    digest = _sha256(path)
    if digest is None or digest in waiting:
        return
    member = f"{DATA}/{_IN}/{path.name}"
    n = 1
    while member in writer.names:
        member = f"{DATA}/{_IN}/{path.stem}.{n}{path.suffix}"
        n += 1
    entry = writer.add_file(member, path)
    if entry:
        waiting[entry.sha256] = entry.path


def _check_target(settings: Settings, source: Path) -> str:
    if not source.is_file():
        raise InvalidInput(f"there is no backup file at {source}", f"备份文件 {source} 不存在", field="file")
    data = settings.data_dir
    if data.exists() and (not data.is_dir() or any(data.iterdir())):
        raise Conflict(
            f"the data directory {data} is not empty: restore into an empty or new data directory",
            f"数据目录 {data} 不是空的：请恢复到空的或新的数据目录",
            field="data_dir",
        )
    kind = repository.kind_of(settings.database_url)
    repository.ensure_empty(settings.database_url)
    return kind


def _check_manifest(manifest: Manifest, kind: str, url: str) -> None:
    if manifest.database_kind != kind:
        raise InvalidInput(
            f"the backup holds a {manifest.database_kind} database and the target is {kind}: set "
            "CBEC_DATABASE_URL to an empty database of the same kind",
            f"备份中的数据库为 {manifest.database_kind}，目标为 {kind}：请将 CBEC_DATABASE_URL 设为同类的空数据库",
            field="database_url",
        )
    if not is_known_revision(url, manifest.alembic_revision):
        raise InvalidInput(
            f"the backup's schema revision {manifest.alembic_revision} is newer than this cbec "
            f"({__version__}) knows: restore it with the cbec that made it ({manifest.cbec_version}) or newer",
            f"备份的数据库结构版本 {manifest.alembic_revision} 比本版 cbec（{__version__}）新："
            f"请用生成该备份的 cbec（{manifest.cbec_version}）或更新版本恢复",
            field="file",
        )


def _check_counts(manifest: Manifest, url: str) -> None:
    restored = repository.state_of(url).tables
    for table in sorted(set(manifest.tables) | set(restored)):
        if restored.get(table) != manifest.tables.get(table):
            raise Conflict(
                f"table {table} holds {restored.get(table)} rows after the restore, the backup "
                f"recorded {manifest.tables.get(table)}",
                f"恢复后表 {table} 有 {restored.get(table)} 行，备份记录为 {manifest.tables.get(table)} 行",
                field=table,
            )


def restore(settings: Settings, source: Path) -> dict[str, Any]:
    """Restore an archive into an empty data directory (and, for PostgreSQL, an empty database),
    after checking every file against the manifest; then bring the schema to this cbec's head."""
    source = source.expanduser().resolve()
    url, data = settings.database_url, settings.data_dir
    kind = _check_target(settings, source)
    manifest = archive.verify(source)  # nothing is written before this passes
    _check_manifest(manifest, kind, url)
    data.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data.parent, prefix=".cbec-restore-") as tmp:
        copy = Path(tmp) / "database"

        def place(member: str) -> Path:
            return copy if member == manifest.database_member else data / member.removeprefix(DATA + "/")

        written = archive.extract(source, manifest, place)
        if kind == repository.SQLITE:
            repository.restore_sqlite(copy, url)
        else:
            repository.restore_postgres(copy, url)
    _check_counts(manifest, url)
    migrate(url)
    return {
        "data_dir": str(data),
        "restored_bytes": written,
        "tables": manifest.tables,
        "migrated_to": repository.state_of(url).alembic_revision,
    } | archive.summary(manifest)
