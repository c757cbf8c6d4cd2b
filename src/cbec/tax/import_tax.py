"""Retail import tax of an order (9610 直购进口, 1210 网购保税进口), pure.

What it does, in order (RULES.md §1.1–1.4):

1. The rule set in force on the order's date (:func:`cbec.tax.rules.retail_import_rules`): the
   limits (2,000/20,000 before 2019-01-01, 5,000/26,000 from then) and the within-limit treatment.
2. The limits: the order value (the 完税价格: goods + freight + insurance; coupons, vouchers and
   points — CEB311 ``discount`` — are *not* deducted) against the single-transaction limit, and
   the buyer's year-to-date total including this order against the annual limit. Within both:
   tariff 0, VAT and consumption tax at 70%. One item over the single limit (from 2019): the
   goods rates in full, tariff included, and the amount counts toward the annual total. Anything
   else is refused with the reason (general trade, 按一般贸易管理).
3. Per line: the 完税价格 (the line's goods value plus its share of freight and insurance, shared
   by value), the rates (per-line input override, else the dated tables), the cosmetics price
   threshold by the second unit of quantity, the specific part of a specific or compound
   consumption tax (beer, 黄酒, spirits, oil) from the line's legal quantity, and the taxes.
4. Rounding: each tax of each line to the fen, half up, order totals the sums of the lines
   (RULES.md §1.4 "Round each tax to 0.01" [I]; CEB816 TaxListRd carries the taxes per line).
   The rounding is a policy parameter (``data/policy.csv``) an operator can change.

The buyer's earlier purchases come from a :class:`BuyerLedger` (the CLI uses the input's
``priorPurchases``; the platform plugs in its database ledger), or directly as a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from cbec.errors import FieldError, InvalidInput, RuleViolation
from cbec.tax.line_rates import (
    SpecificPart,
    ThresholdCheck,
    consumption_rate,
    line_taxes,
    tariff_rate,
)
from cbec.tax.rates import AppliedRate, PolicyValue, TaxTables
from cbec.tax.rules import (
    ONE,
    ZERO,
    Condition,
    LimitBreach,
    RetailImportRuleSet,
    StatutoryTaxes,
    annual_period,
    limit_breaches,
    limit_value,
    retail_import_rules,
)

_WITHIN_LIMIT_TARIFF_SOURCE = "财关税〔2016〕18号：限值以内关税税率暂设为0%"


class Treatment(StrEnum):
    WITHIN_LIMITS = "within_limits"  # 限值以内：关税0，增值税、消费税按70%
    SINGLE_ITEM_OVER_LIMIT = "single_item_over_limit"  # 单件超单次限值：按货物税率全额征收（49号）


TREATMENT_ZH = {
    Treatment.WITHIN_LIMITS: "限值以内：关税0%，进口环节增值税、消费税按法定应纳税额的70%征收",
    Treatment.SINGLE_ITEM_OVER_LIMIT: "订单仅一件商品且超过单次限值：按货物税率全额征收关税和进口环节增值税、消费税",
}
TREATMENT_EN = {
    Treatment.WITHIN_LIMITS: "within the limits: tariff 0%, import VAT and consumption tax at 70% of the statutory amount",
    Treatment.SINGLE_ITEM_OVER_LIMIT: "one item over the single-transaction limit: tariff, VAT and consumption tax "
    "in full at the goods rates",
}


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportLine:
    """One OrderList line (CEB311 names), with the optional per-line rate overrides."""

    gnum: int
    gcode: str
    qty: Decimal
    unit: str  # customs unit code
    price: Decimal
    item_name: str = ""
    qty2: Decimal | None = None  # line total in the second unit (ml, g, 片 …)
    unit2: str | None = None  # customs unit code of qty2
    qty1: Decimal | None = None  # line total in the first legal unit (CEB621 qty1: L, kg …)
    unit1: str | None = None  # customs unit code of qty1
    tariff_rate: Decimal | None = None
    vat_rate: Decimal | None = None
    consumption_tax_rate: Decimal | None = None

    @property
    def total_price(self) -> Decimal:
        """``totalPrice`` = price × qty (CEB311)."""
        return self.price * self.qty


@dataclass(frozen=True, slots=True)
class ImportOrder:
    """A retail import order (CEB311 OrderHead + OrderList) and the date it is assessed on."""

    order_no: str
    on: date
    buyer_id_number: str
    lines: tuple[ImportLine, ...]
    freight: Decimal = ZERO
    insured_fee: Decimal = ZERO
    discount: Decimal = ZERO  # non-cash deductions: recorded, never deducted from the base
    trade_mode: str = ""  # 1210 or 9610 when known

    @property
    def goods_value(self) -> Decimal:
        return sum((line.total_price for line in self.lines), ZERO)

    @property
    def dutiable_value(self) -> Decimal:
        """The order's 完税价格: goods + freight + insurance (RULES.md §1.1 [C])."""
        return self.goods_value + self.freight + self.insured_fee

    @property
    def item_count(self) -> Decimal:
        return sum((line.qty for line in self.lines), ZERO)


class BuyerLedger(Protocol):
    """The buyer's purchases already counted toward the annual limit (by ID number)."""

    def used_amount(self, buyer_id_number: str, start: date, end: date) -> Decimal:
        """Total counted for ``buyer_id_number`` from ``start`` to ``end`` (both included),
        including orders in progress and excluding refused or general-trade ones (RULES.md §9)."""
        ...


@dataclass(frozen=True, slots=True)
class StaticLedger:
    """A ledger that knows one number: the buyer's earlier total this year (the CLI's input)."""

    prior_purchases: Decimal

    def used_amount(self, buyer_id_number: str, start: date, end: date) -> Decimal:
        return self.prior_purchases


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """Where the order stands against the limits of its rule set."""

    rule_set: RetailImportRuleSet
    order_value: Decimal
    item_count: Decimal
    is_single_item: bool
    period_start: date
    period_end: date
    prior_purchases: Decimal
    after_order: Decimal  # the annual total if this order counts
    treatment: Treatment | None  # None = refused
    counts_toward_annual: bool
    refusals: tuple[Condition, ...]

    @property
    def is_within_limits(self) -> bool:
        return self.treatment is Treatment.WITHIN_LIMITS

    @property
    def is_refused(self) -> bool:
        return self.treatment is None

    @property
    def remaining(self) -> Decimal:
        """Annual allowance left after this order (never below 0)."""
        used = self.after_order if self.counts_toward_annual else self.prior_purchases
        return max(self.rule_set.annual_limit - used, ZERO)


@dataclass(frozen=True, slots=True)
class ImportLineTax:
    gnum: int
    gcode: str
    goods_value: Decimal  # price × qty
    freight_share: Decimal  # this line's share of freight and insurance
    tax_price: Decimal  # 完税价格 (CEB816 taxPrice)
    tariff: AppliedRate
    vat: AppliedRate
    consumption: AppliedRate
    threshold: ThresholdCheck | None
    specific: SpecificPart | None  # the 从量 part of a specific or compound consumption tax
    factor: Decimal  # 0.7 within the limits, 1 in full
    statutory: StatutoryTaxes  # in full, unrounded
    due: StatutoryTaxes  # after the factor, unrounded
    customs_tax: Decimal
    value_added_tax: Decimal
    consumption_tax: Decimal

    @property
    def tax_total(self) -> Decimal:
        return self.customs_tax + self.value_added_tax + self.consumption_tax


@dataclass(frozen=True, slots=True)
class ImportAssessment:
    order: ImportOrder
    rule_set: RetailImportRuleSet
    limits: LimitCheck
    lines: tuple[ImportLineTax, ...]
    customs_tax: Decimal
    value_added_tax: Decimal
    consumption_tax: Decimal
    policy: tuple[PolicyValue, ...]
    tables_digest: str
    tables_origins: tuple[tuple[str, str], ...]

    @property
    def tax_total(self) -> Decimal:
        return self.customs_tax + self.value_added_tax + self.consumption_tax

    @property
    def treatment(self) -> Treatment:
        assert self.limits.treatment is not None
        return self.limits.treatment


# --------------------------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), ",f")


def _annual_refusal(
    rule_set: RetailImportRuleSet, prior: Decimal, value: Decimal, period: tuple[date, date]
) -> Condition:
    src, (start, end), after = "、".join(rule_set.sources), period, prior + value
    return Condition(
        "annual_limit",
        False,
        f"超出个人年度交易限值：{start.isoformat()}至{end.isoformat()}已用 {_money(prior)} 元"
        f" + 本单 {_money(value)} 元 = {_money(after)} 元，超过 {_money(rule_set.annual_limit)} 元（{src}）；"
        "不能按跨境电商零售进口通关，应按一般贸易管理",
        f"over the buyer's annual limit: {_money(prior)} used from {start.isoformat()} to "
        f"{end.isoformat()} + this order {_money(value)} = {_money(after)} > "
        f"{_money(rule_set.annual_limit)} ({src}); the order cannot clear as a CBEC retail import "
        "and falls under general trade",
    )


def _single_refusal(rule_set: RetailImportRuleSet, value: Decimal, lines: int, items: Decimal) -> Condition:
    src = "、".join(rule_set.sources)
    return Condition(
        "single_limit",
        False,
        f"本单 {_money(value)} 元超过单次交易限值 {_money(rule_set.single_limit)} 元，且含 {lines} 项、"
        f"{format(items.normalize(), 'f')} 件商品（{src}：仅一件商品的订单方可按货物税率全额征税）；应按一般贸易办理",
        f"this order ({_money(value)}) is over the single-transaction limit of "
        f"{_money(rule_set.single_limit)} and holds {lines} line(s), "
        f"{format(items.normalize(), 'f')} item(s) ({src}: only an order of one item may clear in full "
        "at the goods rates); it falls under general trade",
    )


def _single_item_refusal(rule_set: RetailImportRuleSet, value: Decimal) -> Condition:
    src = "、".join(rule_set.sources)
    return Condition(
        "single_item_limit",
        False,
        f"单个不可分割商品完税价格 {_money(value)} 元超过单次限值 {_money(rule_set.single_limit)} 元"
        f"（{src}，{rule_set.valid_from.isoformat()}至{_iso(rule_set.valid_to)}）：按一般贸易方式全额征税，"
        "不能按跨境电商零售进口通关",
        f"a single indivisible item of {_money(value)} is over the single limit of "
        f"{_money(rule_set.single_limit)} ({src}, in force {rule_set.valid_from.isoformat()} to "
        f"{_iso(rule_set.valid_to)}): taxed in full as general trade, not as a CBEC retail import",
    )


def check_limits(
    order: ImportOrder, rule_set: RetailImportRuleSet, *, prior_purchases: Decimal, tables: TaxTables
) -> LimitCheck:
    """Decide the order's treatment against the limits (财关税〔2016〕18号, 〔2018〕49号; RULES.md §1.2).

    * value ≤ single limit and prior + value ≤ annual limit → within the limits;
    * value > single limit, only one item (one line, quantity 1), the rule set lets it clear
      (49号, from 2019-01-01) and prior + value ≤ annual limit → in full at the goods rates,
      counted toward the annual total;
    * otherwise refused, each reason named: over the annual limit; over the single limit with
      more than one item; a single item over the limit before 2019 (18号: general trade).

    A value exactly at a limit is within it ("不超过").
    """
    policy = tables.policy
    value = limit_value(order.goods_value, order.freight, order.insured_fee, basis=policy.limit_value)
    start, end = annual_period(order.on, policy.annual_period)
    after = prior_purchases + value
    items = order.item_count
    is_single_item = len(order.lines) == 1 and order.lines[0].qty == ONE
    breaches = limit_breaches(rule_set, value, prior_purchases, is_single_item=is_single_item)
    refusals: list[Condition] = []
    over_annual = LimitBreach.ANNUAL in breaches
    if over_annual:
        refusals.append(_annual_refusal(rule_set, prior_purchases, value, (start, end)))
    treatment: Treatment | None = None
    if value <= rule_set.single_limit:
        treatment = None if over_annual else Treatment.WITHIN_LIMITS
    elif LimitBreach.SINGLE in breaches:
        refusals.append(_single_refusal(rule_set, value, len(order.lines), items))
    elif LimitBreach.SINGLE_ITEM in breaches:
        refusals.append(_single_item_refusal(rule_set, value))
    elif not over_annual:
        treatment = Treatment.SINGLE_ITEM_OVER_LIMIT
    return LimitCheck(
        rule_set=rule_set,
        order_value=value,
        item_count=items,
        is_single_item=is_single_item,
        period_start=start,
        period_end=end,
        prior_purchases=prior_purchases,
        after_order=after,
        treatment=treatment,
        counts_toward_annual=treatment is not None,
        refusals=tuple(refusals),
    )


def _iso(day: date | None) -> str:
    return day.isoformat() if day else "—"


def refusal_error(order: ImportOrder, limits: LimitCheck) -> RuleViolation:
    """The refusal of an order outside the limits, every reason listed (zh + en)."""
    document = f"import_order orderNo={order.order_no}"
    details = [
        FieldError(
            c.code,
            "priorPurchases" if c.code == "annual_limit" else "OrderList",
            c.message_zh,
            c.message_en,
            document=document,
        )
        for c in limits.refusals
    ]
    return RuleViolation(
        " ; ".join(c.message_en for c in limits.refusals),
        "；".join(c.message_zh for c in limits.refusals),
        field=details[0].field if details else None,
        document=document,
        details=details,
    )


def allocate(amount: Decimal, weights: Sequence[Decimal], tables: TaxTables) -> list[Decimal]:
    """Share ``amount`` in proportion to ``weights``, rounded, the remainder on the largest weight.

    Freight and insurance are charged per order but the 完税价格 is per line (CEB816 taxPrice);
    sharing them by value is our reading [I].
    """
    total = sum(weights, ZERO)
    if amount == 0 or total == 0:
        return [ZERO for _ in weights]
    shares = [tables.policy.round(amount * w / total) for w in weights]
    largest = max(range(len(weights)), key=lambda i: weights[i])
    shares[largest] += amount - sum(shares, ZERO)
    return shares


# --------------------------------------------------------------------------------------------
# Assessment
# --------------------------------------------------------------------------------------------


def _line_tax(
    order: ImportOrder,
    line: ImportLine,
    share: Decimal,
    rule_set: RetailImportRuleSet,
    tables: TaxTables,
    *,
    is_full: bool,
    document: str,
) -> ImportLineTax:
    """One line's 完税价格 (its goods value and its share of freight and insurance), rates and
    taxes: within the limits tariff 0 and VAT and consumption tax at the rule set's factor; a
    single item over the single limit pays the goods rates in full."""
    factor = ONE if is_full else rule_set.within_limit_factor
    policy = tables.policy
    tax_price = line.total_price + share
    if is_full:
        tariff = tariff_rate(line.gcode, line.tariff_rate, tables, order.on)
    else:
        tariff = AppliedRate.from_rule(rule_set.within_limit_tariff_rate, _WITHIN_LIMIT_TARIFF_SOURCE)
    taxes = line_taxes(
        gnum=line.gnum,
        gcode=line.gcode,
        tax_price=tax_price,
        tariff=tariff,
        vat_override=line.vat_rate,
        consumption_override=line.consumption_tax_rate,
        quantities=(("qty1", line.qty1, line.unit1), ("qty2", line.qty2, line.unit2)),
        qty2=line.qty2,
        unit2=line.unit2,
        threshold_basis=line.total_price if policy.threshold_price == "declared" else tax_price,
        tables=tables,
        on=order.on,
        document=document,
    )
    statutory = taxes.statutory
    due = StatutoryTaxes(
        customs_tax=statutory.customs_tax,
        consumption_tax=statutory.consumption_tax * factor,
        value_added_tax=statutory.value_added_tax * factor,
    )
    return ImportLineTax(
        gnum=line.gnum,
        gcode=line.gcode,
        goods_value=line.total_price,
        freight_share=share,
        tax_price=tax_price,
        tariff=tariff,
        vat=taxes.vat,
        consumption=taxes.consumption,
        threshold=taxes.threshold,
        specific=taxes.specific,
        factor=factor,
        statutory=statutory,
        due=due,
        customs_tax=policy.round(due.customs_tax),
        value_added_tax=policy.round(due.value_added_tax),
        consumption_tax=policy.round(due.consumption_tax),
    )


def assess_retail_import(order: ImportOrder, tables: TaxTables, *, prior_purchases: Decimal) -> ImportAssessment:
    """Assess an order's retail import tax; refuse it (RuleViolation) when it is outside the limits.

    ``prior_purchases`` is what the buyer has already used in the annual period of the order's
    date. Pure: the date is the order's, the rates come from ``tables``.
    """
    document = f"import_order orderNo={order.order_no}"
    if not order.lines:
        raise InvalidInput("the order has no lines", "订单无表体", field="OrderList", document=document)
    if order.goods_value <= 0:
        raise InvalidInput(
            "the order's goods value is 0: the 完税价格 cannot be zero (RULES.md §1.1)",
            "订单商品价格为0：完税价格原则上不能为0",
            field="goodsValue",
            document=document,
        )
    if prior_purchases < 0:
        raise InvalidInput("priorPurchases cannot be negative", "本年已用额度不能为负数", field="priorPurchases")
    rule_set = retail_import_rules(order.on)
    limits = check_limits(order, rule_set, prior_purchases=prior_purchases, tables=tables)
    if limits.treatment is None:
        raise refusal_error(order, limits)
    is_full = limits.treatment is Treatment.SINGLE_ITEM_OVER_LIMIT
    policy = tables.policy
    shares = allocate(order.freight + order.insured_fee, [line.total_price for line in order.lines], tables)
    taxed = [
        _line_tax(order, line, share, rule_set, tables, is_full=is_full, document=document)
        for line, share in zip(order.lines, shares, strict=True)
    ]
    if policy.rounding_scope == "order":
        customs = policy.round(sum((t.due.customs_tax for t in taxed), ZERO))
        vat_total = policy.round(sum((t.due.value_added_tax for t in taxed), ZERO))
        ct_total = policy.round(sum((t.due.consumption_tax for t in taxed), ZERO))
    else:
        customs = sum((t.customs_tax for t in taxed), ZERO)
        vat_total = sum((t.value_added_tax for t in taxed), ZERO)
        ct_total = sum((t.consumption_tax for t in taxed), ZERO)
    return ImportAssessment(
        order=order,
        rule_set=rule_set,
        limits=limits,
        lines=tuple(taxed),
        customs_tax=customs,
        value_added_tax=vat_total,
        consumption_tax=ct_total,
        policy=policy.used(
            "rounding.quantum",
            "rounding.mode",
            "rounding.scope",
            "retail.annual_period",
            "retail.limit_value",
            "retail.threshold_price",
        ),
        tables_digest=tables.digest,
        tables_origins=tuple(sorted(tables.origins.items())),
    )


def assess_with_ledger(order: ImportOrder, tables: TaxTables, ledger: BuyerLedger) -> ImportAssessment:
    """:func:`assess_retail_import` with the buyer's earlier total read from ``ledger``."""
    start, end = annual_period(order.on, tables.policy.annual_period)
    prior = ledger.used_amount(order.buyer_id_number, start, end)
    return assess_retail_import(order, tables, prior_purchases=prior)


__all__ = [
    "BuyerLedger",
    "ImportAssessment",
    "ImportLine",
    "ImportLineTax",
    "ImportOrder",
    "LimitCheck",
    "StaticLedger",
    "ThresholdCheck",
    "Treatment",
    "assess_retail_import",
    "assess_with_ledger",
    "check_limits",
    "consumption_rate",
]
