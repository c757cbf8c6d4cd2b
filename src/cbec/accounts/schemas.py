from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


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
    created_at: datetime
    last_login_at: datetime | None
