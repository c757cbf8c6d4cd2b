"""Typed read models write amounts and times in JSON as the hand-made answers did."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import BaseModel

from cbec.kit.paging import PageRequest
from cbec.kit.read import Amount, Day, Page, Timestamp
from cbec.statistics.schemas import PeriodRead


class _Row(BaseModel):
    amount: Amount
    at: Timestamp
    at_or_none: Timestamp | None = None
    day: Day


def test_amounts_are_plain_decimal_strings_and_times_isoformat() -> None:
    row = _Row(amount=Decimal("25.00"), at=datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC), day=date(2026, 1, 2))
    assert row.model_dump(mode="json") == {
        "amount": "25.00",
        "at": "2026-01-02T03:04:05.006000+00:00",
        "at_or_none": None,
        "day": "2026-01-02",
    }
    zero = _Row(amount=Decimal("0E-8"), at=datetime(2026, 1, 2), day=date(2026, 1, 2))
    assert zero.model_dump(mode="json")["amount"] == "0.00000000"
    assert zero.model_dump(mode="json")["at"] == "2026-01-02T00:00:00"
    assert zero.model_dump()["amount"] == Decimal("0E-8")  # Python mode keeps the Decimal


def test_a_page_counts_its_pages() -> None:
    page = Page[int].of([1, 2], 101, PageRequest(2, 50))
    assert page.model_dump() == {"items": [1, 2], "total": 101, "page": 2, "page_size": 50, "pages": 3}
    assert Page[int].of([], 0, PageRequest(1, 50)).pages == 1


def test_the_period_is_from_and_to_in_json() -> None:
    period = PeriodRead.model_validate({"from": date(2026, 1, 1), "to": date(2026, 1, 31), "today": date(2026, 2, 1)})
    assert period.start == date(2026, 1, 1)
    assert period.model_dump(mode="json", by_alias=True) == {
        "from": "2026-01-01",
        "to": "2026-01-31",
        "today": "2026-02-01",
    }
