"""Typed inputs of the risk area (what another area hands it to screen) and the read models of the
risk review, as the API and the review page show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class ImportToScreen:
    """One matched import order version as the risk rules read it (CEB311 names in comments).

    ``order_time``/``pay_time`` are the texts as received (YYYYMMDDhhmmss, China time), read by
    ``rules.order_time``; amounts stay text too, read leniently (an unreadable one counts 0)."""

    order_doc_id: int
    seller_code: str
    ebp_code: str  # ebpCode
    order_no: str  # orderNo
    buyer_id_number: str  # buyerIdNumber
    telephone: str  # consigneeTelephone
    address: str  # consigneeAddress
    order_time: str  # orderTime
    pay_time: str  # the payment's payTime
    received_at: datetime
    goods_value: object = None  # goodsValue
    freight: object = None
    insured_fee: object = None  # insuredFee
