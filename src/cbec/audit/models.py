"""The audit trail: one row per change a person or a partner made, each holding the hash of the
row before it (issue 21, part 2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(10))  # user | api_key | cli | system
    actor: Mapped[str] = mapped_column(String(100))  # username, key id, the OS user of a CLI run
    enterprise_code: Mapped[str] = mapped_column(String(18), default="")
    origin: Mapped[str] = mapped_column(String(100), default="")  # client address, or cli@host
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
