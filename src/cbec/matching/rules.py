"""The matching rule table (三单对碰), pure.

Export (9610/9710/9810): order + waybill; the payment receipt (CEB403) is optional since
海关总署公告2024年第167号 and is checked when present. Import retail (9610/1210): order + payment +
waybill, per the CEB spec (CEB.md §5.1): the amount paid equals the payment's amount
(acturalPaid = amountPaid), consignee name/phone/address equal the waybill's, and the payer is
the buyer (§5.2: "payer info equals buyer info").

Every rule returns a ``RuleOutcome`` with its reason in Chinese and English, so a person can
see why an order is not matched. Documents are given as their stored heads (CEB field names;
amounts as exact decimal text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol, TypeVar


class MatchState(StrEnum):
    MATCHED = "matched"  # every rule passed: ready to declare
    UNMATCHED = "unmatched"  # a document is missing or disagrees
    HELD = "held"  # documents agree, but a line cannot be declared yet (no confirmed HS code)


@dataclass(frozen=True, slots=True)
class Doc:
    """A stored document as the engine sees it."""

    id: int
    head: Mapping[str, Any]
    lines: Sequence[Mapping[str, Any]] = ()
    is_valid: bool = True


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule: str
    passed: bool
    reason_zh: str = ""
    reason_en: str = ""
    blocking: bool = True  # a failed non-blocking rule holds the order instead of unmatching it

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "passed": self.passed,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }


@dataclass(frozen=True, slots=True)
class MatchInput:
    order: Doc
    waybill: Doc | None = None
    payment: Doc | None = None  # export: CEB403 receipt (optional); import: CEB411 payment
    #: SKUs of this seller whose HS code is confirmed in the catalogue
    confirmed_skus: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    state: MatchState
    rules: tuple[RuleOutcome, ...]
    reason: str = ""  # the first failing rule, "" when matched

    @property
    def failed(self) -> list[RuleOutcome]:
        return [r for r in self.rules if not r.passed]


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _ok(rule: str) -> RuleOutcome:
    return RuleOutcome(rule, True)


def _fail(rule: str, zh: str, en: str, *, blocking: bool = True) -> RuleOutcome:
    return RuleOutcome(rule, False, zh, en, blocking)


# --- rules shared by both directions -------------------------------------------------------


def rule_order_valid(m: MatchInput) -> RuleOutcome:
    if m.order.is_valid:
        return _ok("order_valid")
    return _fail(
        "order_valid", "订单未通过校验，请更正后重新提交", "the order failed validation; correct and resubmit it"
    )


def rule_waybill_present(m: MatchInput) -> RuleOutcome:
    if m.waybill is not None:
        return _ok("waybill_present")
    return _fail("waybill_present", "尚未收到该订单的运单", "no waybill for this order has been received")


def rule_waybill_valid(m: MatchInput) -> RuleOutcome:
    if m.waybill is None or m.waybill.is_valid:
        return _ok("waybill_valid")
    return _fail("waybill_valid", "运单未通过校验", "the waybill failed validation")


def unconfirmed_skus(lines: Sequence[Mapping[str, Any]], confirmed: frozenset[str]) -> list[str]:
    """The order's goods SKUs without a confirmed HS code, sorted: what the order waits on."""
    return sorted({str(line.get("itemNo") or "") for line in lines if "kind" not in line} - confirmed)


def rule_hs_confirmed(m: MatchInput) -> RuleOutcome:
    """Goods lines must name a SKU whose HS code the seller confirmed (商品备案): never a guess."""
    missing = unconfirmed_skus(m.order.lines, m.confirmed_skus)
    if not missing:
        return _ok("hs_confirmed")
    shown = ", ".join(missing[:5]) + (f" … (+{len(missing) - 5})" if len(missing) > 5 else "")
    return _fail(
        "hs_confirmed",
        f"以下商品尚无已确认的 HS 编码：{shown}",
        f"these SKUs have no confirmed HS code yet: {shown}",
        blocking=False,
    )


# --- export ----------------------------------------------------------------------------------


def rule_export_waybill_seller(m: MatchInput) -> RuleOutcome:
    if m.waybill is None:
        return _ok("waybill_seller")
    ebc = m.waybill.head.get("ebcCode")
    if not ebc or ebc == m.order.head.get("ebcCode"):
        return _ok("waybill_seller")
    return _fail(
        "waybill_seller",
        f"运单的电商企业 {ebc} 与订单的 {m.order.head.get('ebcCode')} 不一致",
        f"the waybill's seller {ebc} differs from the order's {m.order.head.get('ebcCode')}",
    )


def rule_export_receipt(m: MatchInput) -> RuleOutcome:
    """Optional since 海关总署公告2024年第167号; when sent, it must agree with the order."""
    if m.payment is None:
        return _ok("receipt")
    if not m.payment.is_valid:
        return _fail("receipt", "收款单未通过校验", "the payment receipt failed validation")
    oh, ph = m.order.head, m.payment.head
    if ph.get("currency") != oh.get("currency"):
        return _fail(
            "receipt",
            f"收款币制 {ph.get('currency')} 与订单币制 {oh.get('currency')} 不一致",
            f"receipt currency {ph.get('currency')} differs from the order's {oh.get('currency')}",
        )
    charge = _dec(ph.get("charge"))
    expected = (_dec(oh.get("goodsValue")) or Decimal(0)) + (_dec(oh.get("freight")) or Decimal(0))
    if charge != expected:
        return _fail(
            "receipt",
            f"收款金额 {charge} 不等于订单货值加运费 {expected}",
            f"amount received {charge} is not the order's goods value plus freight {expected}",
        )
    return _ok("receipt")


def rule_export_destination(m: MatchInput) -> RuleOutcome:
    country = m.order.head.get("destinationCountry")
    if country and country != "142":
        return _ok("destination")
    return _fail(
        "destination",
        "订单缺少运抵国（不能为中国）",
        "the order has no destination country (it cannot be China)",
    )


EXPORT_RULES: tuple[Callable[[MatchInput], RuleOutcome], ...] = (
    rule_order_valid,
    rule_waybill_present,
    rule_waybill_valid,
    rule_export_waybill_seller,
    rule_export_receipt,
    rule_export_destination,
    rule_hs_confirmed,
)


# --- import ----------------------------------------------------------------------------------


def rule_payment_present(m: MatchInput) -> RuleOutcome:
    if m.payment is not None:
        return _ok("payment_present")
    return _fail("payment_present", "尚未收到该订单的支付单", "no payment for this order has been received")


def rule_import_same_seller(m: MatchInput) -> RuleOutcome:
    """The payment and waybill were filed for the order's seller (三单 belong to one 电商企业)."""
    order_ebc = m.order.head.get("ebcCode")
    for doc, zh, en in ((m.payment, "支付单", "payment"), (m.waybill, "运单", "waybill")):
        ebc = doc.head.get("ebcCode") if doc is not None else None
        if ebc and order_ebc and ebc != order_ebc:
            return _fail(
                "same_seller",
                f"{zh}属于电商企业 {ebc}，与订单的 {order_ebc} 不一致",
                f"the {en} belongs to seller {ebc}, not the order's {order_ebc}",
            )
    return _ok("same_seller")


def rule_payment_valid(m: MatchInput) -> RuleOutcome:
    if m.payment is None or m.payment.is_valid:
        return _ok("payment_valid")
    return _fail("payment_valid", "支付单未通过校验", "the payment failed validation")


def rule_amount_paid(m: MatchInput) -> RuleOutcome:
    """CEB311 acturalPaid must equal CEB411 amountPaid (CEB spec, CEB.md §5.1 rule 1)."""
    if m.payment is None:
        return _ok("amount_paid")
    paid = _dec(m.order.head.get("acturalPaid"))
    amount = _dec(m.payment.head.get("amountPaid"))
    if paid is not None and paid == amount:
        return _ok("amount_paid")
    return _fail(
        "amount_paid",
        f"订单实付金额 {paid} 与支付单支付金额 {amount} 不一致",
        f"order acturalPaid {paid} differs from payment amountPaid {amount}",
    )


def rule_consignee(m: MatchInput) -> RuleOutcome:
    """Consignee name, phone and address equal the waybill's (CEB.md §5.1 rule 2)."""
    if m.waybill is None:
        return _ok("consignee")
    labels = {"consignee": "收货人", "consigneeTelephone": "收货人电话", "consigneeAddress": "收货地址"}
    diff = [f for f in labels if str(m.order.head.get(f, "")).strip() != str(m.waybill.head.get(f, "")).strip()]
    if not diff:
        return _ok("consignee")
    return _fail(
        "consignee",
        "订单与运单的" + "、".join(labels[f] for f in diff) + "不一致",
        "order and waybill differ in " + ", ".join(diff),
    )


def rule_payer_is_buyer(m: MatchInput) -> RuleOutcome:
    """The payer is the buyer: same ID number and name (CEB.md §5.2, 三单对碰 practice)."""
    if m.payment is None:
        return _ok("payer_is_buyer")
    oh, ph = m.order.head, m.payment.head
    diff = []
    if str(ph.get("payerIdNumber", "")).upper() != str(oh.get("buyerIdNumber", "")).upper():
        diff.append(("payerIdNumber", "证件号码"))
    if str(ph.get("payerName", "")).strip() != str(oh.get("buyerName", "")).strip():
        diff.append(("payerName", "姓名"))
    if not diff:
        return _ok("payer_is_buyer")
    return _fail(
        "payer_is_buyer",
        "支付人与订购人的" + "、".join(z for _, z in diff) + "不一致",
        "payer and buyer differ in " + ", ".join(f for f, _ in diff),
    )


def rule_payment_transaction(m: MatchInput) -> RuleOutcome:
    """When the order names its payment transaction, it must be this payment's."""
    if m.payment is None:
        return _ok("payment_transaction")
    named = m.order.head.get("payTransactionId")
    if not named or named == m.payment.head.get("payTransactionId"):
        return _ok("payment_transaction")
    return _fail(
        "payment_transaction",
        f"订单的支付交易编号 {named} 与支付单 {m.payment.head.get('payTransactionId')} 不一致",
        f"order payTransactionId {named} differs from the payment's {m.payment.head.get('payTransactionId')}",
    )


IMPORT_RULES: tuple[Callable[[MatchInput], RuleOutcome], ...] = (
    rule_order_valid,
    rule_payment_present,
    rule_waybill_present,
    rule_import_same_seller,
    rule_payment_valid,
    rule_waybill_valid,
    rule_amount_paid,
    rule_consignee,
    rule_payer_is_buyer,
    rule_payment_transaction,
    rule_hs_confirmed,
)


@dataclass(frozen=True)
class RuleTable:
    kind: str
    rules: tuple[Callable[[MatchInput], RuleOutcome], ...] = field(default=())


EXPORT = RuleTable("export", EXPORT_RULES)
IMPORT = RuleTable("import", IMPORT_RULES)


def match(m: MatchInput, table: RuleTable) -> MatchOutcome:
    """Run every rule of the table (all of them, so every reason is shown) and decide the state."""
    outcomes = tuple(rule(m) for rule in table.rules)
    blocking = next((o for o in outcomes if not o.passed and o.blocking), None)
    if blocking is not None:
        return MatchOutcome(MatchState.UNMATCHED, outcomes, blocking.rule)
    holding = next((o for o in outcomes if not o.passed), None)
    if holding is not None:
        return MatchOutcome(MatchState.HELD, outcomes, holding.rule)
    return MatchOutcome(MatchState.MATCHED, outcomes)


class Candidate(Protocol):
    """A stored waybill or payment that may pair with an order."""

    @property
    def head(self) -> Mapping[str, Any]: ...

    @property
    def seller_code(self) -> str: ...


C = TypeVar("C", bound=Candidate)


def pick_candidate(candidates: Sequence[C], ebp_code: str, seller_code: str) -> C | None:
    """Which waybill (or payment) pairs with an order (CEB.md §5.1: same order number, same
    platform). ``candidates`` are the current documents under the order's number, oldest first.

    The newest one of the order's platform (or one that names no platform) wins, the order's own
    seller's before another seller's; another seller's is still passed on so that the rules refuse
    it with a reason (waybill_seller / payment rules) instead of reporting it missing. A candidate
    of another platform never pairs.
    """
    own: C | None = None
    other: C | None = None
    for c in candidates:
        c_ebp = c.head.get("ebpCode")
        if not c_ebp or c_ebp == ebp_code:
            if c.seller_code == seller_code:
                own = c
            else:
                other = c
    return own or other
