"""The code tables of carriers' events (``data/*.csv``, see data/SOURCES.md), read once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from cbec.logistics.rules import Status


@dataclass(frozen=True, slots=True)
class CodeRow:
    system: str
    code: str
    status: Status
    name_en: str
    name_zh: str
    uncertain: bool


FILES = {"upu": "upu_events.csv", "17track": "track17_statuses.csv"}


def _read(system: str, name: str) -> dict[str, CodeRow]:
    text = resources.files("cbec.logistics.data").joinpath(name).read_text("utf-8")
    rows = csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#"))))
    return {
        r["code"]: CodeRow(system, r["code"], Status(r["status"]), r["name_en"], r["name_zh"], r["uncertain"] == "1")
        for r in rows
    }


@lru_cache(maxsize=1)
def tables() -> dict[str, dict[str, CodeRow]]:
    """Every code system's table: ``upu``, ``17track``, and ``cbec`` (our own statuses as codes)."""
    out = {system: _read(system, name) for system, name in FILES.items()}
    out["cbec"] = {s.value: CodeRow("cbec", s.value, s, s.title_en, s.title_zh, False) for s in Status}
    return out


def status_tables() -> dict[str, dict[str, Status]]:
    return {system: {code: row.status for code, row in rows.items()} for system, rows in tables().items()}
