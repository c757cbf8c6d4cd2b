"""How messages reach customs and receipts come back: the e-port client's folders.

China E-port's client software (and every vendor's "传输客户端") works on folders: the enterprise
drops a message file into an *out* folder, the client sends it and removes it; receipts appear
as files in an *in* folder. ``FolderTransport`` is that contract, on the platform's side:

* ``send`` writes ``out/<name>.xml`` atomically (a ``.part`` file renamed into place, after an
  fsync), so the client never sees half a file; a copy is kept first under
  ``archive/sent/YYYYMMDD/`` so every message sent can be read back as a file.
* ``receive`` lists ``in/`` (never ``.part`` files), and ``ack`` moves a processed receipt into
  ``archive/received/YYYYMMDD/`` — moved, never deleted. A receipt that cannot be read is moved
  to ``archive/rejected/YYYYMMDD/`` with a ``.why.txt`` beside it.

The same folders are read from the other side by the sandbox customs (``cbec sandbox``) or by
the real e-port client in production. Layout under the data directory::

    messages/out/        messages waiting to be picked up
    messages/in/         receipts waiting to be applied
    messages/archive/sent/YYYYMMDD/       every message we sent
    messages/archive/received/YYYYMMDD/   every receipt we applied
    messages/archive/rejected/YYYYMMDD/   receipts we could not read, with the reason
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

PART_SUFFIX = ".part"


class Transport(Protocol):
    def send(self, name: str, data: bytes) -> Path: ...

    def receive(self, limit: int | None = None) -> Iterator[Incoming]: ...

    def ack(self, item: Incoming) -> Path: ...

    def reject(self, item: Incoming, reason: str) -> Path: ...


@dataclass(frozen=True, slots=True)
class Incoming:
    path: Path
    name: str

    def read(self) -> bytes:
        return self.path.read_bytes()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` so that readers see the whole file or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + PART_SUFFIX)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _day(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%d")


def _move(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / src.name
    n = 1
    while target.exists():  # a file of the same name was archived before: keep both
        target = folder / f"{src.stem}.{n}{src.suffix}"
        n += 1
    os.replace(src, target)
    return target


def ready_files(folder: Path, limit: int | None = None) -> list[Path]:
    """Complete files in a folder, oldest first (``.part`` files are still being written)."""
    if not folder.exists():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.endswith(PART_SUFFIX)]
    files.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
    return files[:limit] if limit is not None else files


class FolderTransport:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.out_dir = root / "out"
        self.in_dir = root / "in"
        self.archive = root / "archive"
        for d in (self.out_dir, self.in_dir, self.archive):
            d.mkdir(parents=True, exist_ok=True)

    def send(self, name: str, data: bytes) -> Path:
        """Archive a copy, then hand the message to the client. Sending the same name again
        overwrites the waiting file (a resend after a crash), never duplicates it."""
        atomic_write(self.archive / "sent" / _day() / name, data)
        target = self.out_dir / name
        atomic_write(target, data)
        return target

    def receive(self, limit: int | None = None) -> Iterator[Incoming]:
        for path in ready_files(self.in_dir, limit):
            yield Incoming(path, path.name)

    def ack(self, item: Incoming) -> Path:
        return _move(item.path, self.archive / "received" / _day())

    def reject(self, item: Incoming, reason: str) -> Path:
        target = _move(item.path, self.archive / "rejected" / _day())
        target.with_name(target.name + ".why.txt").write_text(reason, encoding="utf-8")
        return target
