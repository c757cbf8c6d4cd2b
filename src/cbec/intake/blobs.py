"""Content-addressed store for raw submissions under the data directory.

A blob is written to a temporary file and renamed into place, so a reader never sees half a
file; writing the same bytes twice is a no-op. Blobs are never modified or deleted (except by the
personal-data erasure procedure, which records itself).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cbec.kit.files import replace_atomically


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
    replace_atomically(path, data, prefix=".incoming-")
    return digest, path


def get(root: Path, digest: str) -> bytes:
    return blob_path(root, digest).read_bytes()
