"""What the credit area keeps: imported facts (customs tiers, dishonesty listings), the history of
grades with every contribution, and the enterprises' objections with the operator's answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, UTCDateTime, utcnow


class CreditFact(Base):
    """An imported fact about an enterprise: its customs tier (海关总署令第282号) or a listing on a
    dishonesty list, with the list's source and date, valid until its repair or expiry."""

    __tablename__ = "credit_fact"
    __table_args__ = (Index("ix_credit_fact_enterprise", "enterprise_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_code: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(10))  # tier | dishonest
    value: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(200))
    source_date: Mapped[date] = mapped_column(Date)
    imported_by: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CreditGrade(Base):
    """One computed grade, kept: the history of an enterprise's grades."""

    __tablename__ = "credit_grade"
    __table_args__ = (Index("ix_credit_grade_enterprise", "enterprise_code", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_code: Mapped[str] = mapped_column(String(18))
    as_of: Mapped[date] = mapped_column(Date)
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    computed_grade: Mapped[str] = mapped_column(String(4))
    grade: Mapped[str] = mapped_column(String(4))
    dishonest: Mapped[bool] = mapped_column(default=False)
    customs_tier: Mapped[str | None] = mapped_column(String(20), nullable=True)
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    overrides: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    history: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CreditObjection(Base):
    """An enterprise's objection to its record, and the operator's answer."""

    __tablename__ = "credit_objection"
    __table_args__ = (Index("ix_credit_objection_enterprise", "enterprise_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_code: Mapped[str] = mapped_column(String(18))
    grade_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str] = mapped_column(String(2000))
    filed_by: Mapped[str] = mapped_column(String(60))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | upheld | rejected
    answer: Mapped[str] = mapped_column(String(2000), default="")
    answered_by: Mapped[str] = mapped_column(String(60), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
