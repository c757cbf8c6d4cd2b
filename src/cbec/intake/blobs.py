"""Content-addressed store for raw submissions under the data directory.

A blob is written to a temporary file and renamed into place, so a reader never sees half a
file; writing the same bytes twice is a no-op. Blobs are never modified or deleted (except by the
personal-data erasure procedure, which records itself).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(root: Path, digest: str) -> Path:
    return root / digest[:2] / digest


def put(root: Path, data: bytes, digest: str | None = None) -> tuple[str, Path]:
    digest = digest or sha256_hex(data)
    path = blob_path(root, digest)
    if path.exists():
        return digest, path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest, path


def get(root: Path, digest: str) -> bytes:
    return blob_path(root, digest).read_bytes()
