"""Long lists of keys split for ``IN (...)`` queries: databases cap the bound parameters of a
statement (SQLite 32,766, PostgreSQL 65,535), and a short list plans better."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

IN_CHUNK = 500


def in_chunks(values: Iterable[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    """The distinct ``values``, sorted, ``size`` at a time (nothing for no values)."""
    wanted = sorted(set(values))
    for i in range(0, len(wanted), size):
        yield wanted[i : i + size]
