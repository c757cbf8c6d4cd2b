"""Declarations to customs, their status history, the outbox of messages and the receipts log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, Money, UTCDateTime, utcnow


class Declaration(Base):
    """One business entity declared to customs (a list, an order, a waybill, a summary …).

    ``cop_no`` is our own number for it (企业内部编号), unique per message type: declaring the
    same thing twice finds the existing row instead of making a second declaration.
    """

    __tablename__ = "declaration"
    __table_args__ = (
        UniqueConstraint("message_type", "cop_no"),
        Index("ix_declaration_status", "status"),
        Index("ix_declaration_order", "ebp_code", "order_no"),
        Index("ix_declaration_seller_created", "seller_code", "created_at"),
        Index("ix_declaration_order_doc", "order_doc_id"),
        Index("ix_declaration_outbox", "outbox_id"),  # marking a message's declarations sent
        Index("ix_declaration_invt_no", "invt_no"),  # receipts and stock naming customs' number
        Index("ix_declaration_related", "related_id"),  # a list's cancellations and returns
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_type: Mapped[str] = mapped_column(String(10))  # CEB603, CEB303, CEB701 …
    direction: Mapped[str] = mapped_column(String(6))  # export | import
    trade_mode: Mapped[str] = mapped_column(String(4), default="")
    cop_no: Mapped[str] = mapped_column(String(60))
    guid: Mapped[str] = mapped_column(String(36), unique=True)
    seller_code: Mapped[str] = mapped_column(String(18))
    ebp_code: Mapped[str] = mapped_column(String(18), default="")
    order_no: Mapped[str] = mapped_column(String(60), default="")
    logistics_no: Mapped[str] = mapped_column(String(60), default="")
    country: Mapped[str] = mapped_column(String(3), default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    total_value = mapped_column(Money(), nullable=True)
    order_doc_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    waybill_doc_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    payment_doc_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    related_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))  # cancel/return → list
    summary_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))  # list → its CEB701
    # {"head": {...}, "lines": [...]} as declared; deferred: receipts and lists never need it, and it
    # is the largest column (loaded on first access where a use case reads it)
    entity: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    return_status: Mapped[int | None] = mapped_column(Integer)
    return_info: Mapped[str] = mapped_column(Text, default="")
    invt_no: Mapped[str] = mapped_column(String(20), default="")
    pre_no: Mapped[str] = mapped_column(String(18), default="")
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    # an export list's parcel left the country: customs accepted a departure (CEB509) naming its
    # waybill. Set by customs on the departure's receipt; summary and refund wait for it
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeclarationEvent(Base):
    """Every status change (and every receipt that changed nothing), with the receipt's text."""

    __tablename__ = "declaration_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    before: Mapped[str] = mapped_column(String(20))
    after: Mapped[str] = mapped_column(String(20))
    return_status: Mapped[int | None] = mapped_column(Integer)
    return_time: Mapped[str] = mapped_column(String(17), default="")
    return_info: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(255), default="")  # receipt file / "declare" / "worker"


class OutboxMessage(Base):
    """A message built in the same transaction as its declarations, sent later by the worker.

    The file name is fixed when the message is built, so a resend after a crash overwrites the
    same file in the out folder instead of sending a second copy.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_type: Mapped[str] = mapped_column(String(10))
    guid: Mapped[str] = mapped_column(String(36), unique=True)
    filename: Mapped[str] = mapped_column(String(120), unique=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    entities: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending | sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReceiptLog(Base):
    """Each receipt file applied once (by its sha256), with what it did."""

    __tablename__ = "receipt_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(10), default="")
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)


class DeclarationParcel(Base):
    """The parcels (waybill numbers) a movement declaration (507/509/607/513/711/215) names, so a
    list's timeline finds the arrival, departure and master bill of its parcel."""

    __tablename__ = "declaration_parcel"
    __table_args__ = (UniqueConstraint("declaration_id", "logistics_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    logistics_no: Mapped[str] = mapped_column(String(80), index=True)
