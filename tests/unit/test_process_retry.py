"""A submission is read again when another writer won a race on the same documents (a unique
index refused the second current match result, migration 0020), and not more than
``PROCESS_ATTEMPTS`` times."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from cbec import pipeline


def _racing(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[int]:
    calls: list[int] = []

    def once(*args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        calls.append(1)
        if len(calls) <= failures:
            raise IntegrityError("INSERT INTO match_result …", {}, Exception("duplicate key"))
        return "report", {"documents": 1}

    monkeypatch.setattr(pipeline, "_process_once", once)
    return calls


def test_a_lost_race_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _racing(monkeypatch, failures=1)
    assert pipeline.process_accepted(None, None, None) == ("report", {"documents": 1})  # type: ignore[arg-type]
    assert len(calls) == 2


def test_a_race_lost_every_time_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _racing(monkeypatch, failures=99)
    with pytest.raises(IntegrityError):
        pipeline.process_accepted(None, None, None)  # type: ignore[arg-type]
    assert len(calls) == pipeline.PROCESS_ATTEMPTS
