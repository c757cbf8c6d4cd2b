"""Users, sessions, personal-data openings and idempotency records. Services never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import JsonValue
from sqlalchemy.orm import Session

from cbec.accounts import repository
from cbec.accounts.models import IdempotencyRecord, PersonalDataAccess, UserAccount, UserSession
from cbec.accounts.rules import (
    LANGUAGES,
    Principal,
    TooManyAttempts,
    Unauthenticated,
    UserRole,
    lockout_for,
    parse_user_role,
    password_problem,
)
from cbec.accounts.schemas import MeRead, PersonalDataAccessRead, UserCreate, UserRead
from cbec.audit import service as audit
from cbec.errors import Conflict, InvalidInput, NotFound
from cbec.orm import utcnow
from cbec.partners import repository as partner_repo
from cbec.partners import service as partners
from cbec.partners.models import Enterprise

#: argon2id with the library's defaults (RFC 9106 "second recommended option": 64 MiB, t=3)
_hasher = PasswordHasher()
#: a hash to verify against when the user does not exist, so timing does not reveal usernames
_DUMMY_HASH = _hasher.hash("cbec-dummy-password")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _read(u: UserAccount, enterprise_code: str | None) -> UserRead:
    return UserRead(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        enterprise_code=enterprise_code,
        language=u.language,
        is_active=u.is_active,
        created_at=u.created_at,
        last_login_at=u.last_login_at,
    )


def create_user(session: Session, data: UserCreate) -> UserRead:
    username = data.username.strip()
    if not (3 <= len(username) <= 60) or not all(c.isalnum() or c in "._-@" for c in username):
        raise InvalidInput(
            "the username has 3 to 60 letters, digits or . _ - @",
            "用户名为 3 至 60 个字母、数字或 . _ - @",
            field="username",
        )
    role = parse_user_role(data.role)
    problem = password_problem(data.password, username)
    if problem:
        raise InvalidInput(problem[0], problem[1], field="password")
    if data.language not in LANGUAGES:
        raise InvalidInput("language is zh or en", "语言为 zh 或 en", field="language")
    enterprise: Enterprise | None = None
    if role in (UserRole.SELLER, UserRole.PARTNER):
        if not data.enterprise_code:
            raise InvalidInput(
                "a seller or partner user belongs to an enterprise",
                "卖家用户或企业用户必须属于一个企业",
                field="enterprise",
            )
        enterprise = partner_repo.get_by_code(session, data.enterprise_code)
        if enterprise is None:
            raise NotFound(
                f"enterprise {data.enterprise_code} is not registered",
                f"企业 {data.enterprise_code} 未登记",
                field="enterprise",
            )
    elif data.enterprise_code:
        raise InvalidInput(
            "only seller and partner users belong to an enterprise",
            "只有卖家用户和企业用户隶属于企业",
            field="enterprise",
        )
    if repository.get_user(session, username) is not None:
        raise Conflict(f"user {username} exists already", f"用户 {username} 已存在", field="username")
    u = UserAccount(
        username=username,
        display_name=data.display_name.strip()[:100],
        password_hash=_hasher.hash(data.password),
        role=role.value,
        enterprise_id=enterprise.id if enterprise else None,
        language=data.language,
    )
    repository.add_user(session, u)
    session.flush()
    audit.record(
        session,
        "user.create",
        f"user:{username}",
        {"role": role.value, "enterprise": enterprise.code if enterprise else ""},
    )
    return _read(u, enterprise.code if enterprise else None)


def list_users(session: Session, enterprise_code: str | None = None) -> list[UserRead]:
    enterprise_id = None
    if enterprise_code:
        e = partner_repo.get_by_code(session, enterprise_code)
        if e is None:
            return []
        enterprise_id = e.id
    return [_read(u, code) for u, code in repository.list_users(session, enterprise_id)]


def authenticate(session: Session, username: str, password: str) -> UserAccount:
    """The user, or Unauthenticated with the same message whatever was wrong."""
    u = repository.get_user(session, username.strip())
    bad = Unauthenticated("wrong username or password", "用户名或密码错误", field="password")
    now = utcnow()
    if u is not None and u.locked_until is not None and now < u.locked_until:
        at = u.locked_until.strftime("%H:%M:%S UTC")
        raise TooManyAttempts(
            f"too many failed sign-ins: try again after {at}", f"登录失败次数过多：请于 {at} 之后再试", field="password"
        )
    try:
        _hasher.verify(u.password_hash if u else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        if u is not None:  # counted, and flushed: the caller commits the failure before answering
            u.failed_logins = (u.failed_logins or 0) + 1
            wait = lockout_for(u.failed_logins)
            u.locked_until = now + wait if wait else None
            session.flush()
        raise bad from None
    if u is None or not u.is_active:
        raise bad
    if _hasher.check_needs_rehash(u.password_hash):
        u.password_hash = _hasher.hash(password)
    u.last_login_at = now
    u.failed_logins, u.locked_until = 0, None
    return u


def open_session(session: Session, user: UserAccount, *, hours: float, now: datetime | None = None) -> str:
    """A new session for the user; returns the cookie token (kept only hashed)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    repository.add_session(
        session,
        UserSession(
            token_hash=_sha256(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        ),
    )
    session.flush()
    return token


def principal_for_session(session: Session, token: str, *, now: datetime | None = None) -> Principal:
    now = now or utcnow()
    found = repository.session_by_token_hash(session, _sha256(token)) if token else None
    if found is None:
        raise Unauthenticated("please sign in", "请先登录")
    s, u = found
    if s.ended_at is not None or s.expires_at <= now or not u.is_active:
        raise Unauthenticated("your session has ended; please sign in again", "会话已结束，请重新登录")
    code: str | None = None
    roles: frozenset[str] = frozenset()
    if u.enterprise_id is not None:
        e = partners.enterprise_by_id(session, u.enterprise_id)
        code, roles = e.code, frozenset(e.roles)
    return Principal(
        kind="user",
        name=u.username,
        role=u.role,
        enterprise_code=code,
        enterprise_roles=roles,
        user_id=u.id,
        session_id=s.id,
        csrf_token=s.csrf_token,
        language=u.language,
    )


def end_session(session: Session, token: str) -> None:
    found = repository.session_by_token_hash(session, _sha256(token)) if token else None
    if found is not None and found[0].ended_at is None:
        found[0].ended_at = utcnow()


def principal_for_api_key(session: Session, api_key: str) -> Principal:
    try:
        cred, e = partners.authenticate_key(session, api_key)
    except NotFound:
        raise Unauthenticated("API key not recognised or revoked", "API 密钥无效或已吊销", field="api_key") from None
    return Principal(
        kind="api_key",
        name=cred.key_id,
        role="partner",
        enterprise_code=e.code,
        enterprise_roles=frozenset(e.roles),
        credential_id=cred.id,
    )


def set_language(session: Session, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput("language is zh or en", "语言为 zh 或 en", field="language")
    u = repository.get_user_by_id(session, user_id)
    if u is not None:
        u.language = language


def change_password(session: Session, user_id: int, current: str, new: str) -> None:
    u = repository.get_user_by_id(session, user_id)
    if u is None:
        raise NotFound("user not found", "用户不存在")
    try:
        _hasher.verify(u.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise InvalidInput("the current password is wrong", "当前密码错误", field="current_password") from None
    problem = password_problem(new, u.username)
    if problem:
        raise InvalidInput(problem[0], problem[1], field="new_password")
    u.password_hash = _hasher.hash(new)
    audit.record(session, "user.password", f"user:{u.username}")


def record_personal_access(session: Session, p: Principal, subject: str, fields: list[str], reason: str) -> None:
    """Keep who opened which buyer's personal data, when and why (PIPL Art. 51, audit)."""
    repository.add_personal_access(
        session,
        PersonalDataAccess(user_id=p.user_id, actor=p.name, subject=subject, fields=fields, reason=reason[:200]),
    )
    audit.record(session, "personal_data.open", subject, {"fields": fields, "reason": reason[:200]})


def personal_data_accesses(session: Session, limit: int = 100) -> list[PersonalDataAccessRead]:
    return [
        PersonalDataAccessRead(at=a.at, actor=a.actor, subject=a.subject, fields=a.fields, reason=a.reason)
        for a in repository.personal_data_accesses(session, limit)
    ]


def me(p: Principal) -> MeRead:
    return MeRead(
        kind=p.kind,
        name=p.name,
        role=p.role,
        enterprise_code=p.enterprise_code,
        enterprise_roles=sorted(p.enterprise_roles),
    )


# --- idempotency -----------------------------------------------------------------------------


def request_digest(body: bytes, path: str) -> str:
    return hashlib.sha256(path.encode() + b"\0" + body).hexdigest()


def replay(session: Session, principal: str, key: str, digest: str) -> IdempotencyRecord | None:
    """The stored answer for this key, or None; a key reused for another request is a Conflict."""
    if not key or len(key) > 100:
        raise InvalidInput(
            "Idempotency-Key has 1 to 100 characters", "Idempotency-Key 为 1 至 100 个字符", field="Idempotency-Key"
        )
    rec = repository.get_idempotency(session, principal, key)
    if rec is not None and rec.request_sha256 != digest:
        raise Conflict(
            f"Idempotency-Key {key} was used for a different request",
            f"Idempotency-Key {key} 已用于另一个请求",
            field="Idempotency-Key",
        )
    return rec


def remember(
    session: Session, principal: str, key: str, digest: str, status_code: int, response: dict[str, JsonValue]
) -> None:
    repository.add_idempotency(
        session,
        IdempotencyRecord(
            principal=principal, key=key, request_sha256=digest, status_code=status_code, response=response
        ),
    )
    session.flush()
