"""Page numbers to offsets and back. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int = 1
    page_size: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "page", max(1, self.page))
        object.__setattr__(self, "page_size", min(MAX_PAGE_SIZE, max(1, self.page_size)))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_of(items: list[Any], total: int, req: PageRequest) -> dict[str, Any]:
    return {
        "items": items,
        "total": total,
        "page": req.page,
        "page_size": req.page_size,
        "pages": max(1, -(-total // req.page_size)),
    }
