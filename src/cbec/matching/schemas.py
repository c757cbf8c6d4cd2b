"""Read models of matching results, as the API sends them."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class MatchedOrder:
    """A matched order as the partitioned bus routes it to declaring (docs/decisions/0015)."""

    order_key: str  # the order document's key, ``ebpCode=…|orderNo=…``
    kind: str  # export | import
    platform_code: str
    order_no: str
    buyer_id_number: str  # imports only: the tax step is keyed by the buyer
