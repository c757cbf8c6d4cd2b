"""Typed inputs of the risk area (what another area hands it to screen) and the read models of the
risk review, as the API and the review page show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
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


#: the platform's grades (credit area) and the customs tiers of 海关总署令第282号 (in force 2026-04-01)
GRADES = ("AAA", "AA", "A", "BBB", "BB")
CUSTOMS_TIERS = ("高级认证企业", "认证企业", "常规企业", "失信企业", "严重失信企业")


@dataclass(frozen=True)
class CreditStanding:
    """An enterprise's credit standing as the lanes read it; the credit area pushes it down
    whenever it recomputes a grade (risk is below credit)."""

    enterprise_code: str
    grade: str | None  # AAA | AA | A | BBB | BB | None (not rated)
    customs_tier: str | None
    dishonest: bool
    as_of: date


@dataclass(frozen=True)
class ListToLane:
    """A list customs has just stored, to be given its lane."""

    cop_no: str
    message_type: str  # CEB603 | CEB621
    direction: str  # export | import
    seller_code: str
    order_doc_id: int | None


class LaneRead(BaseModel):
    cop_no: str
    message_type: str
    direction: str
    seller_code: str
    order_no: str
    lane: str
    reason: str
    best: bool
    draw: float
    rate: float
    criteria: list[str]
    message_zh: str
    message_en: str
    created_at: Timestamp | None


class LaneShare(BaseModel):
    lane: str
    count: int
    share: float
    expected: float | None
    floor: float | None


class HitCount(BaseModel):
    key: str
    count: int


class RiskOverview(BaseModel):
    """The regulator's risk page: lanes with their shares against the configured rates, and
    hits by rule, seller and day."""

    lanes: list[LaneShare]
    lists: int
    hits_by_rule: list[HitCount]
    hits_by_seller: list[HitCount]
    hits_by_day: list[HitCount]
    lanes_by_day: dict[str, list[HitCount]]


@dataclass(frozen=True)
class LineToCheck:
    """One goods line of a list about to be declared, as the price and list rules read it."""

    order_doc_id: int
    seller_code: str
    ebp_code: str
    order_no: str
    direction: str  # import | export
    sku: str  # itemNo
    gcode: str
    origin: str  # origin country (import) or CN (export)
    currency: str
    price: Decimal
    #: the catalogue's suggestion for the SKU from its description, and its score (0..1)
    suggested: str | None = None
    suggested_score: float | None = None


class ScreenHitRead(BaseModel):
    order_no: str
    rule: str
    field: str
    message_zh: str
    message_en: str
    #: the figures the rule saw (reference price, counts, codes)
    evidence: dict[str, Any]


class ScreenRead(BaseModel):
    """``cbec risk screen``: a seller's received orders screened before declaration (nothing kept)."""

    seller_code: str
    orders_screened: int
    orders_hit: int
    hits: list[ScreenHitRead]
