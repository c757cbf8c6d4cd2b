from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, UTCDateTime, utcnow


class Product(Base):
    """A seller's product record (商品备案): SKU → HS code, names, legal units, origin."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("seller_code", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_code: Mapped[str] = mapped_column(String(18))
    sku: Mapped[str] = mapped_column(String(30))
    name_en: Mapped[str] = mapped_column(String(250), default="")
    name_zh: Mapped[str] = mapped_column(String(250), default="")
    hs_code: Mapped[str | None] = mapped_column(String(10))
    hs_status: Mapped[str] = mapped_column(String(10), default="none")  # none | suggested | confirmed
    hs_score: Mapped[str | None] = mapped_column(String(12))
    hs_matched_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    hs_candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    unit1: Mapped[str | None] = mapped_column(String(3))  # first legal unit
    unit2: Mapped[str | None] = mapped_column(String(3))  # second legal unit
    origin_country: Mapped[str | None] = mapped_column(String(3))
    confirmed_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
