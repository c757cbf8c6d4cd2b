"""What risk screening keeps: one trace per screened order (the keys later orders are compared
with) and the hits, each with the person's decision on it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, Money, UTCDateTime, utcnow


class RiskTrace(Base):
    """A screened import order version: digests of its buyer ID, consignee phone and address
    (no personal data in clear), when it was ordered and its 完税价格."""

    __tablename__ = "risk_trace"
    __table_args__ = (
        Index("ix_risk_trace_buyer_at", "buyer_key", "ordered_at"),
        Index("ix_risk_trace_phone_at", "phone_key", "ordered_at"),
        Index("ix_risk_trace_address_at", "address_key", "ordered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_doc_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    seller_code: Mapped[str] = mapped_column(String(18))
    order_no: Mapped[str] = mapped_column(String(60))
    buyer_key: Mapped[str] = mapped_column(String(64))
    phone_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskHit(Base):
    """One rule's hit on one order version, open until a person clears or refuses it."""

    __tablename__ = "risk_hit"
    __table_args__ = (
        Index("ix_risk_hit_order", "order_doc_id"),
        Index("ix_risk_hit_status_seller", "status", "seller_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_doc_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    seller_code: Mapped[str] = mapped_column(String(18))
    ebp_code: Mapped[str] = mapped_column(String(18))
    order_no: Mapped[str] = mapped_column(String(60))
    rule: Mapped[str] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(40))
    message_zh: Mapped[str] = mapped_column(String(1000))
    message_en: Mapped[str] = mapped_column(String(1000))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        String(10), default="open"
    )  # open | query (a price query: not held) | cleared | refused
    decided_by: Mapped[str] = mapped_column(String(60), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskLane(Base):
    """The lane of one list (ASYCUDA selectivity): why (criteria, random or none), the draw and
    rate, the criteria that applied; the sandbox customs reads it."""

    __tablename__ = "risk_lane"
    __table_args__ = (
        UniqueConstraint("direction", "cop_no", name="uq_risk_lane_direction_cop_no"),
        Index("ix_risk_lane_seller", "seller_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cop_no: Mapped[str] = mapped_column(String(60))
    message_type: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(10))
    seller_code: Mapped[str] = mapped_column(String(18))
    order_no: Mapped[str] = mapped_column(String(60), default="")
    lane: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(10))
    best: Mapped[bool] = mapped_column(Boolean, default=False)
    draw: Mapped[float] = mapped_column(Float)
    rate: Mapped[float] = mapped_column(Float)
    criteria: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskStanding(Base):
    """An enterprise's credit standing as last pushed down by the credit area."""

    __tablename__ = "risk_standing"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_code: Mapped[str] = mapped_column(String(18), unique=True)
    grade: Mapped[str | None] = mapped_column(String(4), nullable=True)
    customs_tier: Mapped[str | None] = mapped_column(String(20), nullable=True)
    dishonest: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskPriceRef(Base):
    """The latest declared unit prices of one reference key (a seller's SKU, or an HS subheading
    and origin platform-wide) in one currency and direction: the window the median and MAD of
    the price rule are taken over."""

    __tablename__ = "risk_price_ref"
    __table_args__ = (UniqueConstraint("kind", "key", "currency", "direction", name="uq_risk_price_ref_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # sku | hs_origin
    key: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(10))
    prices: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
