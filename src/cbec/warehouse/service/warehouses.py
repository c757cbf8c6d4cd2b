"""Warehouses registered by the companies that run them, or by sellers (issue 18, part 2)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.errors import Conflict, InvalidInput
from cbec.partners import service as partners
from cbec.partners.rules import Role
from cbec.warehouse import repository
from cbec.warehouse.models import Warehouse
from cbec.warehouse.schemas import WarehouseCreate, WarehouseRead

#: who may run a warehouse: its operating company, or a seller registering its own
OPERATOR_ROLES = frozenset({Role.WAREHOUSE.value, Role.EBC.value, Role.OPERATOR.value})


def to_read(w: Warehouse) -> WarehouseRead:
    return WarehouseRead(
        code=w.code, name=w.name, kind=w.kind, country=w.country, address=w.address, area_m2=w.area_m2,
        operator_code=w.operator_code, ems_no=w.ems_no,
    )  # fmt: skip


def register_warehouse(session: Session, data: WarehouseCreate, operator: str, *, by: str) -> WarehouseRead:
    """A new warehouse run by ``operator`` (a warehouse company, a site operator or a seller)."""
    e = partners.get_enterprise(session, operator)
    if not OPERATOR_ROLES & set(e.roles):
        raise InvalidInput(
            f"enterprise {operator} runs no warehouse: it needs the role warehouse, operator or ebc",
            f"企业 {operator} 不能登记仓库：需具有 warehouse、operator 或 ebc 角色",
            field="operator",
        )
    if data.kind == "bonded" and not data.ems_no:
        raise InvalidInput(
            "a bonded warehouse needs its account book number (ems_no)",
            "保税仓须填写账册编号（ems_no）",
            field="ems_no",
        )
    if repository.warehouse(session, data.code) is not None:
        raise Conflict(f"warehouse {data.code} is registered already", f"仓库 {data.code} 已登记", field="code")
    w = repository.add_warehouse(
        session, code=data.code, name=data.name, kind=data.kind, country=data.country, address=data.address,
        area_m2=data.area_m2, operator_code=operator, ems_no=data.ems_no, registered_by=by[:18],
    )  # fmt: skip
    audit.record(session, "warehouse.register", f"warehouse:{w.code}", {"operator": operator, "kind": w.kind})
    return to_read(w)


def list_warehouses(session: Session, operator: str | None = None) -> list[WarehouseRead]:
    """Every warehouse (operator None), or those one enterprise runs."""
    return [to_read(w) for w in repository.warehouses(session, operator)]


def names(session: Session, codes: set[str]) -> dict[str, str]:
    return {w.code: w.name for w in repository.warehouses(session, codes=codes)}


def require_operated(session: Session, codes: set[str], operator: str) -> None:
    """A warehouse company moves stock only in the warehouses it runs."""
    runs = {w.code for w in repository.warehouses(session, operator)}
    foreign = sorted(codes - runs)
    if foreign:
        raise InvalidInput(
            f"enterprise {operator} does not run the warehouse(s) {', '.join(foreign[:10])}",
            f"企业 {operator} 未经营仓库 {'、'.join(foreign[:10])}",
            field="warehouse",
        )


def require_book_operated(session: Session, ems_no: str, operator: str) -> None:
    """A warehouse company enters goods only into the account book of a bonded warehouse it runs."""
    if not any(w.kind == "bonded" and w.ems_no == ems_no for w in repository.warehouses(session, operator)):
        raise InvalidInput(
            f"enterprise {operator} runs no bonded warehouse with the account book {ems_no}",
            f"企业 {operator} 未经营账册 {ems_no} 对应的保税仓",
            field="ems_no",
        )
