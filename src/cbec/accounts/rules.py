"""Who may do what, and how personal data is shown. Pure: no database, no I/O.

Three kinds of people use the web UI (PRODUCT.md): the zone operator (admin, sees every
enterprise), a seller's users (see only their own enterprise) and the regulator (statistics and
risk, never a buyer's personal data). Partners' systems call the API with an enterprise's key
and act within that enterprise's registered roles.

Personal data (个人信息): buyer ID numbers and phone numbers are masked wherever a person looks
(《个人信息保护法》第51条 requires measures such as de-identification; 海关总署公告2018年第194号
requires the platform to keep the buyer's real identity). Only the operator may open them, and
each opening is recorded by the service layer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from cbec.errors import CbecError, InvalidInput


class Forbidden(CbecError):
    """Authenticated, but this role may not do this (HTTP 403)."""

    code = "forbidden"
    http_status = 403


class Unauthenticated(CbecError):
    """No valid credential or session (HTTP 401)."""

    code = "unauthenticated"
    http_status = 401


class TooManyAttempts(CbecError):
    """Signing in is refused for a while after repeated failures (HTTP 429)."""

    code = "too_many_attempts"
    http_status = 429


#: the languages of the UI and of a user's profile (Chinese first: the default)
LANGUAGES = ("zh", "en")


class UserRole(StrEnum):
    ADMIN = "admin"  # 平台运营方（综试区）: every enterprise, user and credential
    SELLER = "seller"  # 卖家用户: one enterprise's documents, declarations and figures
    PARTNER = "partner"  # 企业用户: a platform's, logistics or payment company's people; rights as its API key
    REGULATOR = "regulator"  # 监管只读: statistics and risk, no personal data


ROLE_LABELS = {
    UserRole.ADMIN: ("平台运营", "Zone operator"),
    UserRole.SELLER: ("卖家用户", "Seller user"),
    UserRole.PARTNER: ("企业用户（平台、物流、支付）", "Partner user (platform, logistics, payment)"),
    UserRole.REGULATOR: ("监管只读", "Regulator (read-only)"),
}


def parse_user_role(value: str) -> UserRole:
    try:
        return UserRole(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in UserRole)
        raise InvalidInput(
            f"unknown user role {value!r}; allowed: {allowed}", f"未知用户角色 {value!r}；可选：{allowed}", field="role"
        ) from None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in user or an enterprise's API key."""

    kind: str  # "user" | "api_key"
    name: str  # username or key id
    role: str  # a UserRole value, or "partner" for an API key
    enterprise_code: str | None = None  # None: the operator and the regulator
    enterprise_roles: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None
    session_id: int | None = None
    credential_id: int | None = None
    csrf_token: str = ""
    language: str = "zh"

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN

    @property
    def is_regulator(self) -> bool:
        return self.role == UserRole.REGULATOR

    @property
    def acts_as_partner(self) -> bool:
        """An API key, or a partner enterprise's user: what it submits is checked against the
        enterprise's roles (SUBMIT_RIGHTS), and it names the seller it submits for."""
        return self.kind == "api_key" or self.role == UserRole.PARTNER

    @property
    def names_seller(self) -> bool:
        """Submits for sellers it names: the operator, and a partner that is not a seller itself."""
        return self.is_admin or (self.acts_as_partner and not self.enterprise_roles <= {"ebc"})

    def scope(self) -> frozenset[str] | None:
        """Enterprise codes whose data this principal sees; None means every enterprise."""
        if self.is_admin or self.is_regulator:
            return None
        return frozenset({self.enterprise_code}) if self.enterprise_code else frozenset()


def _deny(what_en: str, what_zh: str) -> Forbidden:
    return Forbidden(f"your role may not {what_en}", f"当前角色无权{what_zh}", field="role")


def require_admin(p: Principal) -> None:
    if not p.is_admin:
        raise _deny("manage enterprises, users or credentials", "管理企业、用户或凭据")


def require_business_data(p: Principal) -> None:
    """Documents, declarations, matching and tax carry buyers' data: not for the regulator view."""
    if p.is_regulator:
        raise _deny("read business documents (the regulator view shows statistics)", "查看业务单证（监管视图仅含统计）")


def require_submitter(p: Principal) -> None:
    if p.is_regulator:
        raise _deny("submit documents", "提交单证")


def require_risk_reviewer(p: Principal) -> None:
    """Clearing or refusing a risk hit is the zone operator's decision (docs/risk.md)."""
    if not p.is_admin:
        raise Forbidden("only the zone operator reviews risk hits", "只有综试区运营方可以审核风险命中", field="role")


def may_open_personal_data(p: Principal) -> bool:
    return p.is_admin


#: what an enterprise may push through the API, by its registered role, and the head field that
#: must carry its own code (a logistics company pushes its own waybills, not orders for a seller)
SUBMIT_RIGHTS: dict[str, dict[str, str | None]] = {
    "ebc": {  # the seller itself: any of its documents
        "export_order": None,
        "import_order": None,
        "order_cancel": None,
        "export_receipt": None,
        "export_waybill": None,
        "import_payment": None,
        "import_waybill": None,
    },
    "ebp": {"export_order": "ebpCode", "import_order": "ebpCode", "order_cancel": "ebpCode"},
    "agent": {"export_order": None, "import_order": None, "export_waybill": None, "import_waybill": None},
    "logistics": {"export_waybill": "logisticsCode", "import_waybill": "logisticsCode"},
    "pay": {"import_payment": "payCode", "export_receipt": "payCode"},
}


def submit_check(
    enterprise_code: str, enterprise_roles: frozenset[str], seller_code: str, doc_type: str, head: Mapping[str, Any]
) -> str | None:
    """Why an enterprise may not submit this document (English reason), or None when it may.

    A seller (ebc) submits for itself only; a platform, agent, logistics or payment company
    submits for a seller the types its role covers, and where the type names a party field
    that field must be its own code.
    """
    reasons: list[str] = []
    for role in sorted(enterprise_roles):
        rights = SUBMIT_RIGHTS.get(role, {})
        if doc_type not in rights:
            continue
        if role == "ebc" and seller_code != enterprise_code:
            reasons.append("a seller submits its own documents only")
            continue
        party = rights[doc_type]
        if party is not None and str(head.get(party) or "") != enterprise_code:
            reasons.append(f"{party} must be your own code {enterprise_code}")
            continue
        return None
    if not reasons:
        roles = ", ".join(sorted(enterprise_roles)) or "none"
        return f"an enterprise with the roles [{roles}] may not submit {doc_type}"
    return "; ".join(reasons)


# --- personal data -------------------------------------------------------------------------

#: CEB and intake fields that hold a buyer's identity or contact (CEB311/411/511/621)
PERSONAL_FIELDS = frozenset(
    {
        "buyerIdNumber",
        "buyerTelephone",
        "consigneeTelephone",
        "payerIdNumber",
        "consigneeIdNumber",
        "idNumber",
        "telephone",
    }
)


def mask_value(value: str) -> str:
    """Keep the first four and the last four characters (1101**********1234); short values
    keep less, so that at least half is hidden."""
    v = str(value)
    n = len(v)
    if n <= 4:
        return "*" * n
    keep = 4 if n >= 16 else max(1, n // 4)
    return v[:keep] + "*" * (n - 2 * keep) + v[-keep:]


def mask_personal(obj: Any) -> Any:
    """A copy of a JSON-like structure with every personal field masked."""
    if isinstance(obj, Mapping):
        return {
            k: (mask_value(v) if k in PERSONAL_FIELDS and isinstance(v, str) and v else mask_personal(v))
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [mask_personal(v) for v in obj]
    return obj


_XML_PERSONAL = re.compile(
    r"(<(?:[A-Za-z0-9_]+:)?(" + "|".join(sorted(PERSONAL_FIELDS)) + r")>)([^<]+)(</)",
)


def mask_xml(text: str) -> str:
    """The CEB XML text with personal elements masked (display only; what was sent is kept)."""
    return _XML_PERSONAL.sub(lambda m: m.group(1) + mask_value(m.group(3)) + m.group(4), text)


# --- passwords -------------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10


def password_problem(password: str, username: str) -> tuple[str, str] | None:
    """(English, Chinese) reason a password is refused, or None. NIST SP 800-63B §5.1.1.2:
    length over composition rules; refuse the username itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符",
        )
    if password.lower() == username.lower():
        return ("the password may not be the username", "密码不能与用户名相同")
    return None


#: consecutive failed sign-ins allowed before signing in is refused for a while (OWASP
#: Authentication Cheat Sheet: throttle after repeated failures; the numbers are ours)
FAILURES_BEFORE_LOCKOUT = 5
FIRST_LOCKOUT = timedelta(minutes=1)
LONGEST_LOCKOUT = timedelta(minutes=15)


def lockout_for(failures: int) -> timedelta | None:
    """How long signing in is refused after ``failures`` consecutive failures: none below the
    threshold, then one minute, doubling with each further failure up to fifteen."""
    if failures < FAILURES_BEFORE_LOCKOUT:
        return None
    return min(FIRST_LOCKOUT * (1 << min(failures - FAILURES_BEFORE_LOCKOUT, 10)), LONGEST_LOCKOUT)
