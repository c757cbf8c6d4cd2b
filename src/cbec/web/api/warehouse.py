"""Warehouses and their stock over HTTP (issue 18, part 2): warehouses registered, movements in
(JSON, or a movement CSV / FBA Inventory Ledger file), stock and ageing, the 9810 reconciliation,
the 1210 bonded account book. A seller works on its own stock; a warehouse company pushes
movements for the sellers it stores goods for, in the warehouses it runs; the operator names the
seller."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from cbec import pipeline
from cbec.accounts.rules import Forbidden, Principal, require_business_data, require_submitter
from cbec.errors import InvalidInput
from cbec.kit.limits import MAX_BYTES, check_size
from cbec.partners import service as partners
from cbec.partners.rules import Role
from cbec.unit_of_work import UnitOfWork
from cbec.warehouse import service as warehouse
from cbec.warehouse.schemas import (
    BookInboundIn,
    BookRead,
    MovementImportRead,
    MovementsIn,
    ReconcileRead,
    StockRead,
    WarehouseCreate,
    WarehouseRead,
)
from cbec.web.deps import Caller, Uow, own_seller, settings_of

router = APIRouter(tags=["warehouse 海外仓与保税仓"])

WHAT = {"what_en": "warehouse stock", "what_zh": "仓库库存"}
Seller = Annotated[str | None, Query(max_length=18, description="the seller (operator only)")]
AsOf = Annotated[date | None, Query(description="the day (default today)")]


def acting_for(session: Session, p: Principal, seller: str | None) -> tuple[str, str | None]:
    """Whose stock a change is for, and the warehouse company making it (None: the seller or the
    operator): a warehouse company names the seller and moves stock in its own warehouses only."""
    require_submitter(p)
    require_business_data(p)
    company = not p.is_admin and p.enterprise_code and Role.WAREHOUSE.value in p.enterprise_roles
    if company and seller and seller != p.enterprise_code:
        partners.require_role(session, seller, Role.EBC)
        return seller, p.enterprise_code
    return own_seller(session, p, seller, **WHAT), None


def _today() -> date:
    return datetime.now(UTC).date()


@router.post(
    "/warehouse/warehouses", status_code=201, response_model=WarehouseRead, summary="Register a warehouse 登记仓库"
)
def register(p: Caller, uow: Uow, body: WarehouseCreate) -> WarehouseRead:
    require_submitter(p)
    if p.is_admin:
        if not body.operator:
            raise InvalidInput("name the operator of the warehouse", "请指定仓库的经营企业", field="operator")
        operator = body.operator
    elif p.enterprise_code:
        if body.operator and body.operator != p.enterprise_code:
            raise Forbidden(
                "an enterprise registers the warehouses it runs itself", "企业只能登记自己经营的仓库", field="operator"
            )
        operator = p.enterprise_code
    else:
        raise Forbidden("only an enterprise or the operator registers warehouses", "只有企业或平台运营方可登记仓库")
    w = warehouse.register_warehouse(uow.session, body, operator, by=p.enterprise_code or p.name)
    uow.commit()
    return w


@router.get("/warehouse/warehouses", response_model=list[WarehouseRead], summary="Warehouses 仓库列表")
def warehouses(p: Caller, uow: Uow) -> list[WarehouseRead]:
    """Every warehouse for the operator and the regulator; those it runs for an enterprise."""
    if p.is_admin or p.is_regulator:
        return warehouse.list_warehouses(uow.session)
    return warehouse.list_warehouses(uow.session, p.enterprise_code or "")


@router.post(
    "/warehouse/movements", status_code=201, response_model=MovementImportRead, summary="Push stock movements 库存变动"
)
def movements(p: Caller, uow: Uow, body: MovementsIn) -> MovementImportRead:
    """Movements as a warehouse's WMS or a seller's ERP sends them; each movement's ``id`` (or,
    without one, what it says) makes sending it again change nothing."""
    seller, company = acting_for(uow.session, p, body.seller)
    if company is not None:
        codes = {m.warehouse for m in body.movements} | {m.to_warehouse for m in body.movements if m.to_warehouse}
        warehouse.require_operated(uow.session, codes, company)
    report = warehouse.add_movements(uow.session, seller, body.movements)
    uow.commit()
    return report.read()


def import_upload(
    request: Request, p: Principal, data: bytes, *, seller: str | None, fmt: str, filename: str, channel: str
) -> dict[str, Any]:
    """One movement file into a seller's stock (the page and the API share it)."""
    with UnitOfWork(settings_of(request)) as uow:
        code, company = acting_for(uow.session, p, seller)
    check_size(data, "the file", "文件")
    return pipeline.import_movements(
        settings_of(request), data, seller=code, sender=company or p.enterprise_code, fmt=fmt, filename=filename,
        channel=channel,
    )  # fmt: skip


@router.post(
    "/warehouse/files",
    status_code=201,
    response_model=MovementImportRead,
    summary="Import a movement CSV or an FBA Inventory Ledger 导入库存文件",
)
async def import_file(
    request: Request,
    p: Caller,
    file: Annotated[UploadFile, File(description="movement CSV (docs/warehouse.md) or FBA Inventory Ledger")],
    seller: Annotated[str | None, Form(max_length=18)] = None,
    format: Annotated[str, Form(max_length=30)] = "auto",
) -> dict[str, Any]:
    data = await file.read(MAX_BYTES + 1)
    return await run_in_threadpool(
        import_upload, request, p, data, seller=seller, fmt=format, filename=file.filename or "", channel="api"
    )


@router.get("/warehouse/stock", response_model=StockRead, summary="Stock and ageing 库存与库龄")
def stock(
    p: Caller,
    uow: Uow,
    seller: Seller = None,
    as_of: AsOf = None,
    warehouse_code: Annotated[str | None, Query(alias="warehouse", max_length=20)] = None,
) -> StockRead:
    require_business_data(p)
    code = own_seller(uow.session, p, seller, **WHAT)
    return warehouse.stock(uow.session, code, as_of or _today(), warehouse=warehouse_code)


@router.get("/warehouse/reconcile", response_model=ReconcileRead, summary="9810 lists against receipts 9810 对账")
def reconcile(
    p: Caller,
    uow: Uow,
    seller: Seller = None,
    as_of: AsOf = None,
    transit_days: Annotated[int, Query(ge=0, le=3650)] = 60,
) -> ReconcileRead:
    require_business_data(p)
    code = own_seller(uow.session, p, seller, **WHAT)
    return warehouse.reconcile(uow.session, code, as_of or _today(), transit_days=transit_days)


@router.post(
    "/warehouse/bonded/inbound", status_code=201, response_model=BookRead, summary="Goods into a bonded book 保税入区"
)
def bonded_inbound(p: Caller, uow: Uow, body: BookInboundIn) -> BookRead:
    seller, company = acting_for(uow.session, p, body.seller)
    if company is not None:
        warehouse.require_book_operated(uow.session, body.ems_no, company)
    book = warehouse.bonded.add_inbound(uow.session, body.ems_no, seller, body.reference, body.date, body.lines)
    uow.commit()
    return book


@router.get("/warehouse/bonded/{ems_no}", response_model=BookRead, summary="A bonded account book 保税账册")
def bonded_book(ems_no: str, p: Caller, uow: Uow, seller: Seller = None) -> BookRead:
    require_business_data(p)
    code = own_seller(uow.session, p, seller, **WHAT)
    return warehouse.bonded.book(uow.session, ems_no[:30], code)
