"""The CLI as a user runs it: ``python -m cbec.cli.main`` in a process of its own, on a data
directory, without the ``CBEC_`` settings of the environment the tests run in, answering one
JSON object (``--json``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SELLER = "91330782MA2DEMN016"
PLATFORM = "91330782MA2DEMP02Y"


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its ``CBEC_`` settings, with ``extra`` on top."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")} | dict(extra or {})


def cbec(
    data_dir: Path,
    *args: str,
    ok: bool = True,
    env: Mapping[str, str] | None = None,
    last_line: bool = False,
    timeout: float = 900,
) -> dict[str, Any]:
    """``cbec --data-dir DATA ARGS… --json``: asserts it succeeded (or failed, ``ok=False``) and
    printed exactly one JSON line (or, ``last_line``, takes the last of the lines it printed), and
    returns the object. ``env`` adds settings to the clean environment."""
    proc = subprocess.run(
        [sys.executable, "-m", "cbec.cli.main", "--data-dir", str(data_dir), *args, "--json"],
        capture_output=True,
        text=True,
        env=clean_env(env),
        check=False,
        timeout=timeout,
    )
    assert (proc.returncode == 0) is ok, proc.stderr[-3000:] + proc.stdout[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if not last_line:
        assert len(lines) == 1, f"expected exactly one JSON line on stdout, got: {proc.stdout[:2000]}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result
