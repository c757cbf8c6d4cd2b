"""Assessing a retail import order over HTTP, as ``cbec tax import --record`` does: against the
buyer's annual ledger in the database, stored, the ledger entry written in the same unit of
work. Assessments of one buyer are serialised (``tax.repository.lock_buyers``), so orders sent at
the same moment cannot together pass the annual limit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel

from cbec.accounts.rules import Forbidden, require_submitter
from cbec.errors import InvalidInput, RuleViolation
from cbec.kit.read import Amount
from cbec.tax import reader
from cbec.tax import service as tax
from cbec.web.deps import Caller, Uow

router = APIRouter(tags=["tax 税款"])


class ImportAssessedRead(BaseModel):
    assessment_id: int | None
    refused: bool
    tax_total: Amount
    result: dict[str, Any]


@router.post(
    "/tax/imports",
    response_model=ImportAssessedRead,
    summary="Assess and record a retail import order 跨境零售进口税款计算（计入年度台账）",
)
def assess_import(
    p: Caller,
    uow: Uow,
    order: Annotated[Any, Body(description="{OrderHead: {...}, OrderList: [...]} as `cbec tax import`")],
    seller: Annotated[str | None, Query(max_length=18, description="the seller (operator only)")] = None,
) -> ImportAssessedRead:
    require_submitter(p)
    if p.is_admin:
        if not seller:
            raise InvalidInput("name the seller (seller=CODE)", "请指定电商企业（seller=代码）", field="seller")
        code = seller
    elif p.enterprise_code and "ebc" in p.enterprise_roles and seller in (None, p.enterprise_code):
        code = p.enterprise_code
    else:
        raise Forbidden("a seller assesses its own orders", "电商企业只能计算本企业订单的税款", field="seller")
    head = order.get("OrderHead") if isinstance(order, dict) else None  # the reader names what is wrong
    ebp = str(head.get("ebpCode") or "") or None if isinstance(head, dict) else None
    try:
        out = tax.assess_import(uow.session, reader.parse_import_order(order), seller_code=code, ebp_code=ebp)
    except RuleViolation:
        uow.commit()  # the refusal is recorded, as the CLI does
        raise
    uow.commit()
    return ImportAssessedRead(
        assessment_id=out.assessment_id, refused=out.refused, tax_total=out.tax_total, result=dict(out.document)
    )
