"""The erasure's work on files under the data directory: raw inbox blobs and CEB message files.

A file is rewritten beside itself and renamed into place (a reader sees the old or the new
file, never half of one); the old bytes' blocks are then free space of the file system, which
this platform cannot overwrite (docs/privacy.md, limits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cbec.intake import blobs
from cbec.kit.files import replace_atomically
from cbec.privacy.rules import PersonValues, holds_any, redact_bytes

#: inbox formats whose bytes are compressed or binary: a value cannot be found in them as bytes,
#: so their blob is removed instead of rewritten
BINARY_FORMATS = frozenset({"xlsx"})
#: the first bytes of a zip (xlsx) and of a Parquet file
BINARY_MAGIC = (b"PK\x03\x04", b"PAR1")


def replace_file(path: Path, data: bytes) -> None:
    replace_atomically(path, data, prefix=".erasing-")


@dataclass(slots=True)
class BlobOutcome:
    """``new``: the rewritten blob's digest, or None when the blob is to be removed."""

    new: str | None
    size: int
    occurrences: int


def redact_blob(root: Path, digest: str, fmt: str, person: PersonValues) -> BlobOutcome:
    """Write the blob again with the person's values masked, under its new digest; the old blob
    stays until the erasure commits. A binary format, or bytes that still hold a value in a form
    we do not rewrite, mean the blob is removed instead (``new`` None)."""
    path = blobs.blob_path(root, digest)
    if not path.exists():
        return BlobOutcome(None, 0, 0)
    data = path.read_bytes()
    if fmt in BINARY_FORMATS or data[:4] in BINARY_MAGIC:
        return BlobOutcome(None, 0, 0)
    new_data, n = redact_bytes(data, person)
    if holds_any(new_data, person):
        return BlobOutcome(None, 0, n)
    new_digest, _ = blobs.put(root, new_data)
    return BlobOutcome(new_digest, len(new_data), n)


@dataclass(slots=True)
class FileCounts:
    files: int = 0
    occurrences: int = 0
    folders: dict[str, int] = field(default_factory=dict)


def redact_messages(messages_dir: Path, person: PersonValues) -> FileCounts:
    """Every CEB message file under the message folders (out, in, archive/sent, received,
    rejected, and the sandbox's) rewritten with the person's values masked."""
    counts = FileCounts()
    if not messages_dir.exists():
        return counts
    for path in sorted(messages_dir.rglob("*.xml")):
        data = path.read_bytes()
        if not holds_any(data, person):
            continue
        new_data, n = redact_bytes(data, person)
        replace_file(path, new_data)
        counts.files += 1
        counts.occurrences += n
        top = path.relative_to(messages_dir).parts[0]
        counts.folders[top] = counts.folders.get(top, 0) + 1
    return counts


def remove_blobs(root: Path, digests: list[str]) -> int:
    removed = 0
    for digest in digests:
        path = blobs.blob_path(root, digest)
        if path.exists():
            path.unlink()
            removed += 1
    return removed
