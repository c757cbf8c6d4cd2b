"""Pure checks of enterprise identities and roles.

Enterprise codes in CEB messages (ebpCode, ebcCode, logisticsCode, payCode, agentCode …) are the
10-character customs registration code (海关注册编码) or the 18-character unified social credit code
(统一社会信用代码, GB 32100-2015, with its check character) — CEB.md §3.2.
"""

from __future__ import annotations

from enum import StrEnum

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from cbec.errors import InvalidInput


class Role(StrEnum):
    EBP = "ebp"  # 电商平台 e-commerce platform
    EBC = "ebc"  # 电商企业 e-commerce enterprise (seller)
    PAY = "pay"  # 支付企业 payment company
    LOGISTICS = "logistics"  # 物流企业 logistics company
    AGENT = "agent"  # 申报企业 declaring agent
    OPERATOR = "operator"  # 监管场所经营人 supervised-site operator
    WAREHOUSE = "warehouse"  # 海外仓经营企业 overseas-warehouse operator


ROLE_NAMES_ZH = {
    Role.EBP: "电商平台",
    Role.EBC: "电商企业",
    Role.PAY: "支付企业",
    Role.LOGISTICS: "物流企业",
    Role.AGENT: "申报企业",
    Role.OPERATOR: "监管场所经营人",
    Role.WAREHOUSE: "海外仓经营企业",
}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"unknown role {value!r}; allowed: {allowed}",
            f"未知角色 {value!r}；可选：{allowed}",
            field="role",
        ) from None


def check_enterprise_code(code: str) -> str:
    """Return the code kind ("customs" or "uscc") or raise InvalidInput with the reason.

    * 10 characters: customs registration code — digits and upper-case letters (the 5th
      character is the enterprise-type letter/digit; customs publishes no check digit for it).
    * 18 characters: USCC, validated with its GB 32100 check character (python-stdnum cn.uscc).
    """
    c = code.strip()
    if len(c) == 10:
        if not c.isascii() or not c.isalnum() or c != c.upper():
            raise InvalidInput(
                f"customs registration code {code!r} must be 10 digits or upper-case letters",
                f"海关注册编码 {code!r} 应为 10 位数字或大写字母",
                field="code",
            )
        return "customs"
    if len(c) == 18:
        try:
            uscc.validate(c)
        except StdnumError as exc:
            reason = {
                "InvalidChecksum": ("the check character (GB 32100) is wrong", "校验码错误（GB 32100）"),
                "InvalidFormat": ("characters outside the USCC alphabet", "含有统一社会信用代码不允许的字符"),
                "InvalidComponent": (
                    "an invalid registration department or region part",
                    "登记管理部门或行政区划码无效",
                ),
            }.get(type(exc).__name__, (str(exc), str(exc)))
            raise InvalidInput(
                f"unified social credit code {code!r} is invalid: {reason[0]}",
                f"统一社会信用代码 {code!r} 无效：{reason[1]}",
                field="code",
            ) from None
        return "uscc"
    raise InvalidInput(
        f"enterprise code {code!r} has {len(c)} characters; it must be a 10-character customs "
        "registration code or an 18-character unified social credit code",
        f"企业代码 {code!r} 长度为 {len(c)}；应为 10 位海关注册编码或 18 位统一社会信用代码",
        field="code",
    )
