"""The property every parser keeps, whatever it is given: it returns a result whose every error
names its document or row and its field in Chinese and English, or it raises a ``CbecError`` with
both messages; never another exception, never past a time bound.

``CBEC_FUZZ_EXAMPLES`` sets the examples per format (default 300; e.g. 5000 for a long run).
Each test counts its inputs and wall time in ``test-artifacts/fuzz/figures.jsonl``; the
``tests/fuzz`` conftest prints them per format at the end of the run."""

from __future__ import annotations

import json
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from cbec.errors import CbecError, FieldError

EXAMPLES = int(os.environ.get("CBEC_FUZZ_EXAMPLES", "300"))
#: Hypothesis's per-example deadline; the hard guard below stops a hang Hypothesis cannot see
DEADLINE_MS = 4000
HARD_TIMEOUT_S = 20
#: the test process's peak resident memory may not pass this (inputs are at most ~1 MB)
MAX_RSS_MIB = 2048
FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz" / "figures.jsonl"

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=DEADLINE_MS,
    derandomize=os.environ.get("CBEC_FUZZ_RANDOM") is None,  # the same inputs every run unless asked
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,  # the tally counts across examples on purpose
    ],
    print_blob=True,
)


class Hang(BaseException):
    """An input kept a parser busy past HARD_TIMEOUT_S."""


@contextmanager
def hard_timeout(seconds: float = HARD_TIMEOUT_S) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Tally:
    """How many inputs one format was given, and what became of them."""

    format: str
    tried: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def count(self, outcome: str) -> None:
        self.tried += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def write(self) -> None:
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        line = {"format": self.format, "tried": self.tried, "seconds": round(time.perf_counter() - self.started, 2)}
        line["peak_rss_mib"] = peak_rss_mib()
        with FIGURES.open("a", encoding="utf-8") as out:
            out.write(json.dumps({**line, "outcomes": self.outcomes}) + "\n")


def peak_rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux


def assert_named(error: FieldError, *, where: bool = True) -> None:
    """A per-row error a person can act on: which document or row, which field, both languages."""
    if where:
        assert error.document or error.line is not None, error
    assert error.field, error
    assert error.message_en.strip() and error.message_zh.strip(), error


def assert_refusal(exc: CbecError) -> None:
    assert exc.message_en.strip() and exc.message_zh.strip(), repr(exc)
    assert "Traceback" not in exc.message_en, exc.message_en
    json.dumps(exc.as_dict(), default=str)  # what the API renders


def outcome(run: Callable[[], Any]) -> tuple[str, Any]:
    """("read", result) or ("refused", None); anything else fails the test with the input."""
    with hard_timeout():
        try:
            return "read", run()
        except CbecError as exc:
            assert_refusal(exc)
            return "refused", None


def _decimal_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not JSON-able: {type(value).__name__}")


def plain(value: Any) -> str:
    """What intake stores must be JSON, Decimals as their text (as ``intake.service`` stores it)."""
    return json.dumps(value, default=_decimal_text, ensure_ascii=False)
