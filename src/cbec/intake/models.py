from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, Money, UTCDateTime, utcnow


class InboxItem(Base):
    """A submission exactly as received: append-only, never updated or deleted, except by the
    personal-data erasure (``cbec privacy erase``, docs/privacy.md), which rewrites the blob
    with the buyer's values masked (new ``sha256`` and ``size``) or removes it, and sets
    ``erased_at``.

    The bytes live in the content-addressed blob store under the data directory
    (``inbox/<sha256[:2]>/<sha256>``), written before this row is committed.
    """

    __tablename__ = "inbox_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_code: Mapped[str] = mapped_column(String(18), index=True)
    seller_code: Mapped[str] = mapped_column(String(18), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    format: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10), default="cli")  # cli | api | upload
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class IntakeRun(Base):
    """What came of reading one inbox item: counts, errors that stopped rows, timings."""

    __tablename__ = "intake_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox_item.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(20))  # done | failed
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Document(Base):
    """A normalised business document, one row per version.

    Resubmitting identical content is a duplicate (no new row); the same key with other content
    becomes a new version and the previous one stops being current. An invalid document is kept
    with its errors, so it can be corrected and resubmitted.
    """

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("doc_type", "doc_key", "version"),
        Index("ix_document_current_type_order", "doc_type", "is_current", "order_no"),
        Index("ix_document_current_type_logistics", "doc_type", "is_current", "logistics_no"),
        # the current version by key (every import looks its documents up so): with only the
        # unique (doc_type, doc_key, version), SQLite prefers (doc_type, is_current, …) and
        # walks every current document of the type
        Index("ix_document_type_key_current", "doc_type", "doc_key", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(20))
    doc_key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    is_valid: Mapped[bool] = mapped_column(Boolean)
    content_sha256: Mapped[str] = mapped_column(String(64))
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox_item.id"), index=True)
    source_ref: Mapped[str] = mapped_column(String(100), default="")
    seller_code: Mapped[str] = mapped_column(String(18), index=True)
    sender_code: Mapped[str] = mapped_column(String(18))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    order_no: Mapped[str | None] = mapped_column(String(60))
    logistics_no: Mapped[str | None] = mapped_column(String(60))
    country: Mapped[str | None] = mapped_column(String(3))
    currency: Mapped[str | None] = mapped_column(String(3))
    goods_value: Mapped[Any] = mapped_column(Money(), nullable=True)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[dict[str, Any]] = mapped_column(JSON)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
