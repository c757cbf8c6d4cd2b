"""Export VAT refund and exemption of CBEC exporters, and the zone's deemed-profit income tax, pure.

Per line of a claim (RULES.md §3):

* with purchase vouchers, a **trading company** gets 免退税 (财税〔2012〕39号): refund = purchase
  invoice value excluding VAT × refund rate; the difference to the VAT rate goes to cost;
* a **manufacturer** gets 免抵退税 (财税〔2012〕39号): non-creditable tax = FOB × rate of exchange ×
  (VAT rate − refund rate) (less the duty-free materials' share); the period's refund is limited
  by the ending credit balance, the rest is offset (免抵税额) — computed over the claim's lines
  with the period's output VAT, input VAT and prior credit;
* **without purchase vouchers**, the zone's 无票免税 (财税〔2018〕103号) is checked condition by
  condition; goods that meet them all are exempt (not refunded), the others are named with every
  failed condition and are taxed as domestic sales (视同内销);
* every line's refund deadline (国家税务总局公告2012年第24号: VAT filing periods up to 30 April of
  the following year) is checked against the claim date and lines past it are flagged.

Refund rates follow the export date on the declaration (RULES.md §3.2), from the dated table.
Amounts are rounded to the fen per line and per figure (policy ``rounding.*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cbec.errors import InvalidInput, UnknownCode
from cbec.tax.income_tax import IncomeTaxInput, IncomeTaxResult, assess_deemed_profit_tax
from cbec.tax.rates import AppliedRate, PolicyValue, TaxTables
from cbec.tax.rules import (
    LATE_CLAIM_RELAXATION_FROM,
    NO_INVOICE_EXEMPTION,
    NO_INVOICE_PLATFORM_FIELDS,
    ZERO,
    Condition,
    check,
    late_refund_claim_allowed,
    no_invoice_exemption_rule,
    refund_claim_deadline,
)

CNY = "142"


class EnterpriseKind(StrEnum):
    TRADING = "trading"  # 外贸企业：免退税
    MANUFACTURER = "manufacturer"  # 生产企业：免抵退税


class ExportTreatment(StrEnum):
    REFUND = "refund"  # 免退税 / 免抵退税
    EXEMPT_NO_INVOICE = "exempt_no_invoice"  # 无票免税（免征不退）
    TAXABLE = "taxable"  # no voucher and the exemption's conditions not met: 视同内销征税
    LATE = "late"  # past the deadline before 2020-01-20: not declarable, 视同内销


TREATMENT_ZH = {
    ExportTreatment.REFUND: "出口退税",
    ExportTreatment.EXEMPT_NO_INVOICE: "无票免税（免征增值税、消费税，不退税）",
    ExportTreatment.TAXABLE: "不符合无票免税条件：视同内销征税",
    ExportTreatment.LATE: "逾期未申报：视同内销征税",
}


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportLine:
    """One exported line (CEB603 names) with what the refund needs."""

    gnum: int
    gcode: str
    export_on: date  # 出口日期 on the declaration (ieDate)
    trade_mode: str
    fob: Decimal  # totalPrice, FOB, in ``currency``
    currency: str = CNY  # customs currency code
    exchange_rate: Decimal = Decimal(1)  # 外汇人民币折合率
    gname: str = ""
    unit: str = ""
    qty: Decimal | None = None
    price: Decimal | None = None
    invt_no: str = ""
    invoice_amount: Decimal | None = None  # purchase invoice excluding VAT (trading company)
    has_purchase_voucher: bool = True
    is_recorded_on_zone_platform: bool = False
    is_declared_at_zone_customs: bool = False
    duty_free_materials: Decimal = ZERO  # 免税购进原料价格 (进料加工, manufacturer)
    vat_rate: Decimal | None = None  # override
    refund_rate: Decimal | None = None  # override

    @property
    def fob_cny(self) -> Decimal:
        return self.fob * self.exchange_rate


@dataclass(frozen=True, slots=True)
class CreditPosition:
    """A manufacturer's VAT position for the period (增值税纳税申报)."""

    domestic_output_vat: Decimal  # 内销销项税额
    input_vat: Decimal  # 进项税额
    prior_credit: Decimal = ZERO  # 上期留抵税额


@dataclass(frozen=True, slots=True)
class ExportClaim:
    kind: EnterpriseKind
    claim_on: date
    lines: tuple[ExportLine, ...]
    is_zone_registered: bool = False
    credit: CreditPosition | None = None
    income_tax: IncomeTaxInput | None = None
    period: str = ""  # e.g. "2025-04", for the record


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportLineResult:
    line: ExportLine
    treatment: ExportTreatment
    fob_cny: Decimal
    vat: AppliedRate | None
    refund: AppliedRate | None
    refund_amount: Decimal  # trading: 应退税额
    cost_transfer: Decimal  # trading: 不予退还, to cost
    non_creditable: Decimal  # manufacturer: 不得免征和抵扣税额
    exempt_credit_refund: Decimal  # manufacturer: 免抵退税额 of the line
    deadline: date
    is_past_deadline: bool
    deadline_note: tuple[str, str] | None  # (zh, en)
    conditions: tuple[Condition, ...]  # 无票免税 conditions, when checked

    @property
    def failed_conditions(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if not c.passed)


@dataclass(frozen=True, slots=True)
class ManufacturerSettlement:
    """免抵退 of the period (财税〔2012〕39号; RULES.md §3.3 steps 1–4)."""

    non_creditable: Decimal  # 1 不得免征和抵扣税额
    payable: Decimal  # 2 当期应纳税额 (signed: < 0 is a credit)
    tax_payable: Decimal  # payable when > 0
    ending_credit: Decimal  # 期末留抵税额
    exempt_credit_refund: Decimal  # 3 免抵退税额
    refund: Decimal  # 4 应退税额
    offset: Decimal  # 免抵税额
    carry_forward: Decimal  # 结转下期留抵


@dataclass(frozen=True, slots=True)
class ExportRefundAssessment:
    claim: ExportClaim
    lines: tuple[ExportLineResult, ...]
    refund_total: Decimal  # trading: Σ 应退税额; manufacturer: 应退税额 of the period
    cost_transfer_total: Decimal
    exempt_value_total: Decimal  # FOB (CNY) of the lines exempt without invoices
    manufacturer: ManufacturerSettlement | None
    income_tax: IncomeTaxResult | None
    policy: tuple[PolicyValue, ...]
    tables_digest: str
    tables_origins: tuple[tuple[str, str], ...]

    @property
    def flagged(self) -> tuple[ExportLineResult, ...]:
        return tuple(r for r in self.lines if r.is_past_deadline or r.failed_conditions)


# --------------------------------------------------------------------------------------------
# Rules of one line
# --------------------------------------------------------------------------------------------


def trading_refund(invoice_amount: Decimal, vat_rate: Decimal, refund_rate: Decimal) -> tuple[Decimal, Decimal]:
    """免退税 of a trading company, unrounded: (refund, amount to cost) (财税〔2012〕39号; RULES.md §3.3).

    应退税额 = 增值税专用发票注明的金额(不含税) × 退税率; 发票金额 × (征税率 − 退税率) is not refunded
    and goes to cost. Example: invoice 100,000 at 13% → 13,000; at 9% → 9,000 and 4,000 to cost.
    """
    return invoice_amount * refund_rate, invoice_amount * (vat_rate - refund_rate)


def manufacturer_settlement(
    non_creditable: Decimal, exempt_credit_refund: Decimal, credit: CreditPosition
) -> ManufacturerSettlement:
    """免抵退 of a period from its rounded line figures (财税〔2012〕39号; RULES.md §3.3).

    2 当期应纳税额 = 内销销项税额 − (进项税额 − 不得免征和抵扣税额) − 上期留抵 (< 0: 期末留抵);
    4 if 期末留抵 ≤ 免抵退税额: 应退 = 期末留抵, 免抵 = 免抵退 − 应退; else 应退 = 免抵退, 免抵 = 0,
    结转留抵 = 期末留抵 − 应退. RULES.md §3.4: FOB 355,000, output 26,000, input 60,000 → at a 9%
    refund rate 应退 19,800 and 免抵 12,150; at 13% 应退 34,000 and 免抵 12,150.
    """
    payable = credit.domestic_output_vat - (credit.input_vat - non_creditable) - credit.prior_credit
    ending_credit = -payable if payable < 0 else ZERO
    if ending_credit <= exempt_credit_refund:
        refund, offset, carry = ending_credit, exempt_credit_refund - ending_credit, ZERO
    else:
        refund, offset, carry = exempt_credit_refund, ZERO, ending_credit - exempt_credit_refund
    return ManufacturerSettlement(
        non_creditable=non_creditable,
        payable=payable,
        tax_payable=max(payable, ZERO),
        ending_credit=ending_credit,
        exempt_credit_refund=exempt_credit_refund,
        refund=refund,
        offset=offset,
        carry_forward=carry,
    )


def no_invoice_conditions(line: ExportLine, *, is_zone_registered: bool, tables: TaxTables) -> tuple[Condition, ...]:
    """Every condition of 无票免税 (财税〔2018〕103号; RULES.md §3.6), checked and explained."""
    rule = no_invoice_exemption_rule(line.export_on)
    src = NO_INVOICE_EXEMPTION.source
    start = NO_INVOICE_EXEMPTION.valid_from.isoformat()
    day = line.export_on.isoformat()
    g = line.gnum
    out = [
        check(
            "policy_in_force",
            rule is not None,
            ok=(f"出口日期 {day} 在{src}施行（{start}）之后", f"exported on {day}, after {src} took effect ({start})"),
            failed=(
                f"出口日期 {day} 早于{src}施行日 {start}",
                f"exported on {day}, before {src} took effect on {start}",
            ),
            line=g,
        ),
        check(
            "zone_registered",
            is_zone_registered,
            ok=("企业在综试区注册", "the exporter is registered in the zone"),
            failed=(
                "企业未在综试区注册",
                "the exporter is not registered in the cross-border e-commerce comprehensive pilot zone",
            ),
            line=g,
        ),
    ]
    missing = [(zh, en) for key, zh, en in NO_INVOICE_PLATFORM_FIELDS if _platform_field_missing(line, key)]
    if not line.is_recorded_on_zone_platform:
        failed = (
            "未在综试区线上综合服务平台登记出口日期、货物名称、计量单位、数量、单价、金额",
            "the export's date, goods name, unit, quantity, unit price and amount are not recorded on the "
            "zone's online comprehensive service platform",
        )
    else:
        failed = (
            "平台登记缺少：" + "、".join(zh for zh, _ in missing),
            "the platform record lacks: " + ", ".join(en for _, en in missing),
        )
    out.append(
        check(
            "platform_record",
            line.is_recorded_on_zone_platform and not missing,
            ok=("已在综试区线上综合服务平台登记六项信息", "the six fields are recorded on the zone's platform"),
            failed=failed,
            line=g,
        )
    )
    modes = "/".join(sorted(NO_INVOICE_EXEMPTION.trade_modes))
    out.append(
        check(
            "trade_mode",
            line.trade_mode in NO_INVOICE_EXEMPTION.trade_modes,
            ok=(
                f"监管方式 {line.trade_mode}：电子商务出口申报",
                f"trade mode {line.trade_mode}: e-commerce export declaration",
            ),
            failed=(
                f"监管方式 {line.trade_mode} 不是电子商务出口申报（{modes}）；9710/9810 不适用无票免税",
                f"trade mode {line.trade_mode} is not an e-commerce export declaration ({modes}); "
                "9710/9810 do not qualify",
            ),
            line=g,
        )
    )
    out.append(
        check(
            "zone_customs",
            line.is_declared_at_zone_customs,
            ok=("在综试区所在地海关申报", "declared at the customs of the zone"),
            failed=("未通过综试区所在地海关办理电子商务出口申报", "not declared at the customs of the zone"),
            line=g,
        )
    )
    out.append(_refund_not_cancelled(line, tables))
    return tuple(out)


def _platform_field_missing(line: ExportLine, key: str) -> bool:
    value: object = {
        "exportDate": line.export_on,
        "gname": line.gname,
        "unit": line.unit,
        "qty": line.qty,
        "price": line.price,
        "totalPrice": line.fob,
    }[key]
    return value is None or value == ""


def _refund_not_cancelled(line: ExportLine, tables: TaxTables) -> Condition:
    rate: Decimal | None
    if line.refund_rate is not None:
        rate, where = line.refund_rate, "input refundRate"
    else:
        try:
            row = tables.refund_rate(line.gcode, line.export_on)
        except UnknownCode:
            rate, where = None, "no row in refund_rates.csv"
        else:
            rate, where = row.rate, f"{row.table} row {row.line}, {row.source}"
    cancelled = rate is not None and rate == 0 and tables.policy.zero_refund_rate_cancelled
    return check(
        "refund_not_cancelled",
        not cancelled,
        ok=(
            f"商品编码 {line.gcode} 不属于已取消出口退(免)税的货物（{where}）",
            f"HS {line.gcode} is not among the goods whose export refund has been cancelled ({where})",
        ),
        failed=(
            f"商品编码 {line.gcode} 属于已取消出口退(免)税的货物（退税率0，{where}）",
            f"HS {line.gcode} is among the goods whose export refund has been cancelled (refund rate 0, {where})",
        ),
        line=line.gnum,
    )


# --------------------------------------------------------------------------------------------
# Assessment
# --------------------------------------------------------------------------------------------


def _deadline_note(claim_on: date, deadline: date) -> tuple[str, str] | None:
    if claim_on <= deadline:
        return None
    if late_refund_claim_allowed(claim_on):
        return (
            f"已过申报期限 {deadline.isoformat()}（国家税务总局公告2012年第24号）；"
            f"自{LATE_CLAIM_RELAXATION_FROM.isoformat()}起单证和电子信息齐全后仍可申报（财政部 税务总局公告2020年第2号）",
            f"past the claim deadline of {deadline.isoformat()} (国家税务总局公告2012年第24号); since "
            f"{LATE_CLAIM_RELAXATION_FROM.isoformat()} it may still be declared once the documents and "
            "electronic data are complete (财政部 税务总局公告2020年第2号)",
        )
    return (
        f"已过申报期限 {deadline.isoformat()}（国家税务总局公告2012年第24号）：不得申报退(免)税，视同内销征税",
        f"past the claim deadline of {deadline.isoformat()} (国家税务总局公告2012年第24号): "
        "no refund or exemption may be declared; taxed as a domestic sale",
    )


def assess_export_refund(claim: ExportClaim, tables: TaxTables) -> ExportRefundAssessment:
    """Assess a claim line by line, settle a manufacturer's period, and the deemed-profit CIT."""
    document = "export_refund_claim" + (f" period={claim.period}" if claim.period else "")
    if not claim.lines:
        raise InvalidInput("the claim has no exports", "申报无出口明细", field="exports", document=document)
    if claim.kind is EnterpriseKind.MANUFACTURER and claim.credit is None:
        raise InvalidInput(
            "a manufacturer's claim needs credit (domesticOutputVat, inputVat, priorCredit)",
            "生产企业申报须填写 credit（内销销项税额、进项税额、上期留抵税额）",
            field="credit",
            document=document,
        )
    policy = tables.policy
    results: list[ExportLineResult] = []
    for line in claim.lines:
        results.append(_assess_line(line, claim, tables, document))
    refund_lines = [r for r in results if r.treatment is ExportTreatment.REFUND]
    settlement: ManufacturerSettlement | None = None
    if claim.kind is EnterpriseKind.MANUFACTURER:
        assert claim.credit is not None
        settlement = manufacturer_settlement(
            sum((r.non_creditable for r in refund_lines), ZERO),
            sum((r.exempt_credit_refund for r in refund_lines), ZERO),
            claim.credit,
        )
        refund_total = settlement.refund
    else:
        refund_total = sum((r.refund_amount for r in refund_lines), ZERO)
    exempt = [r for r in results if r.treatment is ExportTreatment.EXEMPT_NO_INVOICE]
    income = None
    if claim.income_tax is not None:
        income = assess_deemed_profit_tax(
            claim.income_tax,
            tables,
            is_zone_registered=claim.is_zone_registered,
            has_exemption=claim.income_tax.has_no_invoice_exemption
            if claim.income_tax.has_no_invoice_exemption is not None
            else bool(exempt),
        )
    return ExportRefundAssessment(
        claim=claim,
        lines=tuple(results),
        refund_total=refund_total,
        cost_transfer_total=sum((r.cost_transfer for r in refund_lines), ZERO),
        exempt_value_total=sum((r.fob_cny for r in exempt), ZERO),
        manufacturer=settlement,
        income_tax=income,
        policy=policy.used("rounding.quantum", "rounding.mode", "refund.zero_rate_cancelled", "cit.standard_rate"),
        tables_digest=tables.digest,
        tables_origins=tuple(sorted(tables.origins.items())),
    )


def _line_rates(line: ExportLine, tables: TaxTables, document: str) -> tuple[AppliedRate, AppliedRate]:
    """The line's VAT and refund rates: as given, else the tables' rows for its HS code and export
    day; a refund rate above the VAT rate is refused."""
    vat = (
        AppliedRate.from_input(line.vat_rate, "vatRate")
        if line.vat_rate is not None
        else AppliedRate.from_row(tables.vat_rate(line.gcode, line.export_on))
    )
    refund = (
        AppliedRate.from_input(line.refund_rate, "refundRate")
        if line.refund_rate is not None
        else AppliedRate.from_row(tables.refund_rate(line.gcode, line.export_on))
    )
    if refund.rate > vat.rate:
        raise InvalidInput(
            f"line {line.gnum}: refund rate {refund.rate} is above the VAT rate {vat.rate}",
            f"第 {line.gnum} 项：退税率 {refund.rate} 高于征税率 {vat.rate}",
            field="refundRate",
            document=document,
        )
    return vat, refund


def _assess_line(line: ExportLine, claim: ExportClaim, tables: TaxTables, document: str) -> ExportLineResult:
    policy = tables.policy
    fob_cny = policy.round(line.fob_cny)
    deadline = refund_claim_deadline(line.export_on)
    past = claim.claim_on > deadline
    note = _deadline_note(claim.claim_on, deadline)
    zero = ZERO
    if not line.has_purchase_voucher:
        conditions = no_invoice_conditions(line, is_zone_registered=claim.is_zone_registered, tables=tables)
        ok = all(c.passed for c in conditions)
        return ExportLineResult(
            line=line,
            treatment=ExportTreatment.EXEMPT_NO_INVOICE if ok else ExportTreatment.TAXABLE,
            fob_cny=fob_cny,
            vat=None,
            refund=None,
            refund_amount=zero,
            cost_transfer=zero,
            non_creditable=zero,
            exempt_credit_refund=zero,
            deadline=deadline,
            is_past_deadline=past,
            deadline_note=note,
            conditions=conditions,
        )
    vat, refund = _line_rates(line, tables, document)
    treatment = ExportTreatment.REFUND
    if past and not late_refund_claim_allowed(claim.claim_on):
        treatment = ExportTreatment.LATE
    refund_amount = cost = non_creditable = ecr = zero
    if treatment is ExportTreatment.REFUND and claim.kind is EnterpriseKind.TRADING:
        if line.invoice_amount is None:
            raise InvalidInput(
                f"line {line.gnum}: a trading company's refund needs invoiceAmount (purchase invoice "
                "value excluding VAT), or hasPurchaseVoucher false",
                f"第 {line.gnum} 项：外贸企业退税须填写 invoiceAmount（增值税专用发票不含税金额），无票时填 hasPurchaseVoucher: false",
                field="invoiceAmount",
                document=document,
            )
        exact_refund, exact_cost = trading_refund(line.invoice_amount, vat.rate, refund.rate)
        refund_amount, cost = policy.round(exact_refund), policy.round(exact_cost)
    elif treatment is ExportTreatment.REFUND:
        if line.duty_free_materials > fob_cny:
            raise InvalidInput(
                f"line {line.gnum}: dutyFreeMaterials ({line.duty_free_materials}) exceeds the FOB value in CNY ({fob_cny})",
                f"第 {line.gnum} 项：免税购进原料价格 {line.duty_free_materials} 超过离岸价人民币金额 {fob_cny}",
                field="dutyFreeMaterials",
                document=document,
            )
        base = fob_cny - line.duty_free_materials
        non_creditable = policy.round(base * (vat.rate - refund.rate))
        ecr = policy.round(base * refund.rate)
    return ExportLineResult(
        line=line,
        treatment=treatment,
        fob_cny=fob_cny,
        vat=vat,
        refund=refund,
        refund_amount=refund_amount,
        cost_transfer=cost,
        non_creditable=non_creditable,
        exempt_credit_refund=ecr,
        deadline=deadline,
        is_past_deadline=past,
        deadline_note=note,
        conditions=(),
    )
