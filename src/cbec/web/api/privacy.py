"""Personal-data erasure over HTTP (issue 21, part 3; docs/privacy.md): the operator erases one
buyer, with the reason, and lists the erasures. Opening the retained copy is the command line's
(``cbec privacy open``), where the key file is: the web does not decrypt it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from cbec import pipeline
from cbec.accounts.rules import require_admin
from cbec.privacy import service as privacy
from cbec.privacy.schemas import ErasureCreate, ErasureRead, RetainedRead
from cbec.web.deps import Caller, Uow, settings_of

router = APIRouter(tags=["privacy 个人信息"])


@router.post(
    "/privacy/erasures",
    response_model=ErasureRead,
    summary="Erase one buyer's personal data (operator) 删除订购人个人信息",
)
def erase(request: Request, body: ErasureCreate, p: Caller) -> ErasureRead:
    require_admin(p)
    return pipeline.erase_buyer(settings_of(request), body.buyer_id_number, body.reason)


@router.get("/privacy/erasures", response_model=list[RetainedRead], summary="The erasures, newest first 删除记录")
def erasures(p: Caller, uow: Uow, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[RetainedRead]:
    require_admin(p)
    return privacy.retained_records(uow.session, limit)
