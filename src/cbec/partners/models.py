from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbec.orm import Base, UTCDateTime, utcnow


class Enterprise(Base):
    """A registered enterprise: platform, seller, payment, logistics, agent, site operator, warehouse."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(18), unique=True)
    code_kind: Mapped[str] = mapped_column(String(10))  # "customs" (10) | "uscc" (18)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    dxp_id: Mapped[str | None] = mapped_column(String(30))
    #: a seller's usual platform (ebpCode), used when a submission names none
    default_platform: Mapped[str | None] = mapped_column(String(18))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    roles: Mapped[list[EnterpriseRole]] = relationship(
        back_populates="enterprise", lazy="raise", cascade="all, delete-orphan"
    )


class EnterpriseRole(Base):
    __tablename__ = "enterprise_role"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    enterprise: Mapped[Enterprise] = relationship(back_populates="roles", lazy="raise")


class ApiCredential(Base):
    """An API key of an enterprise. Only a hash of the secret is stored."""

    __tablename__ = "api_credential"
    __table_args__ = (UniqueConstraint("key_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(24))  # public part, shown in lists
    secret_hash: Mapped[str] = mapped_column(String(200))  # scrypt$n$r$p$salt$hash
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
