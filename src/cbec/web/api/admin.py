"""The operator's work: enterprises, their API keys, users, and the personal-data access log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from cbec.accounts import service as accounts
from cbec.accounts.rules import require_admin
from cbec.accounts.schemas import PersonalDataAccessRead, UserCreate, UserRead
from cbec.partners import service as partners
from cbec.partners.schemas import (
    CredentialIssued,
    CredentialRead,
    CredentialRevoked,
    EnterpriseCreate,
    EnterpriseRead,
)
from cbec.web.deps import Caller, Uow

router = APIRouter(tags=["administration 管理"])
Code = Annotated[str, Path(min_length=10, max_length=18)]


@router.get("/enterprises", response_model=list[EnterpriseRead], summary="Registered enterprises 企业列表")
def list_enterprises(p: Caller, uow: Uow) -> list[EnterpriseRead]:
    require_admin(p)
    return partners.list_enterprises(uow.session)


@router.post("/enterprises", response_model=EnterpriseRead, status_code=201, summary="Register an enterprise 登记企业")
def register_enterprise(body: EnterpriseCreate, p: Caller, uow: Uow) -> EnterpriseRead:
    require_admin(p)
    out = partners.register_enterprise(uow.session, body)
    uow.commit()
    return out


class CredentialCreate(BaseModel):
    label: str = Field(default="", max_length=100)


@router.get(
    "/enterprises/{code}/credentials",
    response_model=list[CredentialRead],
    summary="An enterprise's API keys 企业 API 密钥",
)
def list_credentials(code: Code, p: Caller, uow: Uow) -> list[CredentialRead]:
    require_admin(p)
    return partners.list_credentials(uow.session, code)


@router.post(
    "/enterprises/{code}/credentials",
    response_model=CredentialIssued,
    status_code=201,
    summary="Issue an API key (shown once) 签发 API 密钥",
)
def issue_credential(code: Code, body: CredentialCreate, p: Caller, uow: Uow) -> CredentialIssued:
    require_admin(p)
    out = partners.issue_credential(uow.session, code, label=body.label)
    uow.commit()
    return out


@router.delete("/credentials/{key_id}", response_model=CredentialRevoked, summary="Revoke an API key 吊销 API 密钥")
def revoke_credential(key_id: Annotated[str, Path(max_length=24)], p: Caller, uow: Uow) -> CredentialRevoked:
    require_admin(p)
    partners.revoke_credential(uow.session, key_id)
    uow.commit()
    return CredentialRevoked(key_id=key_id, revoked=True)


@router.get("/users", response_model=list[UserRead], summary="Users 用户列表")
def list_users(p: Caller, uow: Uow) -> list[UserRead]:
    require_admin(p)
    return accounts.list_users(uow.session)


@router.post("/users", response_model=UserRead, status_code=201, summary="Create a user 创建用户")
def create_user(body: UserCreate, p: Caller, uow: Uow) -> UserRead:
    require_admin(p)
    out = accounts.create_user(uow.session, body)
    uow.commit()
    return out


@router.get(
    "/personal-data-access",
    response_model=list[PersonalDataAccessRead],
    summary="Who opened personal data 个人信息查看记录",
)
def personal_data_access(p: Caller, uow: Uow) -> list[PersonalDataAccessRead]:
    require_admin(p)
    return accounts.personal_data_accesses(uow.session)
