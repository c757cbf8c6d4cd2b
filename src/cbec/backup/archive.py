"""The backup archive: one gzip tar of the database copy and the data directory's files, with a
manifest (``manifest.json``, the last member, written once every file's sha256 is known).

Reading is two passes over the archive: the first checks every member against the manifest
before anything is written; the second writes, checking each file again as it goes (the file may
have changed between the passes).
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from cbec.errors import InvalidInput

FORMAT = "cbec-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/cbec.sqlite3", "postgresql": "database/cbec.pgdump"}
DATA = "data"
#: the folders of the data directory a backup holds (the database refers to them)
DATA_FOLDERS = ("inbox", "messages", "keys")
_CHUNK = 1 << 20
_MAX_MANIFEST = 256 << 20
_DAMAGED = (tarfile.TarError, EOFError, zlib.error, OSError)


@dataclass(frozen=True)
class Entry:
    path: str
    size: int
    sha256: str


@dataclass
class Manifest:
    cbec_version: str
    created_at: str
    database_kind: str
    alembic_revision: str | None
    tables: dict[str, int]
    files: list[Entry] = field(default_factory=list)

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.database_kind]

    def as_json(self) -> bytes:
        body = {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(self)}
        return json.dumps(body, ensure_ascii=False, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            if body.get("format") != FORMAT:
                raise ValueError("not a cbec backup")
            if int(body["format_version"]) > FORMAT_VERSION:
                raise _refused(
                    f"the archive is of backup format {body['format_version']}, newer than this cbec reads "
                    f"({FORMAT_VERSION}): restore it with a newer cbec",
                    f"备份格式 {body['format_version']} 比本版 cbec 支持的格式（{FORMAT_VERSION}）新：请用更新的 cbec 恢复",
                )
            manifest = cls(
                cbec_version=str(body["cbec_version"]),
                created_at=str(body["created_at"]),
                database_kind=str(body["database_kind"]),
                alembic_revision=body["alembic_revision"],
                tables={str(k): int(v) for k, v in body["tables"].items()},
                files=[Entry(str(e["path"]), int(e["size"]), str(e["sha256"])) for e in body["files"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _refused(
                f"the archive's manifest cannot be read ({exc})", f"无法读取备份清单 manifest.json（{exc}）"
            ) from None
        if manifest.database_kind not in DATABASE_MEMBERS:
            raise _refused(f"unknown database kind {manifest.database_kind!r}", "未知的数据库类型")
        for entry in manifest.files:
            check_member_name(entry.path)
        if manifest.database_member not in {e.path for e in manifest.files}:
            raise _refused("the manifest lists no database copy", "备份清单中没有数据库副本")
        return manifest


def _refused(message_en: str, message_zh: str) -> InvalidInput:
    return InvalidInput(message_en, message_zh, field="file")


def check_member_name(name: str) -> PurePosixPath:
    """A member may only be the database copy or a file under one of the data folders."""
    path = PurePosixPath(name)
    parts = path.parts
    ok = (name in DATABASE_MEMBERS.values()) or (
        not path.is_absolute()
        and len(parts) >= 3
        and parts[0] == DATA
        and parts[1] in DATA_FOLDERS
        and all(p not in ("", ".", "..") for p in parts)
    )
    if not ok:
        raise _refused(f"the archive holds an unexpected member {name!r}", f"备份中有不应出现的条目 {name!r}")
    return path


class _Hashing:
    """A reader that hashes what passes through it (tarfile reads it in chunks)."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        chunk = self.fh.read(n)
        self.digest.update(chunk)
        return chunk


class Writer:
    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.entries: list[Entry] = []
        self.names: set[str] = set()

    def add_file(self, member: str, path: Path) -> Entry | None:
        """Add ``path`` as ``member``; None when the file went away before it was opened (a
        message the e-port client took, a receipt moved to the archive)."""
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below, after tarfile has read it
        except FileNotFoundError:
            return None
        with fh:
            info = tarfile.TarInfo(member)
            stat = os.fstat(fh.fileno())
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), stat.st_mode & 0o777
            reader = _Hashing(fh)
            self.tar.addfile(info, reader)  # tarfile only calls read()
        entry = Entry(member, info.size, reader.digest.hexdigest())
        self.entries.append(entry)
        self.names.add(member)
        return entry

    def add_manifest(self, manifest: Manifest) -> None:
        data = manifest.as_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o644, 0
        with tempfile.TemporaryFile() as tmp:
            tmp.write(data)
            tmp.seek(0)
            self.tar.addfile(info, tmp)


@contextmanager
def writing(out: Path) -> Iterator[Writer]:
    """A new archive at ``out``, which appears only once it is complete."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                yield Writer(tar)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _hash_member(tar: tarfile.TarFile, member: tarfile.TarInfo, sink: IO[bytes] | None = None) -> str:
    fh = tar.extractfile(member)
    if fh is None:
        raise _refused(f"the archive member {member.name!r} is not a file", f"备份条目 {member.name!r} 不是文件")
    digest = hashlib.sha256()
    with fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            if sink is not None:
                sink.write(chunk)
    return digest.hexdigest()


def _damaged(path: Path, exc: BaseException) -> InvalidInput:
    return _refused(
        f"the archive {path} is damaged and cannot be read ({type(exc).__name__}: {exc})",
        f"备份文件 {path} 已损坏，无法读取（{type(exc).__name__}: {exc}）",
    )


def _check_end(tar: tarfile.TarFile, path: Path) -> None:
    """tarfile ends its listing quietly at a damaged header; what follows the end of the listing
    must be the archive's zero padding, read to the end so that gzip checks its CRC."""
    stream = tar.fileobj
    stream.seek(tar.offset)
    while chunk := stream.read(_CHUNK):
        if chunk.count(0) != len(chunk):
            raise _refused(
                f"the archive {path} is damaged: a broken file header at byte {tar.offset} of its contents",
                f"备份文件 {path} 已损坏：内容第 {tar.offset} 字节处的文件头已损坏",
            )


def verify(path: Path) -> Manifest:
    """Read the whole archive and check every file against the manifest; writes nothing."""
    found: dict[str, tuple[int, str]] = {}
    manifest_bytes: bytes | None = None
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                if member.name in found or (member.name == MANIFEST and manifest_bytes is not None):
                    raise _refused(f"the archive holds {member.name!r} twice", f"备份中 {member.name!r} 出现两次")
                if member.name == MANIFEST:
                    fh = tar.extractfile(member)
                    if fh is None or member.size > _MAX_MANIFEST:
                        raise _refused("the archive's manifest is not a file", "备份清单不是文件")
                    manifest_bytes = fh.read()
                    continue
                check_member_name(member.name)
                found[member.name] = (member.size, _hash_member(tar, member))
            _check_end(tar, path)
    except InvalidInput:
        raise
    except _DAMAGED as exc:
        raise _damaged(path, exc) from None
    if manifest_bytes is None:
        raise _refused(
            f"{path} holds no manifest: it is not a cbec backup, or it was cut short",
            f"{path} 中没有备份清单：不是 cbec 备份，或文件不完整",
        )
    manifest = Manifest.from_json(manifest_bytes)
    _compare(manifest, found)
    return manifest


def _compare(manifest: Manifest, found: dict[str, tuple[int, str]]) -> None:
    listed = {e.path for e in manifest.files}
    for entry in manifest.files:
        if entry.path not in found:
            raise _refused(f"{entry.path} is listed in the manifest but missing", f"清单中的 {entry.path} 在备份中缺失")
        size, digest = found[entry.path]
        if (size, digest) != (entry.size, entry.sha256):
            raise _refused(
                f"{entry.path} does not match the manifest (sha256 {digest}, expected {entry.sha256})",
                f"{entry.path} 与备份清单不符（sha256 为 {digest}，应为 {entry.sha256}）",
            )
    extra = sorted(set(found) - listed)
    if extra:
        raise _refused(f"{extra[0]} is in the archive but not in its manifest", f"{extra[0]} 不在备份清单中")


def extract(path: Path, manifest: Manifest, place: Callable[[str], Path]) -> int:
    """Write every file of a verified archive where ``place`` says; returns the bytes written."""
    expected = {e.path: e for e in manifest.files}
    written = 0
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                entry = expected.get(member.name)
                if entry is None:
                    raise _refused(f"{member.name} is not in the manifest", f"{member.name} 不在备份清单中")
                target = place(member.name)
                _write_member(tar, member, entry, target)
                written += entry.size
    except InvalidInput:
        raise
    except _DAMAGED as exc:
        raise _damaged(path, exc) from None
    return written


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, entry: Entry, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    with open(tmp, "wb") as sink:
        os.fchmod(sink.fileno(), member.mode & 0o777)  # a key stays readable by its owner only
        digest = _hash_member(tar, member, sink)
    if digest != entry.sha256:
        tmp.unlink(missing_ok=True)
        raise _refused(
            f"{entry.path} changed while it was restored (sha256 {digest}, expected {entry.sha256})",
            f"{entry.path} 在恢复过程中发生变化（sha256 为 {digest}，应为 {entry.sha256}）",
        )
    os.replace(tmp, target)


def summary(manifest: Manifest) -> dict[str, Any]:
    return {
        "cbec_version": manifest.cbec_version,
        "created_at": manifest.created_at,
        "database": manifest.database_kind,
        "alembic_revision": manifest.alembic_revision,
        "files": len(manifest.files),
        "bytes": sum(e.size for e in manifest.files),
        "rows": sum(manifest.tables.values()),
    }
