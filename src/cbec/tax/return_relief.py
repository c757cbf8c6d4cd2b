"""Tax relief on returned CBEC exports (跨境电商出口退货), pure.

财政部 海关总署 税务总局公告2023年第4号, extended by 2023年第34号, and 2026年第16号 (RULES.md §4
[C]): goods exported under 1210, 9610, 9710 or 9810 that come back **within 6 months of the
export date** (1210: of leaving the special area or B-type centre) **in their original state**,
because they were **unsold (滞销) or returned by the customer (退货)**, are relieved of import
duty, import VAT and consumption tax on re-import — **food excepted** — provided the export date
falls in a policy window (2023-01-30 … 2025-12-31, 2026-01-01 … 2027-12-31). Any export duty is
refunded; an export VAT refund already received must be **repaid first**, against the tax
office's 《出口货物已补税/未退税证明》.

Every condition is checked and every failed one named. The taxes relieved (or, when not
eligible, due) are the normal import taxes at the goods rates on the re-import date, per line,
each rounded to the fen (policy ``rounding.*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cbec.errors import InvalidInput
from cbec.tax.line_rates import SpecificPart, ThresholdCheck, line_taxes, tariff_rate
from cbec.tax.rates import AppliedRate, PolicyValue, TaxTables
from cbec.tax.rules import (
    RETURN_EVIDENCE,
    RETURN_POLICY_WINDOWS,
    RETURN_REASONS_ZH,
    RETURN_TRADE_MODES,
    RETURN_WINDOW_MONTHS,
    ZERO,
    Condition,
    ReturnPolicyWindow,
    ReturnReason,
    StatutoryTaxes,
    check,
    return_deadline,
    return_policy_window,
)

#: Spellings of the two accepted reasons.
REASON_ALIASES: dict[str, ReturnReason] = {
    "unsold": ReturnReason.UNSOLD,
    "滞销": ReturnReason.UNSOLD,
    "customer_return": ReturnReason.CUSTOMER_RETURN,
    "customer-return": ReturnReason.CUSTOMER_RETURN,
    "return": ReturnReason.CUSTOMER_RETURN,
    "退货": ReturnReason.CUSTOMER_RETURN,
}


@dataclass(frozen=True, slots=True)
class ReturnLine:
    gnum: int
    gcode: str
    value: Decimal  # re-import 完税价格 in CNY
    is_food: bool
    gname: str = ""
    qty: Decimal | None = None
    unit: str = ""
    qty2: Decimal | None = None
    unit2: str | None = None
    tariff_rate: Decimal | None = None
    vat_rate: Decimal | None = None
    consumption_tax_rate: Decimal | None = None
    export_refund_received: Decimal = ZERO
    export_duty_paid: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ReturnedGoods:
    trade_mode: str
    export_on: date
    return_on: date  # the day the goods are back (re-import declaration)
    reason: str  # as given; checked against the accepted reasons
    is_original_state: bool
    lines: tuple[ReturnLine, ...]
    left_area_on: date | None = None  # 1210: left the special area / B-type centre
    invt_no: str = ""  # original export list or declaration
    export_refund_received: Decimal = ZERO  # for the whole return, when not given per line
    export_duty_paid: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ReturnLineTax:
    line: ReturnLine
    is_relieved: bool
    conditions: tuple[Condition, ...]  # line conditions (food)
    tariff: AppliedRate
    vat: AppliedRate
    consumption: AppliedRate
    threshold: ThresholdCheck | None
    specific: SpecificPart | None  # the 从量 part of a specific or compound consumption tax
    statutory: StatutoryTaxes
    customs_tax: Decimal
    value_added_tax: Decimal
    consumption_tax: Decimal

    @property
    def tax_total(self) -> Decimal:
        return self.customs_tax + self.value_added_tax + self.consumption_tax


@dataclass(frozen=True, slots=True)
class ReturnReliefAssessment:
    goods: ReturnedGoods
    window: ReturnPolicyWindow | None
    deadline: date | None
    conditions: tuple[Condition, ...]  # every condition, line ones included
    lines: tuple[ReturnLineTax, ...]
    relieved: StatutoryTaxes  # totals relieved (rounded)
    due: StatutoryTaxes  # totals due on lines not relieved (rounded)
    export_refund_to_repay: Decimal
    export_duty_refundable: Decimal
    evidence: tuple[tuple[str, str], ...]
    policy: tuple[PolicyValue, ...]
    tables_digest: str
    tables_origins: tuple[tuple[str, str], ...]

    @property
    def failed_conditions(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if not c.passed)

    @property
    def is_eligible(self) -> bool:
        """Every condition holds, for every line."""
        return not self.failed_conditions

    @property
    def relieved_total(self) -> Decimal:
        r = self.relieved
        return r.customs_tax + r.value_added_tax + r.consumption_tax

    @property
    def due_total(self) -> Decimal:
        d = self.due
        return d.customs_tax + d.value_added_tax + d.consumption_tax


def parse_reason(text: str) -> ReturnReason | None:
    return REASON_ALIASES.get(text.strip().lower()) or REASON_ALIASES.get(text.strip())


def return_conditions(goods: ReturnedGoods) -> tuple[tuple[Condition, ...], ReturnPolicyWindow | None, date | None]:
    """The conditions that concern the whole return, checked; plus the window and deadline found."""
    mode = goods.trade_mode
    modes = "/".join(sorted(RETURN_TRADE_MODES))
    window = return_policy_window(goods.export_on)
    timing, deadline = _in_time(goods)
    reason = parse_reason(goods.reason)
    allowed_zh = "或".join(RETURN_REASONS_ZH.values())
    out = (
        check(
            "trade_mode",
            mode in RETURN_TRADE_MODES,
            ok=(f"监管方式 {mode} 适用", f"trade mode {mode} is covered"),
            failed=(f"监管方式 {mode} 不在 {modes} 之列", f"trade mode {mode} is not one of {modes}"),
        ),
        _in_window(goods.export_on, window),
        timing,
        check(
            "reason",
            reason is not None,
            ok=(
                f"退运原因：{RETURN_REASONS_ZH[reason]}" if reason else "",
                f"reason: {reason.value.replace('_', ' ')}" if reason else "",
            ),
            failed=(
                f"退运原因须为{allowed_zh}，实为 {goods.reason!r}",
                f"the reason must be unsold or customer return, not {goods.reason!r}",
            ),
        ),
        check(
            "original_state",
            goods.is_original_state,
            ok=("货物保持原状", "the goods are in their original state"),
            failed=(
                "货物未保持原状（最小商业单元须与出口时基本一致，不得加装配件、加工或改装）",
                "the goods are not in their original state (smallest commercial unit as exported, no parts "
                "added, no processing or modification)",
            ),
        ),
    )
    return out, window, deadline


def _in_window(export_on: date, window: ReturnPolicyWindow | None) -> Condition:
    """The export date within one of the policy's windows."""
    day = export_on.isoformat()
    windows_zh = "；".join(
        f"{w.exports_from.isoformat()}至{w.exports_to.isoformat()}（{'、'.join(w.sources)}）"
        for w in RETURN_POLICY_WINDOWS
    )
    windows_en = "; ".join(
        f"{w.exports_from.isoformat()} to {w.exports_to.isoformat()} ({', '.join(w.sources)})"
        for w in RETURN_POLICY_WINDOWS
    )
    return check(
        "policy_window",
        window is not None,
        ok=(
            f"出口日期 {day} 在政策期间内（{'、'.join(window.sources)}）" if window else "",
            f"export date {day} is within the policy window ({', '.join(window.sources)})" if window else "",
        ),
        failed=(
            f"出口日期 {day} 不在政策适用期间内：{windows_zh}",
            f"export date {day} is outside the policy windows: {windows_en}",
        ),
    )


def _in_time(goods: ReturnedGoods) -> tuple[Condition, date | None]:
    """Returned within the months allowed from export (1210: from leaving the special area), and
    the deadline; a 1210 return without its leftAreaDate cannot be timed."""
    mode = goods.trade_mode
    if mode == "1210" and goods.left_area_on is None:
        return (
            Condition(
                "within_6_months",
                False,
                "1210 须填写出区日期 leftAreaDate：6个月自货物出特殊区域或保税物流中心(B型)之日起算",
                "1210 needs leftAreaDate: the 6 months run from the day the goods left the special area "
                "or B-type bonded logistics centre",
            ),
            None,
        )
    start = goods.left_area_on if mode == "1210" and goods.left_area_on else goods.export_on
    deadline = return_deadline(start)
    what_zh = "出区" if mode == "1210" else "出口"
    what_en = "leaving the special area" if mode == "1210" else "export"
    back = goods.return_on.isoformat()
    span_zh = f"自{what_zh}之日 {start.isoformat()} 起{RETURN_WINDOW_MONTHS}个月，期限 {deadline.isoformat()}"
    span_en = f"{RETURN_WINDOW_MONTHS} months from {what_en} on {start.isoformat()}: by {deadline.isoformat()}"
    condition = check(
        "within_6_months",
        goods.return_on <= deadline,
        ok=(f"退运日期 {back} 在期限内（{span_zh}）", f"returned on {back}, in time ({span_en})"),
        failed=(f"退运日期 {back} 超过期限（{span_zh}）", f"returned on {back}, too late ({span_en})"),
    )
    return condition, deadline


def _line_tax(line: ReturnLine, tables: TaxTables, on: date, *, head_ok: bool, document: str) -> ReturnLineTax:
    """One returned line: relieved when every condition of the return holds and it is not food
    (食品 are excluded), with the import taxes it would otherwise pay."""
    food = check(
        "not_food",
        not line.is_food,
        ok=(f"第 {line.gnum} 项不是食品", f"line {line.gnum} is not food"),
        failed=(
            f"第 {line.gnum} 项为食品，不适用退货税收政策",
            f"line {line.gnum} is food, which the policy excludes",
        ),
        line=line.gnum,
    )
    tariff = tariff_rate(line.gcode, line.tariff_rate, tables, on)
    taxes = line_taxes(
        gnum=line.gnum,
        gcode=line.gcode,
        tax_price=line.value,
        tariff=tariff,
        vat_override=line.vat_rate,
        consumption_override=line.consumption_tax_rate,
        quantities=(("qty", line.qty, line.unit or None), ("qty2", line.qty2, line.unit2)),
        qty2=line.qty2,
        unit2=line.unit2,
        threshold_basis=line.value,
        tables=tables,
        on=on,
        document=document,
    )
    statutory = taxes.statutory
    policy = tables.policy
    return ReturnLineTax(
        line=line,
        is_relieved=head_ok and food.passed,
        conditions=(food,),
        tariff=tariff,
        vat=taxes.vat,
        consumption=taxes.consumption,
        threshold=taxes.threshold,
        specific=taxes.specific,
        statutory=statutory,
        customs_tax=policy.round(statutory.customs_tax),
        value_added_tax=policy.round(statutory.value_added_tax),
        consumption_tax=policy.round(statutory.consumption_tax),
    )


def assess_return_relief(goods: ReturnedGoods, tables: TaxTables) -> ReturnReliefAssessment:
    """Check every condition and compute the import taxes relieved (or due) per line."""
    document = "returned_goods" + (f" invtNo={goods.invt_no}" if goods.invt_no else "")
    if not goods.lines:
        raise InvalidInput("the return has no lines", "退运无商品明细", field="lines", document=document)
    start = goods.left_area_on if goods.trade_mode == "1210" and goods.left_area_on else goods.export_on
    if goods.return_on < start:
        raise InvalidInput(
            f"returnDate {goods.return_on.isoformat()} is before {start.isoformat()}",
            f"退运日期 {goods.return_on.isoformat()} 早于 {start.isoformat()}",
            field="returnDate",
            document=document,
        )
    head, window, deadline = return_conditions(goods)
    head_ok = all(c.passed for c in head)
    policy = tables.policy
    on = goods.return_on
    taxed = [_line_tax(line, tables, on, head_ok=head_ok, document=document) for line in goods.lines]
    relieved_lines = [t for t in taxed if t.is_relieved]
    due_lines = [t for t in taxed if not t.is_relieved]
    conditions = head + tuple(c for t in taxed for c in t.conditions)
    repay = sum((t.line.export_refund_received for t in relieved_lines), ZERO)
    duty_back = sum((t.line.export_duty_paid for t in relieved_lines), ZERO)
    if relieved_lines:
        repay += goods.export_refund_received
        duty_back += goods.export_duty_paid
    reason = parse_reason(goods.reason)
    evidence = RETURN_EVIDENCE[reason] if reason is not None else ()
    return ReturnReliefAssessment(
        goods=goods,
        window=window,
        deadline=deadline,
        conditions=conditions,
        lines=tuple(taxed),
        relieved=_sum(relieved_lines),
        due=_sum(due_lines),
        export_refund_to_repay=repay,
        export_duty_refundable=duty_back,
        evidence=evidence,
        policy=policy.used("rounding.quantum", "rounding.mode", "rounding.scope"),
        tables_digest=tables.digest,
        tables_origins=tuple(sorted(tables.origins.items())),
    )


def _sum(lines: list[ReturnLineTax]) -> StatutoryTaxes:
    return StatutoryTaxes(
        customs_tax=sum((t.customs_tax for t in lines), ZERO),
        consumption_tax=sum((t.consumption_tax for t in lines), ZERO),
        value_added_tax=sum((t.value_added_tax for t in lines), ZERO),
    )
