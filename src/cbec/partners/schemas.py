from __future__ import annotations

from pydantic import BaseModel

from cbec.kit.read import Timestamp


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
    #: a seller's usual platform, used when a submission names none
    default_platform: str | None = None


class CredentialIssued(BaseModel):
    """Shown once: the secret is not stored, only its hash."""

    enterprise_code: str
    key_id: str
    api_key: str


class CredentialRead(BaseModel):
    """An API key as listed: public id, label, dates; never a secret."""

    key_id: str
    label: str
    created_at: Timestamp
    revoked_at: Timestamp | None


class CredentialRevoked(BaseModel):
    key_id: str
    revoked: bool
