"""Typed contracts of the warehouse area (issue 18, part 2): what customs hands it (a declared
9810 shipment, a 1210 list to draw on a book), and what it answers over HTTP, the CLI and the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from cbec.warehouse.rules import Kind

# --- between areas -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class DeclaredShipment:
    """A 9810 list customs declared: the goods the seller sent to an overseas warehouse
    (海外仓订仓单 + 清单, 海关总署公告2020年第75号), expected there as inbound."""

    seller: str
    list_no: str  # the list's copNo
    destination: str  # the country of destination (customs code)
    declared_on: date
    lines: tuple[ShipmentLine, ...]
    warehouse: str = ""  # the overseas warehouse, when the booking names one


@dataclass(frozen=True, slots=True)
class BondedDraw:
    """A 1210 list about to be declared: the units it takes out of a bonded account book."""

    ems_no: str
    seller: str
    cop_no: str
    lines: tuple[ShipmentLine, ...]
    document: str = ""


# --- over HTTP -----------------------------------------------------------------------------------


class WarehouseCreate(BaseModel):
    code: str = Field(min_length=2, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)
    country: str = Field(min_length=3, max_length=3, pattern=r"^\d{3}$", description="customs country code")
    address: str = Field(default="", max_length=200)
    area_m2: int | None = Field(default=None, ge=0, le=10_000_000)
    kind: str = Field(default="overseas", pattern="^(overseas|bonded)$")
    ems_no: str = Field(default="", max_length=30, description="account book number (bonded only)")
    operator: str | None = Field(default=None, max_length=18, description="the operator (admin only)")


class WarehouseRead(BaseModel):
    code: str
    name: str
    kind: str
    country: str
    address: str
    area_m2: int | None
    operator_code: str
    ems_no: str


class MovementIn(BaseModel):
    warehouse: str = Field(min_length=1, max_length=20)
    sku: str = Field(min_length=1, max_length=60)
    movement: Kind
    quantity: int = Field(ge=-10_000_000, le=10_000_000)
    date: date
    reference: str = Field(default="", max_length=60)
    list_no: str = Field(default="", max_length=20)
    to_warehouse: str = Field(default="", max_length=20)
    id: str = Field(default="", max_length=80, description="the sender's own id of the movement (idempotency)")


class MovementsIn(BaseModel):
    seller: str | None = Field(default=None, max_length=18)
    movements: list[MovementIn] = Field(min_length=1, max_length=10_000)


class MovementImportRead(BaseModel):
    inbox_id: int | None
    format: str
    rows: int
    movements: int
    duplicates: int
    unregistered_warehouses: list[str]
    errors: list[dict[str, Any]]
    error_count: int


class PositionRead(BaseModel):
    warehouse: str
    warehouse_name: str
    sku: str
    on_hand: int
    buckets: dict[str, int]
    oldest: date | None


class ShortfallRead(BaseModel):
    warehouse: str
    sku: str
    day: date
    movement: str
    reference: str
    units: int
    row: int | None


class WarehouseTotalRead(BaseModel):
    warehouse: str
    name: str
    on_hand: int
    buckets: dict[str, int]


class StockRead(BaseModel):
    seller: str
    as_of: date
    on_hand: int
    buckets: dict[str, int]
    warehouses: list[WarehouseTotalRead]
    positions: list[PositionRead]
    shortfalls: list[ShortfallRead]
    transfers_open: dict[str, int]
    movements: int


class LineRead(BaseModel):
    list_no: str
    invt_no: str
    sku: str
    declared_on: date
    declared: int
    received: int
    in_transit: int
    variance: int
    status: str
    status_zh: str


class UnexplainedRead(BaseModel):
    warehouse: str
    sku: str
    day: date
    reference: str
    list_no: str
    units: int
    reason: str
    reason_zh: str


class ReconcileRead(BaseModel):
    seller: str
    as_of: date
    transit_days: int
    lists: int
    declared: int
    received: int
    in_transit: int
    short: int
    over: int
    unexplained_units: int
    lines: list[LineRead]
    unexplained: list[UnexplainedRead]


class BookInboundIn(BaseModel):
    ems_no: str = Field(min_length=1, max_length=30)
    seller: str | None = Field(default=None, max_length=18)
    reference: str = Field(min_length=1, max_length=60, description="the entry document (进区报关单/备案清单)")
    date: date
    lines: list[ShipmentLineIn] = Field(min_length=1, max_length=10_000)


class ShipmentLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=60)
    quantity: int = Field(ge=1, le=10_000_000)


class BookLineRead(BaseModel):
    sku: str
    inbound: int
    outbound: int
    reserved: int
    balance: int
    available: int


class BookRead(BaseModel):
    ems_no: str
    seller: str
    lines: list[BookLineRead]
    added: int = 0
    duplicates: int = 0


BookInboundIn.model_rebuild()
