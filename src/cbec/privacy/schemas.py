"""Typed answers of the erasure and of the retention archive."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from cbec.kit.read import Timestamp


class ErasureCreate(BaseModel):
    buyer_id_number: str = Field(min_length=6, max_length=32, description="the buyer's ID number 订购人证件号码")
    reason: str = Field(min_length=1, max_length=500, description="why (the request, its date) 删除理由")


class ErasureRead(BaseModel):
    """What one erasure did. ``token`` names it (audit trail, tax ledger); no erased value."""

    token: str
    counts: dict[str, int]
    retain_until: date
    key_id: str
    #: the blobs no inbox item refers to any more, removed after the erasure commits
    stale_blobs: list[str] = []
    #: what compacting the database did (SQLite VACUUM and checkpoint; PostgreSQL VACUUM FULL)
    compacted: dict[str, Any] = {}


class RetainedRead(BaseModel):
    token: str
    erased_at: Timestamp
    retain_until: date
    reason: str
    counts: dict[str, int]
    key_id: str


class RetainedOpened(RetainedRead):
    """An opened retention record: what was kept, as it was (personal data in clear)."""

    content: dict[str, Any]
