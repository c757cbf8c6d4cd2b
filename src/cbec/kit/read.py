"""Building blocks of the typed read models that services return and API routes declare as
their ``response_model``. Pure.

JSON keeps the platform's wire forms: an amount is a plain decimal string (``format(v, "f")``:
"0.00000000", never "0E-8" or a binary float) and a time is ``isoformat()`` ("+00:00", where
Pydantic's default would write "Z"), so typed answers read exactly as the hand-made ones did.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, PlainSerializer

from cbec.kit.paging import PageRequest


def _iso(value: datetime | date) -> str:
    return value.isoformat()


def _plain(value: Decimal) -> str:
    return format(value, "f")


#: a time written as ``isoformat()`` in JSON
Timestamp = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json")]
#: a day written as YYYY-MM-DD in JSON
Day = Annotated[date, PlainSerializer(_iso, return_type=str, when_used="json")]
#: an exact amount written as a plain decimal string in JSON
Amount = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: its items, the total count and where the page is."""

    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int

    @classmethod
    def of(cls, items: list[T], total: int, req: PageRequest) -> Page[T]:
        return cls(
            items=items,
            total=total,
            page=req.page,
            page_size=req.page_size,
            pages=max(1, -(-total // req.page_size)),
        )
