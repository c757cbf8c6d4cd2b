"""Dated tax rules of cross-border e-commerce, each with the documents it comes from.

A rule is picked by the date it applies on (the order's date for retail imports, the export date
on the declaration for refund rates and returned goods, the claim date for the late-claim
relaxation), never by today's date. Figures that vary by goods (VAT, consumption tax, tariff and
refund rates) are data in ``data/*.csv`` read by :mod:`cbec.tax.rates`; the points marked [I]
(inferred) in ``shared/reference/RULES.md`` are data in ``data/policy.csv``, so an operator can
replace them. What stays here is what RULES.md marks [C] (confirmed), quoted with its 文号, plus
two readings of ours that are marked [I] in their docstrings (the late-claim relaxation judged
by the claim date; the month-end clamp of the 6-month return window).

Pure: no I/O, no clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from cbec.errors import RuleViolation

ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of a rule, checked: what it is, whether it held, and why not (zh + en)."""

    code: str
    passed: bool
    message_zh: str
    message_en: str
    line: int | None = None  # gnum, when the condition concerns one line

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "passed": self.passed}
        if self.line is not None:
            out["gnum"] = self.line
        out["message_zh"] = self.message_zh
        out["message_en"] = self.message_en
        return out


def check(
    code: str, passed: bool, *, ok: tuple[str, str], failed: tuple[str, str], line: int | None = None
) -> Condition:
    """A checked condition whose message says what held, or why it did not ((zh, en) pairs)."""
    zh, en = ok if passed else failed
    return Condition(code, passed, zh, en, line)


# --------------------------------------------------------------------------------------------
# Retail import (9610 直购进口, 1210 网购保税进口)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetailImportRuleSet:
    """The limits and the within-limit treatment of CBEC retail imports in force on a date."""

    id: str
    valid_from: date
    valid_to: date | None
    single_limit: Decimal  # 单次交易限值
    annual_limit: Decimal  # 个人年度交易限值
    within_limit_tariff_rate: Decimal  # 关税 "暂设为0%"
    within_limit_factor: Decimal  # VAT and CT "暂按法定应纳税额的70%征收"
    single_item_over_limit_in_channel: bool  # 49号 art. 2: one item over the single limit may still clear
    sources: tuple[str, ...]

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


RETAIL_IMPORT_RULE_SETS: tuple[RetailImportRuleSet, ...] = (
    RetailImportRuleSet(
        id="CN-CBEC-RETAIL-2016",
        valid_from=date(2016, 4, 8),
        valid_to=date(2018, 12, 31),
        single_limit=Decimal(2000),
        annual_limit=Decimal(20000),
        within_limit_tariff_rate=ZERO,
        within_limit_factor=Decimal("0.7"),
        single_item_over_limit_in_channel=False,
        sources=("财关税〔2016〕18号",),
    ),
    RetailImportRuleSet(
        id="CN-CBEC-RETAIL-2019",
        valid_from=date(2019, 1, 1),
        valid_to=None,
        single_limit=Decimal(5000),
        annual_limit=Decimal(26000),
        within_limit_tariff_rate=ZERO,
        within_limit_factor=Decimal("0.7"),
        single_item_over_limit_in_channel=True,
        sources=("财关税〔2016〕18号", "财关税〔2018〕49号"),
    ),
)


def retail_import_rules(on: date) -> RetailImportRuleSet:
    """The retail-import rule set in force on ``on``.

    * 财关税〔2016〕18号 (in force 2016-04-08): CBEC retail imports are taxed as goods; tariff 0
      within the limits, import VAT and consumption tax at 70% of the statutory amount, no
      small-amount exemption; single-transaction limit CNY 2,000, annual CNY 20,000; anything over
      them, including a single indivisible item over 2,000, "按照一般贸易方式全额征税".
    * 财关税〔2018〕49号 (in force 2019-01-01): limits CNY 5,000 and 26,000; an order over 5,000
      holding only one item may still clear through the CBEC channel, fully taxed at the goods
      rates, and counts toward the annual total (RULES.md §1.2).

    Before 2016-04-08 CBEC retail imports were taxed as postal articles (行邮税), which this module
    does not compute: such a date is refused.
    """
    for rule_set in RETAIL_IMPORT_RULE_SETS:
        if rule_set.in_force(on):
            return rule_set
    raise RuleViolation(
        f"no CBEC retail-import rule set on {on.isoformat()}: the goods-tax regime of 财关税〔2016〕18号 "
        "starts on 2016-04-08 (earlier imports paid postal-article tax, not computed here)",
        f"{on.isoformat()} 无跨境电商零售进口税收规则：财关税〔2016〕18号 自2016-04-08起施行（此前按行邮税，本系统不计算）",
        field="on",
    )


class LimitBreach(StrEnum):
    ANNUAL = "annual_limit"  # the buyer's year including this order is over the annual limit
    SINGLE = "single_limit"  # over the single limit with more than one item
    SINGLE_ITEM = "single_item_limit"  # one item over the single limit where the rule set does not let it clear


def limit_breaches(
    rule_set: RetailImportRuleSet, value: Decimal, prior: Decimal, *, is_single_item: bool
) -> tuple[LimitBreach, ...]:
    """The limits of ``rule_set`` an order of ``value`` breaches after ``prior`` purchases in the
    buyer's year (财关税〔2016〕18号, 〔2018〕49号; RULES.md §1.2). A value exactly at a limit is
    within it ("不超过"). One definition for the platform's tax step and the sandbox customs."""
    out = []
    if prior + value > rule_set.annual_limit:
        out.append(LimitBreach.ANNUAL)
    if value > rule_set.single_limit:
        if not is_single_item:
            out.append(LimitBreach.SINGLE)
        elif not rule_set.single_item_over_limit_in_channel:
            out.append(LimitBreach.SINGLE_ITEM)
    return tuple(out)


def limit_value(goods: Decimal, freight: Decimal, insured_fee: Decimal, *, basis: str) -> Decimal:
    """The value the limits are applied to: the order's 完税价格, goods + freight + insurance
    (RULES.md §1.1 [C]), or the goods alone where the policy's ``limit_value`` says "goods"."""
    return goods + freight + insured_fee if basis == "dutiable" else goods


class AnnualPeriod(StrEnum):
    """How the "annual" of the annual limit is counted. RULES.md §1.2 marks calendar year [I]."""

    CALENDAR_YEAR = "calendar_year"
    ROLLING_12_MONTHS = "rolling_12_months"


def annual_period(on: date, basis: AnnualPeriod) -> tuple[date, date]:
    """First and last day of the period whose purchases count with an order placed on ``on``.

    "Annual" = calendar year is universal practice, but no text was retrieved (RULES.md §1.2 [I]),
    so the basis is a parameter (``data/policy.csv``, key ``retail.annual_period``).
    """
    if basis is AnnualPeriod.CALENDAR_YEAR:
        return date(on.year, 1, 1), date(on.year, 12, 31)
    return add_months(on, -12) + timedelta(days=1), on


# --------------------------------------------------------------------------------------------
# Returned retail imports (跨境电商零售进口退货)
# --------------------------------------------------------------------------------------------

#: 海关总署公告2020年第45号 (RULES.md §1.2 [C]): the operator applies for the return within 30
#: days of the list's release (and the goods are back at the supervised site within 45 days,
#: which customs checks); the tax is then not collected and the buyer's annual total is adjusted
#: back. 财关税〔2016〕18号 said the same of the tax: "30日内退货可申请退税".
RETAIL_RETURN_APPLY_DAYS = 30
RETAIL_RETURN_SOURCES = ("海关总署公告2020年第45号", "财关税〔2016〕18号")


@dataclass(frozen=True, slots=True)
class RetailReturnOutcome:
    """What a returned retail import gives back: its tax, its buyer's quota, or neither."""

    released_on: date
    applied_on: date
    deadline: date  # last day to apply
    is_within_window: bool
    refunds_tax: bool
    gives_quota_back: bool
    reason_zh: str
    reason_en: str


def retail_return_outcome(released_on: date, applied_on: date, *, late_return_quota_back: bool) -> RetailReturnOutcome:
    """Whether a retail import returned (CEB625 accepted) refunds its tax and its buyer's quota.

    * Applied within 30 days of the list's release (the day of release + 30, our reading of
      "放行之日起30日内" [I]): the tax is not collected — refunded when assessed — and the annual
      total is adjusted back (海关总署公告2020年第45号, RULES.md §1.2 [C]).
    * Applied later: no tax refund — the 30-day return is the only way 45号 and 18号 give the tax
      back, and by day 31–45 the tax is paid (2018年第194号, RULES.md §1.2). Whether the quota
      comes back RULES.md does not say: ``late_return_quota_back`` is the replaceable policy
      value ``retail.late_return_quota_back`` (policy.csv, shipped false, status I).
    """
    deadline = released_on + timedelta(days=RETAIL_RETURN_APPLY_DAYS)
    within = applied_on <= deadline
    src = "、".join(RETAIL_RETURN_SOURCES)
    days = (applied_on - released_on).days
    if within:
        zh = f"放行后第 {days} 日申请退货，在 {RETAIL_RETURN_APPLY_DAYS} 日内（{src}）：税款不予征收，个人年度额度恢复"
        en = (
            f"return applied for {days} day(s) after release, within {RETAIL_RETURN_APPLY_DAYS} days ({src}): "
            "the tax is refunded and the buyer's annual quota given back"
        )
    else:
        quota_zh, quota_en = (
            ("个人年度额度按运营方参数恢复", "the quota is given back (operator policy)")
            if late_return_quota_back
            else ("个人年度额度不恢复", "the quota is not given back")
        )
        zh = f"放行后第 {days} 日申请退货，超过 {RETAIL_RETURN_APPLY_DAYS} 日（{src}）：税款不退，{quota_zh}"
        en = (
            f"return applied for {days} day(s) after release, after {RETAIL_RETURN_APPLY_DAYS} days ({src}): "
            f"no tax refund; {quota_en} (retail.late_return_quota_back)"
        )
    return RetailReturnOutcome(
        released_on=released_on,
        applied_on=applied_on,
        deadline=deadline,
        is_within_window=within,
        refunds_tax=within,
        gives_quota_back=within or late_return_quota_back,
        reason_zh=zh,
        reason_en=en,
    )


def combined_retail_rate(vat_rate: Decimal, consumption_tax_rate: Decimal, factor: Decimal) -> Decimal:
    """The published "跨境电商综合税率" within the limits: ``(c + v) / (1 − c) × 0.7``.

    RULES.md §1.3 [C]: 9.1% (VAT 13%), 6.3% (VAT 9%), 23.1% (CT 15% + VAT 13%), 17.9% (CT 10% + VAT
    13%); with the old 17% VAT: 11.9% and 26.35% (one source prints 26.37%).
    """
    return (consumption_tax_rate + vat_rate) / (ONE - consumption_tax_rate) * factor


def general_trade_rate(tariff_rate: Decimal, vat_rate: Decimal, consumption_tax_rate: Decimal) -> Decimal:
    """Total tax rate of a fully taxed import: ``(t + v + c + t·v) / (1 − c)`` (RULES.md §1.3 [C])."""
    t, v, c = tariff_rate, vat_rate, consumption_tax_rate
    return (t + v + c + t * v) / (ONE - c)


@dataclass(frozen=True, slots=True)
class StatutoryTaxes:
    """Import taxes in full at the goods rates, unrounded."""

    customs_tax: Decimal
    consumption_tax: Decimal
    value_added_tax: Decimal


def statutory_import_taxes(
    dutiable_value: Decimal,
    *,
    tariff_rate: Decimal,
    vat_rate: Decimal,
    consumption_tax_rate: Decimal,
    specific_tax: Decimal = ZERO,
) -> StatutoryTaxes:
    """Duty, consumption tax and import VAT in full, unrounded (RULES.md §1.3 [C]).

    ``duty = P × t``; ``CT = (P + duty + S) / (1 − c) × c + S``; ``VAT = (P + duty + CT) × v``.
    ``S`` is the specific (从量) part of the consumption tax — the amount per unit times the
    quantity, 0 for a purely ad-valorem item — so the one formula covers the three kinds of the
    消费税税目税率表 (中华人民共和国消费税暂行条例, 国务院令第539号): ad valorem (S = 0),
    specific (c = 0: CT = S) and compound (白酒: 20% + 0.5 per 500 ml). The composite assessable
    price ``(P + duty + S) / (1 − c)`` is the one the 条例 (art. 9) gives for imports [I: the
    条例's text is not in RULES.md, which only says the specific part must be added, §1.3].
    The VAT base uses the *full* consumption tax; for a retail import within the limits the 70%
    factor is applied to both taxes afterwards, the only reading that reproduces the published
    combined rates (RULES.md §1.3).
    """
    duty = dutiable_value * tariff_rate
    ct = (dutiable_value + duty + specific_tax) / (ONE - consumption_tax_rate) * consumption_tax_rate + specific_tax
    vat = (dutiable_value + duty + ct) * vat_rate
    return StatutoryTaxes(customs_tax=duty, consumption_tax=ct, value_added_tax=vat)


# --------------------------------------------------------------------------------------------
# Export refund and exemption
# --------------------------------------------------------------------------------------------

#: 财政部 税务总局公告2020年第2号 art. 4: late refund declarations accepted once documents are complete.
LATE_CLAIM_RELAXATION_FROM = date(2020, 1, 20)


def refund_claim_deadline(export_on: date) -> date:
    """Last day to declare the refund (or exemption) of goods exported on ``export_on``.

    国家税务总局公告2012年第24号: exports go on the next month's VAT return and must be declared
    within the VAT filing periods from the month after export **up to 30 April of the following
    year** (RULES.md §3.5 [C]). The April filing period itself usually closes around 15 April
    (later with holidays); the rule's date, 30 April, is returned.
    """
    return date(export_on.year + 1, 4, 30)


def late_refund_claim_allowed(claim_on: date) -> bool:
    """Whether a claim past :func:`refund_claim_deadline` may still be declared.

    Before 2020-01-20 a late claim could not be declared and the goods were taxed as domestic
    sales (视同内销, 2012年第24号). From 2020-01-20 (财政部 税务总局公告2020年第2号 art. 4) the
    firm may still declare once its documents and electronic data are complete (RULES.md §3.5).
    Judging by the claim date is our reading [I].
    """
    return claim_on >= LATE_CLAIM_RELAXATION_FROM


@dataclass(frozen=True, slots=True)
class NoInvoiceExemptionRule:
    """综试区 retail exports without purchase invoices: VAT and CT exempt (免税, not refunded)."""

    id: str
    valid_from: date
    trade_modes: frozenset[str]
    source: str


NO_INVOICE_EXEMPTION = NoInvoiceExemptionRule(
    id="CN-ZONE-NO-INVOICE-2018",
    valid_from=date(2018, 10, 1),
    trade_modes=frozenset({"9610"}),
    source="财税〔2018〕103号",
)


def no_invoice_exemption_rule(export_on: date) -> NoInvoiceExemptionRule | None:
    """The 无票免税 rule for goods exported on ``export_on``, or None before it existed.

    财税〔2018〕103号 (from 2018-10-01), RULES.md §3.6 [C]: a 综试区 retail-export firm exporting
    goods without valid purchase vouchers is exempt from VAT and CT when **all** hold:
    (1) it is registered in the zone and records each export's date, goods name, unit, quantity,
    unit price and amount on the zone's 线上综合服务平台; (2) the goods are declared at the zone's
    customs as an e-commerce export (电子商务出口申报, trade mode 9610 — 9710/9810 are not
    eligible, RULES.md §3.6 [C, secondary]); (3) the goods are not among those whose export
    refund MOF/SAT have cancelled.
    """
    return NO_INVOICE_EXEMPTION if export_on >= NO_INVOICE_EXEMPTION.valid_from else None


#: The six fields 103号 condition (1) requires on the zone platform, as CEB603 spells them.
NO_INVOICE_PLATFORM_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("exportDate", "出口日期", "export date"),
    ("gname", "货物名称", "goods name"),
    ("unit", "计量单位", "unit of measure"),
    ("qty", "数量", "quantity"),
    ("price", "单价", "unit price"),
    ("totalPrice", "金额", "amount"),
)


@dataclass(frozen=True, slots=True)
class DeemedProfitRule:
    """Deemed-profit (核定征收) corporate income tax of zone retail exporters."""

    id: str
    valid_from: date
    taxable_income_rate: Decimal  # 应税所得率
    source: str


DEEMED_PROFIT = DeemedProfitRule(
    id="CN-ZONE-DEEMED-PROFIT-2020",
    valid_from=date(2020, 1, 1),
    taxable_income_rate=Decimal("0.04"),
    source="国家税务总局公告2019年第36号",
)


def deemed_profit_rule(year: int) -> DeemedProfitRule | None:
    """The 核定征收 rule for a tax year, or None before 2020.

    国家税务总局公告2019年第36号 (from 2020-01-01), RULES.md §3.7 [C]: zone retail exporters that
    meet the three conditions of 财税〔2018〕103号 and enjoyed its VAT/CT exemption are taxed on a
    deemed taxable income of **4% of total revenue** (应税所得率 4%); the small low-profit
    enterprise relief may be combined.
    """
    start = DEEMED_PROFIT.valid_from
    return DEEMED_PROFIT if date(year, 12, 31) >= start else None


# --------------------------------------------------------------------------------------------
# Returned export goods (跨境电商出口退货)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReturnPolicyWindow:
    """A period of export dates for which returned CBEC exports are relieved of import taxes."""

    id: str
    exports_from: date
    exports_to: date
    sources: tuple[str, ...]

    def covers(self, export_on: date) -> bool:
        return self.exports_from <= export_on <= self.exports_to


RETURN_POLICY_WINDOWS: tuple[ReturnPolicyWindow, ...] = (
    ReturnPolicyWindow(
        id="CN-CBEC-RETURN-2023",
        exports_from=date(2023, 1, 30),
        exports_to=date(2025, 12, 31),
        sources=("财政部 海关总署 税务总局公告2023年第4号", "财政部 海关总署 税务总局公告2023年第34号"),
    ),
    ReturnPolicyWindow(
        id="CN-CBEC-RETURN-2026",
        exports_from=date(2026, 1, 1),
        exports_to=date(2027, 12, 31),
        sources=("财政部 海关总署 税务总局公告2026年第16号",),
    ),
)

#: Trade modes the returned-goods policy covers (RULES.md §4 [C]).
RETURN_TRADE_MODES = frozenset({"1210", "9610", "9710", "9810"})

#: Months from the export date (1210: from leaving the special area) within which goods must be back.
RETURN_WINDOW_MONTHS = 6


class ReturnReason(StrEnum):
    UNSOLD = "unsold"  # 滞销
    CUSTOMER_RETURN = "customer_return"  # 退货


#: Reasons the policy accepts, with their Chinese names (RULES.md §4 [C]).
RETURN_REASONS_ZH = {ReturnReason.UNSOLD: "滞销", ReturnReason.CUSTOMER_RETURN: "退货"}

#: Evidence the firm keeps for each reason (RULES.md §4 [C]): (zh, en).
RETURN_EVIDENCE = {
    ReturnReason.UNSOLD: (("出口清单或报关单", "export list or declaration"), ("自我声明", "self-declaration")),
    ReturnReason.CUSTOMER_RETURN: (
        ("出口清单或报关单", "export list or declaration"),
        ("平台退货或拒收记录，或返货协议", "platform return or refusal record, or a return agreement"),
    ),
}


def return_policy_window(export_on: date) -> ReturnPolicyWindow | None:
    """The returned-goods policy window covering an export date, or None.

    * 财政部 海关总署 税务总局公告2023年第4号 (2023-01-30): exports within one year of issue;
      extended by 2023年第34号 (2023-08-22) to exports **2023-01-30 … 2025-12-31**;
    * 2026年第16号 (2026-02-06): the same policy for exports **2026-01-01 … 2027-12-31**.

    The windows meet without a gap (RULES.md §4 [C]).
    """
    for window in RETURN_POLICY_WINDOWS:
        if window.covers(export_on):
            return window
    return None


def return_deadline(start_on: date) -> date:
    """Last day the goods may be back: six months after ``start_on`` (RULES.md §4 [C]).

    ``start_on`` is the export date, or for 1210 the day the goods left the special customs
    supervision area or B-type bonded logistics centre. RULES.md's example: exported 2026-03-01,
    deadline 2026-09-01. A start on the 31st ends on the last day of the month six months later
    (e.g. 2025-08-31 → 2026-02-28): our reading of "6个月内" [I].
    """
    return add_months(start_on, RETURN_WINDOW_MONTHS)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
