"""Tracking events as carriers sent them (mapped to one internal status each) and the review
queue of codes no mapping knows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, UTCDateTime, utcnow


class TrackingEvent(Base):
    """One event of one parcel. The same (carrier, waybill, code, time) sent again is the same
    event (a resend changes nothing). ``status`` is empty while its code waits in review."""

    __tablename__ = "tracking_event"
    __table_args__ = (
        UniqueConstraint("carrier", "waybill_no", "code", "occurred_at"),
        Index("ix_tracking_event_waybill", "waybill_no", "occurred_at"),
        Index("ix_tracking_event_review", "review_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(18))  # the logistics company's code
    waybill_no: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())  # stored in UTC
    utc_offset_minutes: Mapped[int] = mapped_column(Integer, default=0)  # the zone it was given in
    location: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166 alpha-2, where known
    code_system: Mapped[str] = mapped_column(String(10))  # upu | 17track | cbec
    code: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default="")  # the internal status; "" in review
    review_id: Mapped[int | None] = mapped_column(ForeignKey("tracking_review.id"))
    seller_code: Mapped[str] = mapped_column(String(18), default="", index=True)  # the list's seller, if known
    channel: Mapped[str] = mapped_column(String(10), default="api")  # api | file | demo
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TrackingReview(Base):
    """A code no mapping knows, per carrier: kept (never dropped) until the operator says which
    internal status it means; then every event with it takes that status."""

    __tablename__ = "tracking_review"
    __table_args__ = (UniqueConstraint("carrier", "code_system", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(18))
    code_system: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(60))
    example: Mapped[str] = mapped_column(Text, default="")  # the first description seen with it
    events: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="open")  # open | resolved
    status: Mapped[str] = mapped_column(String(24), default="")  # what the operator decided
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str] = mapped_column(String(60), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
