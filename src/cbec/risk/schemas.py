"""Read models of the risk review, as the API and the review page show them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cbec.kit.read import Timestamp


class RiskHitRead(BaseModel):
    """A hit held for review, explained in both languages, and the decision once made."""

    id: int
    order_no: str
    seller_code: str
    ebp_code: str
    rule: str
    field: str
    message_zh: str
    message_en: str
    #: the figures the rule saw (JSON as stored with the hit)
    detail: dict[str, Any]
    status: str
    decided_by: str
    decided_at: Timestamp | None
    note: str
    created_at: Timestamp | None
