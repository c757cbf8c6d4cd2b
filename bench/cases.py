"""What the benchmarks that measure cases in processes of their own share: starting a case in a
child process and reading its figures back, the child's side (run the case, add its peak RSS,
print the figures as JSON) and the table of seconds, rows/s, peak RSS and ratio to the floor.

A case runs in a process of its own, started from the small parent: Linux keeps a process's peak
RSS across fork and exec, so a parent that had built the data would lend its peak to all.
Imported by the scripts beside it (``python bench/x.py`` puts this folder first on the path).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Figures = dict[str, Any]


def run_case(script: str, name: str, *args: str, stderr_tail: int = 4000) -> dict[str, Any]:
    """Runs ``script --case NAME ARGS…`` in a child process and returns the figures it printed
    last (one JSON line); a failed case ends the benchmark with the tail of its error output."""
    proc = subprocess.run(
        [sys.executable, script, "--case", name, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"case {name} failed:\n{proc.stderr[-stderr_tail:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(out: dict[str, Any], *, default: Any = str) -> None:
    """The child's side: the case's figures with this process's peak RSS, as one JSON line."""
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, default=default))


def print_table(results: Mapping[str, Mapping[str, Any]], *, name_width: int, rows_width: int) -> None:
    """Seconds, rows, rows/s, peak RSS and the ratio to the ``floor`` case, a case a line."""
    floor = results["floor"]["seconds"]
    print(f"{'case':<{name_width}}{'seconds':>9}{'rows':>{rows_width}}{'rows/s':>12}{'peak RSS MB':>13}{'x floor':>9}")
    for name, r in results.items():
        print(
            f"{name:<{name_width}}{r['seconds']:>9.2f}{r['rows']:>{rows_width},}{r['rows'] / r['seconds']:>12,.0f}"
            f"{r['peak_rss_mb']:>13.0f}{r['seconds'] / floor:>9.1f}"
        )


def measure(
    script: str,
    size_flag: str,
    default: int,
    setup: Callable[[Path, int], Figures],
    cases: Mapping[str, Callable[[Path], Figures]],
    heading: Callable[[int, Figures], str],
) -> dict[str, Figures] | None:
    """The whole run of a benchmark built on a setup and cases sharing a folder: as the child
    (``--case``), runs the one case asked for and reports it, returning None; as the parent, runs
    the setup (of the size ``size_flag`` asks for) and then each case in a temporary folder,
    printing ``heading(size, setup's figures)`` between, and returns the cases' figures by name."""
    ap = argparse.ArgumentParser()
    ap.add_argument(size_flag, type=int, default=default, dest="size")
    ap.add_argument("--case")
    ap.add_argument("--root", type=Path)
    args = ap.parse_args()
    if args.case:
        report(setup(args.root, args.size) if args.case == "setup" else cases[args.case](args.root))
        return None
    with tempfile.TemporaryDirectory() as tmp:
        prepared = run_case(script, "setup", "--root", tmp, size_flag, str(args.size))
        print(heading(args.size, prepared))
        return {name: run_case(script, name, "--root", tmp, size_flag, "0") for name in cases}
