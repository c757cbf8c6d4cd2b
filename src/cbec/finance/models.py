"""Money after the goods: marketplace settlements with their amount rows, FX receipts (收汇) and
each order's reconciled figures (issue 17)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, Money, UTCDateTime, utcnow


class Settlement(Base):
    """One marketplace settlement (Amazon) or payout (Shopify): the money deposited at once."""

    __tablename__ = "settlement"
    __table_args__ = (UniqueConstraint("seller_code", "source", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_code: Mapped[str] = mapped_column(String(18), index=True)
    platform: Mapped[str] = mapped_column(String(18))  # ebpCode the orders were declared under
    source: Mapped[str] = mapped_column(String(20))  # amazon | shopify
    reference: Mapped[str] = mapped_column(String(60))  # settlement-id / Payout ID
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217
    total = mapped_column(Money())
    deposit_date: Mapped[date | None] = mapped_column(Date)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    marketplace: Mapped[str] = mapped_column(String(60), default="")
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox_item.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SettlementLine(Base):
    """One amount component of a settlement, with the bridge category it belongs to."""

    __tablename__ = "settlement_line"
    __table_args__ = (Index("ix_settlement_line_order", "order_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlement.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)  # row of the file, as a spreadsheet numbers it
    transaction_type: Mapped[str] = mapped_column(String(40))
    order_no: Mapped[str] = mapped_column(String(60), default="")
    sku: Mapped[str] = mapped_column(String(60), default="")
    quantity: Mapped[int | None] = mapped_column(Integer)
    amount_type: Mapped[str] = mapped_column(String(60))
    amount_description: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    amount = mapped_column(Money())
    posted: Mapped[date | None] = mapped_column(Date)


class FxReceipt(Base):
    """One receipt of foreign currency by a payment institution or bank (收汇流水)."""

    __tablename__ = "fx_receipt"
    __table_args__ = (UniqueConstraint("provider", "txn_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_code: Mapped[str] = mapped_column(String(18), index=True)
    provider: Mapped[str] = mapped_column(String(60))
    account: Mapped[str] = mapped_column(String(60), default="")
    txn_id: Mapped[str] = mapped_column(String(80))
    value_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    gross = mapped_column(Money())
    fee = mapped_column(Money())
    net = mapped_column(Money())
    cny_amount = mapped_column(Money(), nullable=True)
    rate: Mapped[str] = mapped_column(String(20), default="")
    store_id: Mapped[str] = mapped_column(String(60), default="")
    payout_ref: Mapped[str] = mapped_column(String(60), default="")
    settlement_ref: Mapped[str] = mapped_column(String(60), default="")
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox_item.id"))


class OrderMoney(Base):
    """One declared order's reconciled money as of the last reconciliation (replaced each run)."""

    __tablename__ = "order_money"
    __table_args__ = (
        UniqueConstraint("seller_code", "platform", "order_no"),
        Index("ix_order_money_list", "list_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_code: Mapped[str] = mapped_column(String(18), index=True)
    platform: Mapped[str] = mapped_column(String(18))
    order_no: Mapped[str] = mapped_column(String(60))
    list_id: Mapped[int | None] = mapped_column(Integer)
    invt_no: Mapped[str] = mapped_column(String(20), default="")
    currency: Mapped[str] = mapped_column(String(3))
    declared = mapped_column(Money())
    principal = mapped_column(Money())
    net_settled = mapped_column(Money())
    received_net = mapped_column(Money())
    restored_gross = mapped_column(Money())
    bridge: Mapped[dict[str, Any]] = mapped_column(JSON)  # category → amount text
    settlements: Mapped[list[int]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(14))
    released_on: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
