"""Warehouses, their stock movements, the 9810 shipments customs declared towards them and the
1210 bonded account books (issue 18, part 2)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, UTCDateTime, utcnow


class Warehouse(Base):
    """A warehouse registered by the company that runs it or by a seller: overseas (海外仓, 9810)
    or bonded (保税仓, 1210, with its account book number)."""

    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="overseas")  # overseas | bonded
    country: Mapped[str] = mapped_column(String(3))  # customs country code (CEB.md §4.3)
    address: Mapped[str] = mapped_column(String(200), default="")
    area_m2: Mapped[int | None] = mapped_column(Integer)
    operator_code: Mapped[str] = mapped_column(String(18), index=True)  # the enterprise that runs it
    ems_no: Mapped[str] = mapped_column(String(30), default="", index=True)  # 账册编号 (bonded)
    registered_by: Mapped[str] = mapped_column(String(18))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StockMovement(Base):
    """One movement of a seller's goods in a warehouse, signed (+ in, − out), as received."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        UniqueConstraint("seller_code", "key"),
        Index("ix_stock_movement_seller_day", "seller_code", "day", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_code: Mapped[str] = mapped_column(String(18))
    key: Mapped[str] = mapped_column(String(64))  # idempotency (parsers.movement_keys)
    warehouse: Mapped[str] = mapped_column(String(20))
    sku: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(60), default="")
    list_no: Mapped[str] = mapped_column(String(20), default="")
    to_warehouse: Mapped[str] = mapped_column(String(20), default="")
    disposition: Mapped[str] = mapped_column(String(30), default="")
    source: Mapped[str] = mapped_column(String(20))  # movements-csv | fba-ledger | api
    inbox_id: Mapped[int | None] = mapped_column(Integer)
    row: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExpectedInbound(Base):
    """One SKU of a 9810 list customs declared: goods on their way to an overseas warehouse."""

    __tablename__ = "expected_inbound"
    __table_args__ = (UniqueConstraint("seller_code", "list_no", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_code: Mapped[str] = mapped_column(String(18), index=True)
    list_no: Mapped[str] = mapped_column(String(30))  # the list's copNo
    invt_no: Mapped[str] = mapped_column(String(20), default="")  # customs' number, once released
    warehouse: Mapped[str] = mapped_column(String(20), default="")
    destination: Mapped[str] = mapped_column(String(3), default="")
    sku: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    declared_on: Mapped[date] = mapped_column(Date)


class BondedEntry(Base):
    """One entry of a 1210 account book: goods in, units a declared list holds, units a released
    list took out."""

    __tablename__ = "bonded_entry"
    __table_args__ = (
        UniqueConstraint("ems_no", "seller_code", "kind", "reference", "sku"),
        Index("ix_bonded_entry_book", "ems_no", "sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ems_no: Mapped[str] = mapped_column(String(30))
    seller_code: Mapped[str] = mapped_column(String(18))
    sku: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # inbound | reserved | outbound
    quantity: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(60))  # entry document, or the list's copNo
    day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
