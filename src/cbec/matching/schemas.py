"""Read models of matching results, as the API sends them."""

from __future__ import annotations

from pydantic import BaseModel

from cbec.kit.read import Timestamp


class RuleResultRead(BaseModel):
    """One rule of the table applied to an order, with its reason when it failed."""

    rule: str
    passed: bool
    reason_zh: str
    reason_en: str


class MatchRead(BaseModel):
    id: int
    kind: str
    order_key: str
    seller_code: str
    order_doc_id: int
    waybill_doc_id: int | None
    payment_doc_id: int | None
    state: str
    reason: str
    rules: list[RuleResultRead]
    created_at: Timestamp
