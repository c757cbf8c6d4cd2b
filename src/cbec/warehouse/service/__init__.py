"""The warehouse area's use cases (issue 18, part 2), one module each:

* ``warehouses``  — warehouses registered by their operators or by sellers;
* ``movements``   — stock movements in: files kept raw then read, and by API;
* ``stock``       — lots per SKU and warehouse, on hand and ageing as of a day;
* ``reconciling`` — declared 9810 lists (handed down by customs) against receipts;
* ``bonded``      — the 1210 account book, drawn on by customs before declaring.

None of these commit (the edge's unit of work does).
"""

from cbec.warehouse.service import bonded
from cbec.warehouse.service.movements import (
    MovementReport,
    add_movements,
    keep,
    movement_format,
    read_movement_file,
)
from cbec.warehouse.service.reconciling import expect_shipments, reconcile, shipments_released
from cbec.warehouse.service.stock import lots_as_of, stock
from cbec.warehouse.service.warehouses import (
    list_warehouses,
    register_warehouse,
    require_book_operated,
    require_operated,
)

__all__ = [
    "MovementReport",
    "add_movements",
    "bonded",
    "expect_shipments",
    "keep",
    "list_warehouses",
    "lots_as_of",
    "movement_format",
    "read_movement_file",
    "reconcile",
    "register_warehouse",
    "require_book_operated",
    "require_operated",
    "shipments_released",
    "stock",
]
