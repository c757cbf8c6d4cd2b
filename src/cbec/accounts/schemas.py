from __future__ import annotations

from pydantic import BaseModel

from cbec.kit.read import Timestamp


class UserCreate(BaseModel):
    username: str
    password: str
    role: str
    enterprise_code: str | None = None
    display_name: str = ""
    language: str = "zh"


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    enterprise_code: str | None
    language: str
    is_active: bool
    created_at: Timestamp
    last_login_at: Timestamp | None


class MeRead(BaseModel):
    """Who is calling: a user (by session) or an enterprise's API key."""

    kind: str
    name: str
    role: str
    enterprise_code: str | None
    enterprise_roles: list[str]


class PersonalDataAccessRead(BaseModel):
    """One opening of a buyer's personal data: who, when, which fields and why (PIPL Art. 51)."""

    at: Timestamp
    actor: str
    subject: str
    fields: list[str]
    reason: str
