"""The sandbox customs' own rules, pure: the codes it answers with, customs' checks of an order
and of a list against its order, payment and waybill (CEB.md §5.1), the retail-import limits
(the platform's one definition, ``cbec.tax.rules``), and how it keeps documents without
personal data."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any

from cbec.ceb.messages import MessageSpec
from cbec.errors import RuleViolation
from cbec.tax.rules import LimitBreach, limit_breaches, retail_import_rules

#: Sums and line totals may differ by one fen from the exact product (amounts rounded to 0.01).
TOLERANCE = Decimal("0.01")

# Official codes (CEB.md §4.2, §5.1) and the ones chosen here; data/sandbox_errors.csv says which.
FORMAT_ERROR, SCHEMA_ERROR, NOT_ACCEPTED = -1, -2, -3
DUPLICATE_ORDER, DUPLICATE_PAYMENT, WAYBILL_EXISTS = -301010, -401007, -504012
DUPLICATE_LIST, OVER_SINGLE_LIMIT, OVER_ANNUAL_LIMIT = -621004, -621005, -621018
DUPLICATE_GNUM, SIGNATURE_FAILED, DUPLICATE_DOCUMENT = -621027, -621029, -900001
#: 海关退单: customs refuses the document, reason in returnInfo (CEB.md §4.2).
REFUSED = 100

RETURN_FIELDS = ("returnStatus", "returnTime", "returnInfo")
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ROOT = re.compile(r"^CEB(\d{3})Message$")

#: Prefix of the e-port number (preNo, 1 letter + YYYYMMDD + 9-digit serial = 18) per message.
#: "B" is what CEB.md §3.2 and the 213 annotation state; the others follow the official receipt
#: samples (508/510/608/702 "P", 626 "T", 712 "R") and CEB.md §3.2 ("o" for the refund detail).
PRE_NO_PREFIX = {
    "CEB603": "B",
    "CEB621": "B",
    "CEB605": "B",
    "CEB623": "B",
    "CEB213": "B",
    "CEB625": "T",
    "CEB215": "O",
    "CEB507": "P",
    "CEB509": "P",
    "CEB607": "P",
    "CEB701": "P",
    "CEB711": "R",
}

#: Status walks after the immediate 2 (电子口岸申报中), one status per step. The receipt XSD
#: annotations (CEB.md §4.2) decide between 120 海关入库 and 399 海关审结 where the brief leaves it open.
LIST_WALK = ("120", "800", "899")
INSPECTED_LIST_WALK = ("120", "500", "800", "899")
#: a yellow-lane list (document check): 300 人工审核 before release (CEB.md §4.2)
DOCUMENT_CHECK_WALK = ("120", "300", "800", "899")
#: the walk of each risk lane (cbec.risk.lanes): red inspected, yellow a document query, blue and
#: green released (blue is audited after release, which the e-port does not show)
LANE_WALKS = {"red": INSPECTED_LIST_WALK, "yellow": DOCUMENT_CHECK_WALK, "blue": LIST_WALK, "green": LIST_WALK}
STATUS_INFO = {
    "120": "海关入库",
    "300": "人工审核：单证审核，请在规定时间内向海关提交订单、支付、物流单证及商品价格证明（黄色通道）",
    "399": "海关审结",
    "500": "查验：海关布控查验，货物待查验",
    "800": "放行",
    "899": "结关",
}
RESULT = "CEB792"  # a summary's last walk step: the SummaryResult message, not a receipt status

#: Fields that identify people: the sandbox keeps digests of them, never the values.
PERSONAL = frozenset(
    {
        "buyerRegNo",
        "buyerName",
        "buyerTelephone",
        "buyerIdNumber",
        "consignee",
        "consigneeTelephone",
        "consigneeAddress",
        "consigneeDistrict",
        "payerIdNumber",
        "payerName",
        "telephone",
    }
)


# --- error codes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: int
    is_official: bool  # named in CEB.md (from SPEC §7 table 7-2), or chosen by the sandbox
    message_zh: str
    message_en: str
    source: str


@lru_cache(maxsize=1)
def error_codes() -> dict[int, ErrorCode]:
    """The negative codes the sandbox answers with (sandbox/data/sandbox_errors.csv)."""
    text = resources.files("cbec.sandbox.data").joinpath("sandbox_errors.csv").read_text("utf-8")
    return {
        int(row["code"]): ErrorCode(
            int(row["code"]), row["official"] == "yes", row["message_zh"], row["message_en"], row["source"]
        )
        for row in csv.DictReader(text.splitlines())
    }


def error(code: int, detail: str = "") -> tuple[int, str]:
    text = error_codes()[code].message_zh
    return code, f"{text}：{detail}" if detail else text


# --- pure rules -------------------------------------------------------------------------------


def dec(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip() or "0")
    except InvalidOperation:
        return Decimal(0)


def near(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= TOLERANCE


def _line_problems(lines: Sequence[Mapping[str, Any]]) -> list[str]:
    """CEB.md §5.1 import 3 / export 3: every line's totalPrice = qty × price."""
    out = []
    for line in lines:
        qty, price, total = dec(line.get("qty")), dec(line.get("price")), dec(line.get("totalPrice"))
        if not near(qty * price, total):
            out.append(f"第{line.get('gnum')}项总价 {total} ≠ 数量 {qty} × 单价 {price}")
    return out


def duplicate_gnums(lines: Sequence[Mapping[str, Any]]) -> list[int]:
    seen = Counter(int(line.get("gnum") or 0) for line in lines)
    return sorted(g for g, n in seen.items() if n > 1)


def order_problems(head: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], *, is_import: bool) -> list[str]:
    """Customs' checks of an order on its own (CEB.md §5.1): gnum unique, line totals and, for an
    import order, acturalPaid = goodsValue + freight + taxTotal − discount (within one fen)."""
    out = []
    repeated = duplicate_gnums(lines)
    if repeated:
        out.append(f"商品序号重复：{', '.join(map(str, repeated))}")
    out += _line_problems(lines)
    if is_import:
        goods, freight = dec(head.get("goodsValue")), dec(head.get("freight"))
        tax, discount, paid = dec(head.get("taxTotal")), dec(head.get("discount")), dec(head.get("acturalPaid"))
        expected = goods + freight + tax - discount
        if not near(expected, paid):
            out.append(
                f"实际支付金额 {paid} ≠ 商品价格 {goods} + 运杂费 {freight} + 代扣税款 {tax} − 非现金抵扣 {discount}"
                f"（= {expected}）"
            )
    return out


def list_problems(
    head: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    order: Mapping[str, Any],
    *,
    is_import: bool,
    order_gnums: Sequence[int] = (),
    buyer_matches: bool = True,
    consignee_matches: bool = True,
    amount_paid: Decimal | None = None,
) -> list[str]:
    """Customs' matching of a list against its order, payment and waybill (CEB.md §5.1).

    ``order`` is the order head. The list's ebcCode must be the order's (export 1: the consignor);
    every line totalPrice = qty × price; every list gnum must be a line of the order (import 4,
    export 1 — a list may carry fewer lines than its order); for an import list the buyer must be
    the order's, the waybill's consignee the order's (import 2) and the payment amount the order's
    acturalPaid (import 1).
    """
    out = []
    if head.get("ebcCode") != order.get("ebcCode"):
        out.append(f"清单电商企业 {head.get('ebcCode')} 与订单电商企业 {order.get('ebcCode')} 不一致")
    out += _line_problems(lines)
    if order_gnums:
        unknown = sorted({int(line.get("gnum") or 0) for line in lines} - set(order_gnums))
        if unknown:
            out.append(f"清单商品序号 {', '.join(map(str, unknown))} 在订单中不存在")
    if is_import:
        if not buyer_matches:
            out.append("清单订购人与订单订购人不一致")
        if not consignee_matches:
            out.append("运单收货人（姓名、电话、地址）与订单不一致")
        paid = dec(order.get("acturalPaid"))
        if amount_paid is not None and not near(amount_paid, paid):
            out.append(f"支付凭证支付金额 {amount_paid} 与订单实际支付金额 {paid} 不一致")
    return out


def retail_limit(value: Decimal, *, is_single_item: bool, year_total: Decimal, on: date) -> tuple[int, str] | None:
    """The retail-import limits in force on ``on`` (the platform's rule sets, ``cbec.tax.rules``:
    财关税〔2016〕18号, 〔2018〕49号; RULES.md §1.2), or None when within them.

    ``value`` is what the limits apply to (``cbec.tax.rules.limit_value``); ``year_total`` what
    the buyer's lists already count this calendar year. Over the single limit → −621005, unless
    the order is one single item and the rule set lets it clear (49号 art. 2: fully taxed, and it
    counts toward the year); the year including this order over the annual limit → −621018
    (exactly at the limit is allowed).
    """
    try:
        rule_set = retail_import_rules(on)
    except RuleViolation as exc:
        return REFUSED, f"海关退单：{exc.message_zh}"
    breaches = limit_breaches(rule_set, value, year_total, is_single_item=is_single_item)
    if LimitBreach.SINGLE in breaches or LimitBreach.SINGLE_ITEM in breaches:
        return error(OVER_SINGLE_LIMIT, f"订单金额 {value} 元，超过 {rule_set.single_limit} 元")
    if LimitBreach.ANNUAL in breaches:
        return error(
            OVER_ANNUAL_LIMIT,
            f"本年度已用 {year_total} 元，加本单 {value} 元为 {year_total + value} 元，超过 {rule_set.annual_limit} 元",
        )
    return None


def digest(*values: Any) -> str:
    return hashlib.sha256("\x1f".join(str(v or "").strip() for v in values).encode("utf-8")).hexdigest()


def join_key(*parts: Any) -> str:
    return "|".join(str(p or "") for p in parts)


def stored(head: Mapping[str, Any], lines: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    return {
        "head": {k: v for k, v in head.items() if k not in PERSONAL},
        "lines": [{k: v for k, v in line.items() if k not in PERSONAL} for line in lines],
    }


def side_of(spec: MessageSpec) -> str:
    return "E" if spec.is_export else "I"


def xml_text(data: bytes) -> str:
    return NOT_XML.sub("\ufffd", data.decode("utf-8", errors="replace"))
