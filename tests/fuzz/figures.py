"""The fuzz run's figures, per format: inputs tried, what became of them, wall time. Hooks that
``tests/conftest.py`` re-exports, so the controller of an ``-n 2`` run prints them too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fuzz.harness import FIGURES


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist)
        FIGURES.unlink(missing_ok=True)


def totals() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not FIGURES.exists():
        return out
    for line in FIGURES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        t = out.setdefault(row["format"], {"tried": 0, "seconds": 0.0, "outcomes": {}, "rss": 0})
        t["rss"] = max(t["rss"], row.get("peak_rss_mib", 0))
        t["tried"] += row["tried"]
        t["seconds"] += row["seconds"]
        for k, v in row["outcomes"].items():
            t["outcomes"][k] = t["outcomes"].get(k, 0) + v
    return out


def pytest_terminal_summary(terminalreporter: Any) -> None:
    rows = totals()
    if not rows or hasattr(terminalreporter.config, "workerinput"):
        return
    write = terminalreporter.write_line
    write("")
    write("fuzzing: inputs per format (read = a result, refused = a CbecError), wall seconds, peak RSS of the worker")
    for name, t in sorted(rows.items()):
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(t["outcomes"].items()))
        write(f"  {name:<24}{t['tried']:>7} inputs {t['seconds']:>7.1f} s {t['rss']:>6} MiB   {kinds}")
    write(f"  {'total':<24}{sum(t['tried'] for t in rows.values()):>7} inputs")
