"""Typed answers of the audit trail."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cbec.kit.read import Timestamp


class AuditEntryRead(BaseModel):
    id: int
    at: Timestamp
    actor_kind: str
    actor: str
    enterprise_code: str
    origin: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    total: int


class AuditVerifyRead(BaseModel):
    entries: int
    intact: bool
    broken_at: int | None = None
    message_en: str = ""
    message_zh: str = ""
