"""Enterprise registry use cases. Services never commit: the caller's unit of work does."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.errors import Conflict, InvalidInput, NotFound
from cbec.orm import utcnow
from cbec.partners import repository
from cbec.partners.models import ApiCredential, Enterprise, EnterpriseRole
from cbec.partners.rules import Role, check_enterprise_code, parse_role
from cbec.partners.schemas import CredentialIssued, CredentialRead, EnterpriseCreate, EnterpriseRead


def to_read(e: Enterprise) -> EnterpriseRead:
    return EnterpriseRead(
        id=e.id,
        code=e.code,
        code_kind=e.code_kind,
        name=e.name,
        name_en=e.name_en,
        roles=sorted(r.role for r in e.roles),
        dxp_id=e.dxp_id,
        default_platform=e.default_platform,
    )


def register_enterprise(session: Session, data: EnterpriseCreate) -> EnterpriseRead:
    """Register an enterprise after checking its code, name and roles."""
    code = data.code.strip()
    kind = check_enterprise_code(code)
    name = data.name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(
            "enterprise name is required and at most 100 characters (CEB ebcName C..100)",
            "企业名称必填，且不超过 100 个字符（CEB ebcName C..100）",
            field="name",
        )
    if not data.roles:
        raise InvalidInput("at least one role is required", "至少需要一个角色", field="role")
    roles = sorted({parse_role(r) for r in data.roles})
    if data.dxp_id is not None and not (0 < len(data.dxp_id) <= 30):
        raise InvalidInput("DXP id is at most 30 characters", "DXP 编号不超过 30 个字符", field="dxp_id")
    if repository.get_by_code(session, code) is not None:
        raise Conflict(f"enterprise {code} is already registered", f"企业 {code} 已登记", field="code")
    e = Enterprise(code=code, code_kind=kind, name=name, name_en=data.name_en.strip(), dxp_id=data.dxp_id)
    e.roles = [EnterpriseRole(role=r.value) for r in roles]
    repository.add(session, e)
    session.flush()
    audit.record(
        session, "enterprise.register", f"enterprise:{code}", {"name": name, "roles": [r.value for r in roles]}
    )
    return to_read(e)


def ensure_enterprise(session: Session, data: EnterpriseCreate) -> EnterpriseRead:
    """Register, or return the existing enterprise with any missing roles added."""
    existing = repository.get_by_code(session, data.code.strip(), with_roles=True)
    if existing is None:
        return register_enterprise(session, data)
    have = {r.role for r in existing.roles}
    for r in {parse_role(x) for x in data.roles}:
        if r.value not in have:
            existing.roles.append(EnterpriseRole(role=r.value))
    session.flush()
    return to_read(existing)


def list_enterprises(session: Session, *, role: str | None = None) -> list[EnterpriseRead]:
    if role:
        role = parse_role(role).value
    return [to_read(e) for e in repository.list_all(session, role=role)]


def get_enterprise(session: Session, code: str) -> EnterpriseRead:
    e = repository.get_by_code(session, code, with_roles=True)
    if e is None:
        raise NotFound(f"enterprise {code} is not registered", f"企业 {code} 未登记", field="code")
    return to_read(e)


def find_enterprise(session: Session, code: str) -> EnterpriseRead | None:
    """The enterprise registered under ``code``, or None."""
    e = repository.get_by_code(session, code, with_roles=True)
    return None if e is None else to_read(e)


def require_role(session: Session, code: str, role: Role) -> EnterpriseRead:
    e = get_enterprise(session, code)
    if role.value not in e.roles:
        raise InvalidInput(
            f"enterprise {code} does not have the role {role.value}",
            f"企业 {code} 不具有角色 {role.value}",
            field="role",
        )
    return e


def _hash_secret(secret: str) -> str:
    # API keys carry 256 bits of randomness, so a plain SHA-256 is a sound and fast verifier;
    # user passwords (low entropy) will use a slow hash instead.
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def issue_credential(session: Session, code: str, *, label: str = "") -> CredentialIssued:
    """Create an API key for an enterprise. The key is returned once and only its hash is kept."""
    e = repository.get_by_code(session, code)
    if e is None:
        raise NotFound(f"enterprise {code} is not registered", f"企业 {code} 未登记", field="code")
    key_id = "ck_" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    repository.add(
        session, ApiCredential(enterprise_id=e.id, key_id=key_id, secret_hash=_hash_secret(secret), label=label)
    )
    session.flush()
    audit.record(session, "key.issue", f"enterprise:{code}", {"key_id": key_id, "label": label})  # never the secret
    return CredentialIssued(enterprise_code=code, key_id=key_id, api_key=f"{key_id}.{secret}")


def verify_credential(session: Session, api_key: str) -> EnterpriseRead:
    """The enterprise behind an API key, or NotFound for a wrong, unknown or revoked key."""
    return authenticate_key(session, api_key)[1]


def authenticate_key(session: Session, api_key: str) -> tuple[ApiCredential, EnterpriseRead]:
    """The credential and its enterprise (with roles) behind an API key, or NotFound."""
    key_id, _, secret = api_key.partition(".")
    cred = repository.get_credential(session, key_id)
    bad = NotFound("API key not recognised or revoked", "API 密钥无效或已吊销", field="api_key")
    if cred is None or cred.revoked_at is not None:
        raise bad
    if not hmac.compare_digest(cred.secret_hash, _hash_secret(secret)):
        raise bad
    return cred, enterprise_by_id(session, cred.enterprise_id)


def enterprise_by_id(session: Session, enterprise_id: int) -> EnterpriseRead:
    e = repository.get_by_id(session, enterprise_id)
    if e is None:
        raise NotFound(f"enterprise {enterprise_id} does not exist", f"企业 {enterprise_id} 不存在", field="enterprise")
    return to_read(e)


def revoke_credential(session: Session, key_id: str) -> None:
    cred = repository.get_credential(session, key_id)
    if cred is None:
        raise NotFound(f"credential {key_id} not found", f"凭据 {key_id} 不存在", field="key_id")
    if cred.revoked_at is None:
        cred.revoked_at = utcnow()
        audit.record(session, "key.revoke", f"key:{key_id}")


def list_credentials(session: Session, code: str) -> list[CredentialRead]:
    """An enterprise's keys: public id, label, dates; never a secret."""
    e = repository.get_by_code(session, code)
    if e is None:
        raise NotFound(f"enterprise {code} is not registered", f"企业 {code} 未登记", field="code")
    return [
        CredentialRead(key_id=c.key_id, label=c.label, created_at=c.created_at, revoked_at=c.revoked_at)
        for c in repository.credentials_of(session, e.id)
    ]


def set_default_platform(session: Session, seller_code: str, platform_code: str | None) -> EnterpriseRead:
    """The platform a seller's submissions are made on when they name none (None: no default).
    The seller must be an ``ebc`` and the platform an ``ebp`` (or "无", a foreign platform
    without a Chinese code, CEB.md §7)."""
    require_role(session, seller_code, Role.EBC)
    code = (platform_code or "").strip() or None
    if code is not None and code != "无":
        require_role(session, code, Role.EBP)
    e = repository.get_by_code(session, seller_code, with_roles=True)
    assert e is not None  # require_role found it
    e.default_platform = code
    session.flush()
    audit.record(session, "enterprise.platform", f"enterprise:{seller_code}", {"default_platform": code or ""})
    return to_read(e)
