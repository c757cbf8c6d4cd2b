"""A stored assessment explained: recomputed from the rates stored with it, each figure checked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.errors import NotFound
from cbec.tax import repository
from cbec.tax.export_refund import CreditPosition, manufacturer_settlement
from cbec.tax.models import TaxAssessment
from cbec.tax.rules import statutory_import_taxes
from cbec.tax.schemas import ExplanationRead
from cbec.tax.service.common import IMPORT, IMPORT_RETURN, REFUND, RETURN_RELIEF, ZERO, _fen

# --------------------------------------------------------------------------------------------
# Explain a stored assessment
# --------------------------------------------------------------------------------------------


def _rounder(basis: Mapping[str, Any]) -> Callable[[Decimal], Decimal]:
    """The rounding the assessment used, from the policy values stored in its basis."""
    values = {p["key"]: p["value"] for p in basis.get("policy", [])}
    quantum = Decimal(values.get("rounding.quantum", "0.01"))
    mode = values.get("rounding.mode", "ROUND_HALF_UP")
    return lambda amount: amount.quantize(quantum, rounding=mode)


def _rate(applied: Mapping[str, Any] | None) -> Decimal:
    return Decimal(applied["rate"]) if applied else ZERO


class _Checks:
    """Stored figures against the same figures recomputed from the stored rates."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, figure: str, stored: str | None, recomputed: Decimal) -> None:
        value = Decimal(stored) if stored is not None else ZERO
        self.items.append(
            {"figure": figure, "stored": stored, "recomputed": _fen(recomputed), "matches": value == recomputed}
        )

    @property
    def matches(self) -> bool:
        return all(i["matches"] for i in self.items)


def _by_gnum(items: list[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    return {int(i["gnum"]): i for i in items}


def _specific(part: Mapping[str, Any] | None) -> Decimal:
    """The specific part of a stored line's consumption tax: amount per unit × quantity."""
    return Decimal(part["amount"]) * Decimal(part["quantity"]) if part else ZERO


def _check_import(row: TaxAssessment, checks: _Checks) -> str:
    result, basis = row.result, row.result["basis"]
    rnd = _rounder(basis)
    scope = {p["key"]: p["value"] for p in basis.get("policy", [])}.get("rounding.scope", "line")
    inputs = _by_gnum(row.input["order"]["lines"])
    bases = _by_gnum(basis["lines"])
    totals = {"customsTax": ZERO, "valueAddedTax": ZERO, "consumptionTax": ZERO}
    exact = dict(totals)
    for line in result["lines"]:
        gnum = int(line["gnum"])
        given, b = inputs[gnum], bases[gnum]
        price = Decimal(given["price"]) * Decimal(given["qty"]) + Decimal(line["freightShare"])
        factor = Decimal(b["factor"])
        s = statutory_import_taxes(
            price,
            tariff_rate=_rate(b["tariffRate"]),
            vat_rate=_rate(b["vatRate"]),
            consumption_tax_rate=_rate(b["consumptionTaxRate"]),
            specific_tax=_specific(b.get("specific")),
        )
        due = {
            "customsTax": s.customs_tax,
            "valueAddedTax": s.value_added_tax * factor,
            "consumptionTax": s.consumption_tax * factor,
        }
        for key, amount in due.items():
            checks.add(f"lines[{gnum}].{key}", line[key], rnd(amount))
            totals[key] += rnd(amount)
            exact[key] += amount
    for key, line_sum in totals.items():
        checks.add(key, result[key], rnd(exact[key]) if scope == "order" else line_sum)
    checks.add("taxTotal", result["taxTotal"], sum((Decimal(result[k]) for k in totals), ZERO))
    return (
        "duty = P × t; CT = (P + duty + S) / (1 − c) × c + S; VAT = (P + duty + CT) × v; CT and VAT × "
        "factor; P = price × qty + freightShare (stored input and result), rates and S = amount × quantity "
        "from the stored basis"
    )


def _check_refund(row: TaxAssessment, checks: _Checks) -> str:
    result, basis = row.result, row.result["basis"]
    rnd = _rounder(basis)
    inputs = _by_gnum(row.input["lines"])
    bases = _by_gnum(basis["lines"])
    trading = result["enterpriseKind"] == "trading"
    non_creditable = ecr = refund_total = ZERO
    for line in result["lines"]:
        gnum = int(line["gnum"])
        given, b = inputs[gnum], bases[gnum]
        figures = {"refund": ZERO, "costTransfer": ZERO, "nonCreditable": ZERO, "exemptCreditRefund": ZERO}
        if line["treatment"] == "refund" and b["refundRate"] is not None:
            v, r = _rate(b["vatRate"]), _rate(b["refundRate"])
            if trading:
                invoice = Decimal(given["invoice_amount"])
                figures["refund"], figures["costTransfer"] = rnd(invoice * r), rnd(invoice * (v - r))
            else:
                base = Decimal(line["fobCny"]) - Decimal(given["duty_free_materials"])
                figures["nonCreditable"], figures["exemptCreditRefund"] = rnd(base * (v - r)), rnd(base * r)
        for key, amount in figures.items():
            checks.add(f"lines[{gnum}].{key}", line[key], amount)
        refund_total += figures["refund"]
        non_creditable += figures["nonCreditable"]
        ecr += figures["exemptCreditRefund"]
    m = result.get("manufacturer")
    if m:
        credit = CreditPosition(
            domestic_output_vat=Decimal(m["domesticOutputVat"]),
            input_vat=Decimal(m["inputVat"]),
            prior_credit=Decimal(m["priorCredit"]),
        )
        settled = manufacturer_settlement(non_creditable, ecr, credit)
        checks.add("manufacturer.refund", m["refund"], settled.refund)
        checks.add("manufacturer.offset", m["offset"], settled.offset)
        refund_total = settled.refund
    checks.add("refundTotal", result["refundTotal"], refund_total)
    return (
        "trading: refund = invoice × refund rate, cost = invoice × (VAT − refund rate); manufacturer: "
        "non-creditable = (FOB CNY − duty-free materials) × (VAT − refund rate), 免抵退 = … × refund rate"
    )


def _check_return(row: TaxAssessment, checks: _Checks) -> str:
    result, basis = row.result, row.result["basis"]
    rnd = _rounder(basis)
    inputs = _by_gnum(row.input["lines"])
    bases = _by_gnum(basis["lines"])
    relieved = due = ZERO
    for line in result["lines"]:
        gnum = int(line["gnum"])
        b = bases[gnum]
        s = statutory_import_taxes(
            Decimal(inputs[gnum]["value"]),
            tariff_rate=_rate(b["tariffRate"]),
            vat_rate=_rate(b["vatRate"]),
            consumption_tax_rate=_rate(b["consumptionTaxRate"]),
            specific_tax=_specific(b.get("specific")),
        )
        line_total = ZERO
        for key, amount in (
            ("customsTax", s.customs_tax),
            ("valueAddedTax", s.value_added_tax),
            ("consumptionTax", s.consumption_tax),
        ):
            checks.add(f"lines[{gnum}].{key}", line[key], rnd(amount))
            line_total += rnd(amount)
        if line["relieved"]:
            relieved += line_total
        else:
            due += line_total
    checks.add("relieved.taxTotal", result["relieved"]["taxTotal"], relieved)
    checks.add("due.taxTotal", result["due"]["taxTotal"], due)
    return "duty = P × t; CT = (P + duty) / (1 − c) × c; VAT = (P + duty + CT) × v; P = the stored line value"


def explain(session: Session, assessment_id: int) -> ExplanationRead:
    """A stored assessment's basis, and its figures recomputed from the stored rates alone.

    Nothing is read from today's rate tables: the figures are recomputed from the rates, values
    and rounding policy stored with the assessment, and each is compared with the stored one
    (``reproduced.matches``), so the explanation holds after the tables change.
    """
    row = repository.get_assessment(session, assessment_id)
    if row is None:
        raise NotFound(
            f"tax assessment {assessment_id} does not exist",
            f"税款计算记录 {assessment_id} 不存在",
            field="assessmentId",
        )
    checks = _Checks()
    method = ""
    if row.is_refused:
        method = "refused: no tax computed (the order does not count toward the annual limit)"
    elif row.kind == IMPORT:
        method = _check_import(row, checks)
    elif row.kind == REFUND:
        method = _check_refund(row, checks)
    elif row.kind == RETURN_RELIEF:
        method = _check_return(row, checks)
    elif row.kind == IMPORT_RETURN:
        method = "a returned retail import: minus the reversed assessment's taxes when applied for within 30 days"
    checks.add("taxTotal (stored column)", _fen(row.tax_total), _headline(row))
    return ExplanationRead.model_validate(
        {
            "kind": "cbec.tax.explain",
            "assessmentId": row.id,
            "assessmentKind": row.kind,
            "sellerCode": row.seller_code,
            "reference": row.reference,
            "declarationId": row.declaration_id,
            "on": row.tax_on.isoformat(),
            "ruleSet": row.rule_set or None,
            "refused": row.is_refused,
            "createdAt": row.created_at.isoformat(),
            "taxTotal": _fen(row.tax_total),
            "reason": row.result.get("error") if row.is_refused else None,
            "basis": row.result.get("basis"),
            "reproduced": {"method": method, "matches": checks.matches, "figures": checks.items},
            "result": row.result,
        }
    )


def _headline(row: TaxAssessment) -> Decimal:
    """The figure the ``tax_total`` column holds, as the stored result states it."""
    r = row.result
    if row.is_refused:
        return ZERO
    if row.kind == REFUND:
        return Decimal(r["refundTotal"])
    if row.kind == RETURN_RELIEF:
        return Decimal(r["relieved"]["taxTotal"])
    if row.kind == IMPORT_RETURN:
        return Decimal(r["refund"]["taxTotal"])
    return Decimal(r["taxTotal"])
