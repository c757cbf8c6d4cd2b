"""The tax engine's answers as JSON: assessments written with every amount as exact decimal text,
each rate with its table row and source, and the buyer's ID number masked. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from cbec.kit.money import to_ceb, to_fen
from cbec.tax import import_tax
from cbec.tax.export_refund import (
    TREATMENT_ZH,
    EnterpriseKind,
    ExportLineResult,
    ExportRefundAssessment,
)
from cbec.tax.import_tax import (
    TREATMENT_EN,
    ImportAssessment,
    ThresholdCheck,
)
from cbec.tax.line_rates import SpecificPart
from cbec.tax.rates import AppliedRate, PolicyValue
from cbec.tax.return_relief import ReturnReliefAssessment
from cbec.tax.rules import Condition, StatutoryTaxes

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _amt(value: Decimal) -> str:
    """An amount with two decimals, as text ("12.34")."""
    return format(to_fen(value), "f")


def _exact(value: Decimal) -> str:
    """An unrounded intermediate, to CEB's five decimals."""
    return format(to_ceb(value), "f")


def _rate(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _qty(value: Decimal) -> str:
    return _rate(value)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def mask_id_number(number: str) -> str:
    """The buyer's ID number with the birth date and serial hidden (personal data)."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else number


def applied_rate_dict(rate: AppliedRate) -> dict[str, Any]:
    out: dict[str, Any] = {"rate": _rate(rate.rate), "origin": rate.origin, "source": rate.source}
    if rate.status:
        out["status"] = rate.status
    if rate.table:
        out["table"] = rate.table
        out["row"] = rate.line
        out["hsPrefix"] = rate.hs_prefix
        out["validFrom"] = _iso(rate.valid_from)
        out["validTo"] = _iso(rate.valid_to)
    if rate.note:
        out["note"] = rate.note
    return out


def _threshold_dict(check: ThresholdCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "per": check.per,
        "unitPrice": format(check.unit_price.quantize(Decimal("0.0001")), "f"),
        "minimum": _rate(check.minimum),
        "priceBasis": _amt(check.price_basis),
        "quantity": _qty(check.quantity),
        "taxable": check.is_taxable,
    }


def _specific_dict(part: SpecificPart | None) -> dict[str, Any] | None:
    """The specific (从量) part of a line's consumption tax: amount per unit × quantity."""
    if part is None:
        return None
    return {
        "amount": _rate(part.amount),
        "unit": part.unit,
        "quantity": _qty(part.quantity),
        "from": {"field": part.source_field, "qty": _qty(part.source_qty), "unit": part.source_unit},
        "tierPricePerUnit": None if part.tier_price is None else _exact(part.tier_price),
        "tierMinimum": None if part.tier_minimum is None else _rate(part.tier_minimum),
        "specificTax": _exact(part.tax),
    }


def _policy_list(values: Sequence[PolicyValue]) -> list[dict[str, str]]:
    return [{"key": v.key, "value": v.value, "status": v.status, "source": v.source} for v in values]


def _tables(digest: str, origins: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"sha256": digest, "files": dict(origins)}


def _conditions(conditions: Sequence[Condition]) -> list[dict[str, object]]:
    return [c.as_dict() for c in conditions]


def _taxes(customs: Decimal, vat: Decimal, ct: Decimal) -> dict[str, str]:
    return {
        "customsTax": _amt(customs),
        "valueAddedTax": _amt(vat),
        "consumptionTax": _amt(ct),
        "taxTotal": _amt(customs + vat + ct),
    }


def _statutory(taxes: StatutoryTaxes) -> dict[str, str]:
    return {
        "customsTax": _exact(taxes.customs_tax),
        "consumptionTax": _exact(taxes.consumption_tax),
        "valueAddedTax": _exact(taxes.value_added_tax),
    }


RETAIL_FORMULA = (
    "CT = (P + duty + S) / (1 − c) × c + S (S = the specific part, 0 for ad-valorem items); "
    "VAT = (P + duty + CT) × v; within the limits duty = 0 and CT, VAT × 0.7; each tax rounded "
    "per line (RULES.md §1.3–1.4)"
)


def import_assessment_dict(a: ImportAssessment, *, date_source: str = "") -> dict[str, Any]:
    order, limits, rs = a.order, a.limits, a.rule_set
    treatment = a.treatment
    return {
        "kind": "cbec.tax.import",
        "orderNo": order.order_no,
        "on": order.on.isoformat(),
        "tradeMode": order.trade_mode or None,
        "buyerIdNumber": mask_id_number(order.buyer_id_number),
        "withinLimits": limits.is_within_limits,
        "treatment": treatment.value,
        "treatmentZh": import_tax.TREATMENT_ZH[treatment],
        "treatmentEn": TREATMENT_EN[treatment],
        "goodsValue": _amt(order.goods_value),
        "freight": _amt(order.freight),
        "insuredFee": _amt(order.insured_fee),
        "discount": _amt(order.discount),
        "taxPrice": _amt(sum((t.tax_price for t in a.lines), Decimal(0))),
        **_taxes(a.customs_tax, a.value_added_tax, a.consumption_tax),
        "limits": {
            "orderValue": _amt(limits.order_value),
            "singleLimit": _amt(rs.single_limit),
            "annualLimit": _amt(rs.annual_limit),
            "singleItem": limits.is_single_item,
            "periodFrom": limits.period_start.isoformat(),
            "periodTo": limits.period_end.isoformat(),
            "priorPurchases": _amt(limits.prior_purchases),
            "afterOrder": _amt(limits.after_order),
            "countsTowardAnnual": limits.counts_toward_annual,
            "remaining": _amt(limits.remaining),
        },
        "lines": [
            {
                "gnum": t.gnum,
                "gcode": t.gcode,
                "totalPrice": _amt(t.goods_value),
                "freightShare": _amt(t.freight_share),
                "taxPrice": _amt(t.tax_price),
                **_taxes(t.customs_tax, t.value_added_tax, t.consumption_tax),
            }
            for t in a.lines
        ],
        "basis": {
            "ruleSet": {
                "id": rs.id,
                "validFrom": rs.valid_from.isoformat(),
                "validTo": _iso(rs.valid_to),
                "sources": list(rs.sources),
                "withinLimitTariffRate": _rate(rs.within_limit_tariff_rate),
                "withinLimitFactor": _rate(rs.within_limit_factor),
            },
            "on": order.on.isoformat(),
            "dateFrom": date_source or None,
            "formula": RETAIL_FORMULA,
            "discountNote": "CEB311 discount (points, vouchers, coupons) is not deducted from the dutiable value "
            "(GACC price rule, RULES.md §1.1) / 非现金抵扣金额不从完税价格中扣减",
            "lines": [
                {
                    "gnum": t.gnum,
                    "factor": _rate(t.factor),
                    "tariffRate": applied_rate_dict(t.tariff),
                    "vatRate": applied_rate_dict(t.vat),
                    "consumptionTaxRate": applied_rate_dict(t.consumption),
                    "threshold": _threshold_dict(t.threshold),
                    "specific": _specific_dict(t.specific),
                    "statutory": _statutory(t.statutory),
                    "due": _statutory(t.due),
                }
                for t in a.lines
            ],
            "policy": _policy_list(a.policy),
            "tables": _tables(a.tables_digest, a.tables_origins),
        },
    }


def _export_line_dict(r: ExportLineResult) -> dict[str, Any]:
    line = r.line
    out: dict[str, Any] = {
        "gnum": line.gnum,
        "gcode": line.gcode,
        "invtNo": line.invt_no or None,
        "tradeMode": line.trade_mode,
        "exportDate": line.export_on.isoformat(),
        "totalPrice": _amt(line.fob),
        "currency": line.currency,
        "exchangeRate": _rate(line.exchange_rate),
        "fobCny": _amt(r.fob_cny),
        "treatment": r.treatment.value,
        "treatmentZh": TREATMENT_ZH[r.treatment],
        "invoiceAmount": _amt(line.invoice_amount) if line.invoice_amount is not None else None,
        "refund": _amt(r.refund_amount),
        "costTransfer": _amt(r.cost_transfer),
        "nonCreditable": _amt(r.non_creditable),
        "exemptCreditRefund": _amt(r.exempt_credit_refund),
        "deadline": r.deadline.isoformat(),
        "pastDeadline": r.is_past_deadline,
    }
    if r.deadline_note:
        out["deadlineNote"] = {"message_zh": r.deadline_note[0], "message_en": r.deadline_note[1]}
    if r.conditions:
        out["conditions"] = _conditions(r.conditions)
        out["failedConditions"] = _conditions(r.failed_conditions)
    return out


def _refund_flags(a: ExportRefundAssessment) -> list[dict[str, Any]]:
    """Each line's late claim and failed conditions, as flags for a person."""
    flags: list[dict[str, Any]] = []
    for r in a.lines:
        if r.deadline_note:
            flags.append(
                {
                    "gnum": r.line.gnum,
                    "code": "past_deadline",
                    "message_zh": r.deadline_note[0],
                    "message_en": r.deadline_note[1],
                }
            )
        flags.extend({"gnum": r.line.gnum, **c.as_dict()} for c in r.failed_conditions)
    return flags


def _manufacturer_dict(a: ExportRefundAssessment) -> dict[str, Any] | None:
    """A manufacturer's 免抵退 settlement with its VAT credit (None for a trading company)."""
    if a.manufacturer is None:
        return None
    m, credit = a.manufacturer, a.claim.credit
    assert credit is not None
    return {
        "domesticOutputVat": _amt(credit.domestic_output_vat),
        "inputVat": _amt(credit.input_vat),
        "priorCredit": _amt(credit.prior_credit),
        "nonCreditable": _amt(m.non_creditable),
        "payable": _amt(m.payable),
        "taxPayable": _amt(m.tax_payable),
        "endingCredit": _amt(m.ending_credit),
        "exemptCreditRefund": _amt(m.exempt_credit_refund),
        "refund": _amt(m.refund),
        "offset": _amt(m.offset),
        "carryForwardCredit": _amt(m.carry_forward),
    }


def _income_tax_dict(a: ExportRefundAssessment) -> dict[str, Any] | None:
    """The deemed-profit income tax of the zone's exporters, when asked for."""
    if a.income_tax is None:
        return None
    it = a.income_tax
    return {
        "year": it.year,
        "applicable": it.is_applicable,
        "conditions": _conditions(it.conditions),
        "revenue": _amt(it.revenue),
        "taxableIncomeRate": _rate(it.rule.taxable_income_rate) if it.rule else None,
        "taxableIncome": _amt(it.taxable_income),
        "standardRate": _rate(it.standard_rate),
        "taxAtStandardRate": _amt(it.tax_at_standard_rate),
        "smallLowProfitClaimed": it.is_small_low_profit_claimed,
        "smallLowProfitApplied": it.is_small_low_profit_applied,
        "smallLowProfitNote": {
            "message_zh": it.small_low_profit_note[0],
            "message_en": it.small_low_profit_note[1],
        },
        "bands": [
            {
                "from": _amt(b.band_from),
                "to": _amt(b.band_to),
                "taxableShare": _rate(b.taxable_share),
                "rate": _rate(b.rate),
                "source": b.source,
                "status": b.status,
            }
            for b in it.bands
        ],
        "incomeTax": _amt(it.tax),
        "source": it.rule.source if it.rule else None,
    }


#: what the refund of a claim rests on (RULES.md §2)
REFUND_SOURCES = (
    "财税〔2012〕39号",
    "财税〔2013〕96号",
    "国家税务总局公告2012年第24号",
    "财政部 税务总局公告2020年第2号",
    "财税〔2018〕103号",
    "国家税务总局公告2019年第36号",
)


def export_assessment_dict(a: ExportRefundAssessment) -> dict[str, Any]:
    claim = a.claim
    return {
        "kind": "cbec.tax.refund",
        "enterpriseKind": claim.kind.value,
        "claimDate": claim.claim_on.isoformat(),
        "period": claim.period or None,
        "zoneRegistered": claim.is_zone_registered,
        "refundTotal": _amt(a.refund_total),
        "costTransferTotal": _amt(a.cost_transfer_total),
        "exemptValueTotal": _amt(a.exempt_value_total),
        "lines": [_export_line_dict(r) for r in a.lines],
        "manufacturer": _manufacturer_dict(a),
        "incomeTax": _income_tax_dict(a),
        "flags": _refund_flags(a),
        "basis": {
            "claimDate": claim.claim_on.isoformat(),
            "method": "免退税 (trading: invoice × refund rate)"
            if claim.kind is EnterpriseKind.TRADING
            else "免抵退税 (manufacturer: FOB × (VAT − refund) non-creditable; refund limited by the credit)",
            "sources": list(REFUND_SOURCES),
            "lines": [
                {
                    "gnum": r.line.gnum,
                    "on": r.line.export_on.isoformat(),
                    "vatRate": applied_rate_dict(r.vat) if r.vat else None,
                    "refundRate": applied_rate_dict(r.refund) if r.refund else None,
                }
                for r in a.lines
            ],
            "policy": _policy_list(a.policy),
            "tables": _tables(a.tables_digest, a.tables_origins),
        },
    }


def _return_steps(a: ReturnReliefAssessment) -> list[dict[str, str]]:
    """What the seller does next, in order (repay the refund, declare the re-import, claim the
    export duty back; pay for what does not qualify)."""
    steps: list[dict[str, str]] = []
    if any(t.is_relieved for t in a.lines):
        if a.export_refund_to_repay > 0:
            steps.append(
                {
                    "message_zh": f"先补缴已退出口退税 {_amt(a.export_refund_to_repay)} 元，取得税务机关《出口货物已补税/未退税证明》",
                    "message_en": f"first repay the export refund received ({_amt(a.export_refund_to_repay)}) and obtain "
                    "the tax office's 《出口货物已补税/未退税证明》",
                }
            )
        steps.append(
            {
                "message_zh": f"复运进境申报免征进口关税、进口环节增值税和消费税，共 {_amt(a.relieved_total)} 元",
                "message_en": f"declare the re-import free of import duty, import VAT and consumption tax "
                f"({_amt(a.relieved_total)} relieved)",
            }
        )
        if a.export_duty_refundable > 0:
            steps.append(
                {
                    "message_zh": f"申请退还出口时已征出口关税 {_amt(a.export_duty_refundable)} 元",
                    "message_en": f"claim back the export duty paid ({_amt(a.export_duty_refundable)})",
                }
            )
    if a.due_total > 0:
        steps.append(
            {
                "message_zh": f"不符合条件的货物按规定征收进口税款 {_amt(a.due_total)} 元",
                "message_en": f"goods that do not qualify pay the import taxes ({_amt(a.due_total)})",
            }
        )
    return steps


def return_assessment_dict(a: ReturnReliefAssessment) -> dict[str, Any]:
    g = a.goods
    return {
        "kind": "cbec.tax.return-relief",
        "invtNo": g.invt_no or None,
        "eligible": a.is_eligible,
        "tradeMode": g.trade_mode,
        "exportDate": g.export_on.isoformat(),
        "leftAreaDate": _iso(g.left_area_on),
        "returnDate": g.return_on.isoformat(),
        "deadline": _iso(a.deadline),
        "reason": g.reason,
        "policyWindow": {
            "id": a.window.id,
            "exportsFrom": a.window.exports_from.isoformat(),
            "exportsTo": a.window.exports_to.isoformat(),
            "sources": list(a.window.sources),
        }
        if a.window
        else None,
        "failedConditions": _conditions(a.failed_conditions),
        "conditions": _conditions(a.conditions),
        "relieved": _taxes(a.relieved.customs_tax, a.relieved.value_added_tax, a.relieved.consumption_tax),
        "due": _taxes(a.due.customs_tax, a.due.value_added_tax, a.due.consumption_tax),
        "exportRefundToRepay": _amt(a.export_refund_to_repay),
        "exportDutyRefundable": _amt(a.export_duty_refundable),
        "steps": _return_steps(a),
        "evidence": [{"message_zh": zh, "message_en": en} for zh, en in a.evidence],
        "lines": [
            {
                "gnum": t.line.gnum,
                "gcode": t.line.gcode,
                "value": _amt(t.line.value),
                "relieved": t.is_relieved,
                **_taxes(t.customs_tax, t.value_added_tax, t.consumption_tax),
            }
            for t in a.lines
        ],
        "basis": {
            "on": g.return_on.isoformat(),
            "formula": "duty = P × t; CT = (P + duty + S) / (1 − c) × c + S; VAT = (P + duty + CT) × v; "
            "rounded per line",
            "lines": [
                {
                    "gnum": t.line.gnum,
                    "tariffRate": applied_rate_dict(t.tariff),
                    "vatRate": applied_rate_dict(t.vat),
                    "consumptionTaxRate": applied_rate_dict(t.consumption),
                    "threshold": _threshold_dict(t.threshold),
                    "specific": _specific_dict(t.specific),
                    "statutory": _statutory(t.statutory),
                }
                for t in a.lines
            ],
            "policy": _policy_list(a.policy),
            "tables": _tables(a.tables_digest, a.tables_origins),
        },
    }
