from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cbec.partners.models import ApiCredential, Enterprise, EnterpriseRole


def get_by_code(session: Session, code: str, *, with_roles: bool = False) -> Enterprise | None:
    stmt = select(Enterprise).where(Enterprise.code == code)
    if with_roles:
        stmt = stmt.options(selectinload(Enterprise.roles))
    return session.scalars(stmt).one_or_none()


def get_by_id(session: Session, enterprise_id: int) -> Enterprise | None:
    """An enterprise with its roles, in one query."""
    stmt = select(Enterprise).where(Enterprise.id == enterprise_id).options(selectinload(Enterprise.roles))
    return session.scalars(stmt).one_or_none()


def list_all(session: Session, *, role: str | None = None) -> Sequence[Enterprise]:
    stmt = select(Enterprise).options(selectinload(Enterprise.roles)).order_by(Enterprise.code)
    if role:
        stmt = stmt.join(EnterpriseRole).where(EnterpriseRole.role == role)
    return session.scalars(stmt).all()


def get_credential(session: Session, key_id: str) -> ApiCredential | None:
    return session.scalars(select(ApiCredential).where(ApiCredential.key_id == key_id)).one_or_none()


def credentials_of(session: Session, enterprise_id: int) -> Sequence[ApiCredential]:
    return session.scalars(
        select(ApiCredential).where(ApiCredential.enterprise_id == enterprise_id).order_by(ApiCredential.id)
    ).all()


def add(session: Session, row: Enterprise | ApiCredential) -> None:
    """A new enterprise (with its roles) or API credential, inserted at the next flush."""
    session.add(row)
