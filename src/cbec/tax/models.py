"""Stored tax assessments and the buyers' annual ledger.

An assessment is kept with its input and its whole result, basis included (rule set, dates, each
rate with its table row and 文号, policy values, the tables' sha256), so a figure can be explained
years later from what was stored, whatever the rate tables say by then.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, Money, UTCDateTime, utcnow


class TaxAssessment(Base):
    """One computation of ``cbec tax import|refund|return-relief``, refused ones included.

    ``reference`` is the CEB311 ``orderNo`` (import), the claim's period or date (refund) or the
    export list number (return relief). ``tax_on`` is the date the rules and rates were picked by.
    """

    __tablename__ = "tax_assessment"
    __table_args__ = (
        Index("ix_tax_assessment_seller_kind_on", "seller_code", "kind", "tax_on"),
        Index("ix_tax_assessment_reference", "kind", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(14))  # import | refund | return_relief
    seller_code: Mapped[str] = mapped_column(String(18))
    reference: Mapped[str] = mapped_column(String(60))
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declaration.id"))
    tax_on: Mapped[date] = mapped_column(Date)
    rule_set: Mapped[str] = mapped_column(String(40), default="")
    is_refused: Mapped[bool] = mapped_column(Boolean, default=False)
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    tax_total: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BuyerLedgerEntry(Base):
    """An order counted toward its buyer's annual limit (财关税〔2018〕49号: 26,000 a year).

    One entry per platform order (``ebp_code``, ``order_no``): re-assessing an order replaces its
    entry, so an order never counts twice; a refused order has none. ``order_on`` is the order's
    tax date (the ledger is summed by it, whether the period is the calendar year or a rolling
    twelve months); ``period_start`` the first day of the period it was counted in.
    """

    __tablename__ = "buyer_ledger_entry"
    __table_args__ = (
        UniqueConstraint("ebp_code", "order_no"),
        Index("ix_buyer_ledger_entry_buyer_on", "id_number", "order_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    period_start: Mapped[date] = mapped_column(Date)
    order_on: Mapped[date] = mapped_column(Date)
    ebp_code: Mapped[str] = mapped_column(String(18))
    order_no: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal] = mapped_column(Money())
    assessment_id: Mapped[int] = mapped_column(ForeignKey("tax_assessment.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
