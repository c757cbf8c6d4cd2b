"""What is kept of an erased buyer: one encrypted record per erasure (PIPL 第47条: where a law
requires keeping, only storage and protection). The key is not in the database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from cbec.orm import Base, UTCDateTime, utcnow


class RetainedRecord(Base):
    """The erased buyer's records as they were (documents, declarations, the messages sent),
    encrypted with the retention key (Fernet: AES-128-CBC + HMAC-SHA256). ``token`` names the
    erasure everywhere (audit trail, tax ledger) instead of the person; ``counts`` says what was
    erased where, without a value."""

    __tablename__ = "retained_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(18), unique=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retain_until: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    key_id: Mapped[str] = mapped_column(String(16))  # which key encrypted it (sha256 of the key, 16 hex)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
