from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, UTCDateTime, utcnow


class MatchResult(Base):
    """The outcome of matching one order with its waybill (and payment), every rule explained.

    Each run adds a row; the newest is current, earlier ones stay as history.
    """

    __tablename__ = "match_result"
    __table_args__ = (
        Index("ix_match_result_current_state", "is_current", "state"),
        Index("ix_match_result_order_current", "order_doc_id", "is_current"),
        # an order's current result by its key: without is_current in the same index, SQLite
        # (no statistics) walks every current result instead (quadratic at 500k orders)
        Index("ix_match_result_order_key_current", "order_key", "is_current"),
        # one current result an order: two writers matching the same order at once (two nodes of
        # the bus while a partition's lease moves) each mark the old result and add their own;
        # without this both stay current and declaring the order fails on its copNo, forever
        Index(
            "ux_match_result_current",
            "order_key",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # export | import
    order_key: Mapped[str] = mapped_column(String(200))
    seller_code: Mapped[str] = mapped_column(String(18), index=True)
    order_doc_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    waybill_doc_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    payment_doc_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    state: Mapped[str] = mapped_column(String(10))  # matched | unmatched | held
    reason: Mapped[str] = mapped_column(String(40), default="")  # first failing rule
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SkuWait(Base):
    """An order waiting for the seller to confirm a SKU's HS code (rule ``hs_confirmed``): one
    row per order and unconfirmed SKU, kept with the order's current match result, so that the
    catalogue can show how many orders each SKU holds and a confirmation re-matches just those."""

    __tablename__ = "sku_wait"
    __table_args__ = (Index("ix_sku_wait_seller_sku", "seller_code", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_key: Mapped[str] = mapped_column(String(200), index=True)
    order_no: Mapped[str] = mapped_column(String(60))
    seller_code: Mapped[str] = mapped_column(String(18))
    sku: Mapped[str] = mapped_column(String(30))
