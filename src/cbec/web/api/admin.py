"""The operator's work: enterprises, their API keys, users, and the personal-data access log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cbec.accounts import service as accounts
from cbec.accounts.rules import require_admin
from cbec.accounts.schemas import UserCreate
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.web.deps import Caller, Uow
from cbec.web.present import json_response

router = APIRouter(tags=["administration 管理"])
Code = Annotated[str, Path(min_length=10, max_length=18)]


@router.get("/enterprises", summary="Registered enterprises 企业列表")
def list_enterprises(p: Caller, uow: Uow) -> Response:
    require_admin(p)
    return json_response([e.model_dump() for e in partners.list_enterprises(uow.session)])


@router.post("/enterprises", status_code=201, summary="Register an enterprise 登记企业")
def register_enterprise(body: EnterpriseCreate, p: Caller, uow: Uow) -> Response:
    require_admin(p)
    out = partners.register_enterprise(uow.session, body)
    uow.commit()
    return json_response(out.model_dump(), 201)


class CredentialCreate(BaseModel):
    label: str = Field(default="", max_length=100)


@router.get("/enterprises/{code}/credentials", summary="An enterprise's API keys 企业 API 密钥")
def list_credentials(code: Code, p: Caller, uow: Uow) -> Response:
    require_admin(p)
    return json_response(partners.list_credentials(uow.session, code))


@router.post("/enterprises/{code}/credentials", status_code=201, summary="Issue an API key (shown once) 签发 API 密钥")
def issue_credential(code: Code, body: CredentialCreate, p: Caller, uow: Uow) -> Response:
    require_admin(p)
    out = partners.issue_credential(uow.session, code, label=body.label)
    uow.commit()
    return json_response(out.model_dump(), 201)


@router.delete("/credentials/{key_id}", summary="Revoke an API key 吊销 API 密钥")
def revoke_credential(key_id: Annotated[str, Path(max_length=24)], p: Caller, uow: Uow) -> Response:
    require_admin(p)
    partners.revoke_credential(uow.session, key_id)
    uow.commit()
    return json_response({"key_id": key_id, "revoked": True})


@router.get("/users", summary="Users 用户列表")
def list_users(p: Caller, uow: Uow) -> Response:
    require_admin(p)
    return json_response([u.model_dump() for u in accounts.list_users(uow.session)])


@router.post("/users", status_code=201, summary="Create a user 创建用户")
def create_user(body: UserCreate, p: Caller, uow: Uow) -> Response:
    require_admin(p)
    out = accounts.create_user(uow.session, body)
    uow.commit()
    return json_response(out.model_dump(), 201)


@router.get("/personal-data-access", summary="Who opened personal data 个人信息查看记录")
def personal_data_access(p: Caller, uow: Uow) -> Response:
    require_admin(p)
    return json_response(accounts.personal_data_accesses(uow.session))
