"""The audit trail over HTTP (issue 21, part 2): the operator reads it and verifies the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cbec.accounts.rules import require_admin
from cbec.audit import service as audit
from cbec.audit.schemas import AuditPage, AuditVerifyRead
from cbec.web.deps import Caller, Paging, Uow

router = APIRouter(tags=["audit 审计"])


@router.get("/audit", response_model=AuditPage, summary="The audit trail, newest first 审计日志")
def entries(
    p: Caller,
    uow: Uow,
    paging: Paging,
    action: Annotated[str | None, Query(max_length=40)] = None,
    enterprise: Annotated[str | None, Query(max_length=18)] = None,
) -> AuditPage:
    require_admin(p)
    return audit.entries(uow.session, paging, action=action, enterprise=enterprise)


@router.get("/audit/verify", response_model=AuditVerifyRead, summary="Recompute the audit chain 校验审计链")
def verify(p: Caller, uow: Uow) -> AuditVerifyRead:
    require_admin(p)
    return audit.verify(uow.session)
