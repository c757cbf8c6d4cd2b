from __future__ import annotations

from pydantic import BaseModel


class EnterpriseCreate(BaseModel):
    code: str
    name: str
    roles: list[str]
    name_en: str = ""
    dxp_id: str | None = None


class EnterpriseRead(BaseModel):
    id: int
    code: str
    code_kind: str
    name: str
    name_en: str
    roles: list[str]
    dxp_id: str | None


class CredentialIssued(BaseModel):
    """Shown once: the secret is not stored, only its hash."""

    enterprise_code: str
    key_id: str
    api_key: str
