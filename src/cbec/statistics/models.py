"""The statistics area's own tables: one row per counted list and one per list line, each with
the figures the indicators group by (Beijing day and month, goods code, CNY value at a stated
rate), derived once from the declaration (docs/statistics.md). The declaration keeps being the
source: these rows are rebuilt from it, never edited by hand."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, Money


class StatList(Base):
    """A list (CEB603/CEB621) as the indicators count it."""

    __tablename__ = "stat_list"
    __table_args__ = (Index("ix_stat_list_month", "month"), Index("ix_stat_list_day", "day"))

    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, Beijing time of the declaration
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    parcels: Mapped[int] = mapped_column(Integer)  # head packNo (件数)
    #: the id of the first list of the same (platform, order number): orders are its distinct count
    order_key: Mapped[int] = mapped_column(Integer)
    #: destination (export) or origin (import, the list head's 起运国) country, customs code
    country: Mapped[str] = mapped_column(String(3), default="")
    value_cny = mapped_column(Money(), nullable=True)  # None: no rate for the currency and month
    rate: Mapped[str] = mapped_column(String(24), default="")  # CNY per unit, as used
    rate_on: Mapped[date | None] = mapped_column(Date)  # the rate's own date
    rate_source: Mapped[str] = mapped_column(String(200), default="")


class StatLine(Base):
    """One goods line of a counted list, its share of the list's CNY value."""

    __tablename__ = "stat_line"
    __table_args__ = (Index("ix_stat_line_chapter", "chapter", "heading"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("stat_list.declaration_id"), index=True)
    gnum: Mapped[int] = mapped_column(Integer)
    hs_code: Mapped[str] = mapped_column(String(10))
    chapter: Mapped[str] = mapped_column(String(2))  # HS 章 (2 digits)
    heading: Mapped[str] = mapped_column(String(4))  # HS 品目 (4 digits)
    value = mapped_column(Money(), nullable=False)  # the line's totalPrice, in the list's currency
    value_cny = mapped_column(Money(), nullable=True)
