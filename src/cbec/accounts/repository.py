from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.accounts.models import IdempotencyRecord, PersonalDataAccess, UserAccount, UserSession
from cbec.partners.models import Enterprise


def get_user(session: Session, username: str) -> UserAccount | None:
    return session.scalars(select(UserAccount).where(UserAccount.username == username)).one_or_none()


def list_users(session: Session, enterprise_id: int | None = None) -> Sequence[tuple[UserAccount, str | None]]:
    stmt = (
        select(UserAccount, Enterprise.code)
        .outerjoin(Enterprise, Enterprise.id == UserAccount.enterprise_id)
        .order_by(UserAccount.username)
    )
    if enterprise_id is not None:
        stmt = stmt.where(UserAccount.enterprise_id == enterprise_id)
    return [(u, code) for u, code in session.execute(stmt).all()]


def session_by_token_hash(session: Session, token_hash: str) -> tuple[UserSession, UserAccount] | None:
    row = session.execute(
        select(UserSession, UserAccount)
        .join(UserAccount, UserAccount.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash)
    ).one_or_none()
    return (row[0], row[1]) if row else None


def get_idempotency(session: Session, principal: str, key: str) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.principal == principal, IdempotencyRecord.key == key)
    ).one_or_none()


def personal_data_accesses(session: Session, limit: int = 100) -> Sequence[PersonalDataAccess]:
    return session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id.desc()).limit(limit)).all()


def get_user_by_id(session: Session, user_id: int) -> UserAccount | None:
    return session.get(UserAccount, user_id)


def add_user(session: Session, user: UserAccount) -> None:
    session.add(user)


def add_session(session: Session, user_session: UserSession) -> None:
    session.add(user_session)


def add_personal_access(session: Session, access: PersonalDataAccess) -> None:
    session.add(access)


def add_idempotency(session: Session, record: IdempotencyRecord) -> None:
    session.add(record)
