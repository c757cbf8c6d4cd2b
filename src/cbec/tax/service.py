"""Tax assessments kept in the database: the buyers' annual ledger, explanations, refund reports.

The computations are the pure ones of :mod:`cbec.tax` (import_tax, export_refund, return_relief);
this layer reads the buyer's year-to-date total from the database ledger, stores each assessment
with its input and its full result (basis included), and reads them back. Services flush, never
commit: the unit of work at the edge does.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec.accounts.rules import mask_personal
from cbec.errors import CbecError, InvalidInput, NotFound, RuleViolation
from cbec.kit import events
from cbec.kit.money import to_ceb
from cbec.kit.paging import PageRequest, page_of
from cbec.partners import service as partners
from cbec.tax import present, reader, repository, schemas
from cbec.tax.export_refund import CreditPosition, ExportClaim, assess_export_refund, manufacturer_settlement
from cbec.tax.import_tax import BuyerLedger, ImportOrder, assess_with_ledger, check_limits
from cbec.tax.models import BuyerLedgerEntry, TaxAssessment
from cbec.tax.rates import TaxTables, tax_tables
from cbec.tax.return_relief import ReturnedGoods
from cbec.tax.return_relief import assess_return_relief as compute_return_relief
from cbec.tax.rules import annual_period, retail_import_rules, statutory_import_taxes

IMPORT, REFUND, RETURN_RELIEF = "import", "refund", "return_relief"
ZERO = Decimal(0)


# --------------------------------------------------------------------------------------------
# The database ledger
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class DbLedger:
    """:class:`cbec.tax.import_tax.BuyerLedger` over ``buyer_ledger_entry``.

    Counts every stored order of the buyer whose date falls in the period; refused orders have
    no entry. ``excluding`` (ebp_code, order_no) leaves out the order being re-assessed, so an
    order assessed twice counts once.
    """

    session: Session
    excluding: tuple[str, str] | None = None

    def used_amount(self, buyer_id_number: str, start: date, end: date) -> Decimal:
        entries = repository.ledgers_of(self.session, [buyer_id_number], start, end)
        return _InMemoryLedger(entries, self.excluding).used_amount(buyer_id_number, start, end)


# --------------------------------------------------------------------------------------------
# Assess and store
# --------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """A dataclass input as JSON: Decimal as exact text, dates ISO, enums by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _fen(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _assessment(
    *,
    kind: str,
    seller_code: str,
    reference: str,
    declaration_id: int | None,
    tax_on: date,
    rule_set: str,
    is_refused: bool,
    input_: dict[str, Any],
    result: dict[str, Any],
    tax_total: Decimal,
) -> TaxAssessment:
    return TaxAssessment(
        kind=kind,
        seller_code=seller_code,
        reference=reference[:60],
        declaration_id=declaration_id,
        tax_on=tax_on,
        rule_set=rule_set[:40],
        is_refused=is_refused,
        input=input_,
        result=result,
        tax_total=tax_total,
    )


def _store(session: Session, **fields: Any) -> TaxAssessment:
    return repository.add_assessment(session, _assessment(**fields))


def _refused_import_result(
    order: ImportOrder, tables: TaxTables, prior: Decimal, error: RuleViolation, date_source: str
) -> dict[str, Any]:
    """What is kept of a refused order: the reasons, where it stood against the limits, the basis."""
    rule_set = retail_import_rules(order.on)
    limits = check_limits(order, rule_set, prior_purchases=prior, tables=tables)
    policy = tables.policy.used("retail.annual_period", "retail.limit_value")
    return {
        "kind": "cbec.tax.import",
        "orderNo": order.order_no,
        "on": order.on.isoformat(),
        "tradeMode": order.trade_mode or None,
        "buyerIdNumber": present.mask_id_number(order.buyer_id_number),
        "refused": True,
        "error": error.as_dict(),
        "taxTotal": "0.00",
        "limits": {
            "orderValue": _fen(limits.order_value),
            "singleLimit": _fen(rule_set.single_limit),
            "annualLimit": _fen(rule_set.annual_limit),
            "singleItem": limits.is_single_item,
            "periodFrom": limits.period_start.isoformat(),
            "periodTo": limits.period_end.isoformat(),
            "priorPurchases": _fen(limits.prior_purchases),
            "afterOrder": _fen(limits.after_order),
            "countsTowardAnnual": False,
        },
        "basis": {
            "ruleSet": {
                "id": rule_set.id,
                "validFrom": rule_set.valid_from.isoformat(),
                "validTo": rule_set.valid_to.isoformat() if rule_set.valid_to else None,
                "sources": list(rule_set.sources),
            },
            "on": order.on.isoformat(),
            "dateFrom": date_source or None,
            "policy": [{"key": v.key, "value": v.value, "status": v.status, "source": v.source} for v in policy],
            "tables": {"sha256": tables.digest, "files": dict(sorted(tables.origins.items()))},
        },
    }


@dataclasses.dataclass(slots=True)
class _Assessed:
    """One order through the rules, not stored yet: its assessment row, and either its ledger
    amount (it counts toward the annual limit), nothing (it does not) or the refusal."""

    order: ImportOrder
    platform: str
    row: TaxAssessment
    result: dict[str, Any]
    counted: Decimal | None = None
    period_start: date | None = None
    error: RuleViolation | None = None


def _assess_one(
    request: schemas.ImportRequest,
    *,
    tables: TaxTables,
    ledger: BuyerLedger,
    platform: str,
    seller_code: str,
    declaration_id: int | None,
) -> _Assessed:
    """The rules of :mod:`cbec.tax.import_tax` on one order against ``ledger`` (which leaves
    the order's own earlier entry out), and what would be stored of it. Shared by the single
    assessment and the selection's, so both decide alike."""
    order = request.order
    if request.prior_purchases:
        raise InvalidInput(
            "priorPurchases cannot be given when the buyer's ledger is kept in the database: "
            "the ledger is the one record of the buyer's annual total; remove the field",
            "使用数据库个人年度台账时不能填写 priorPurchases：年度已用额度以台账为准，请删除该字段",
            field="priorPurchases",
        )
    counted: Decimal | None = None
    period_start: date | None = None
    error: RuleViolation | None = None
    try:
        assessment = assess_with_ledger(order, tables, ledger)
    except RuleViolation as exc:
        start, end = annual_period(order.on, tables.policy.annual_period)
        prior = ledger.used_amount(order.buyer_id_number, start, end)
        result = _refused_import_result(order, tables, prior, exc, request.date_source)
        rule_set, tax_total, error = retail_import_rules(order.on).id, ZERO, exc
    else:
        result = present.import_assessment_dict(assessment, date_source=request.date_source)
        rule_set, tax_total = assessment.rule_set.id, assessment.tax_total
        if assessment.limits.counts_toward_annual:
            counted, period_start = to_ceb(assessment.limits.order_value), assessment.limits.period_start
    row = _assessment(
        kind=IMPORT,
        seller_code=seller_code,
        reference=order.order_no,
        declaration_id=declaration_id,
        tax_on=order.on,
        rule_set=rule_set,
        is_refused=error is not None,
        input_={**_jsonable(request), "ebpCode": platform},
        result=result,
        tax_total=tax_total,
    )
    return _Assessed(order, platform, row, result, counted, period_start, error)


def _ledger_entry(done: _Assessed) -> BuyerLedgerEntry | None:
    if done.counted is None or done.period_start is None:
        return None
    return BuyerLedgerEntry(
        id_number=done.order.buyer_id_number,
        period_start=done.period_start,
        order_on=done.order.on,
        ebp_code=done.platform,
        order_no=done.order.order_no,
        amount=done.counted,
        assessment_id=done.row.id,
    )


def _refusal(done: _Assessed) -> RuleViolation:
    assert done.error is not None
    done.error.document = f"{done.error.document or 'import_order'} assessmentId={done.row.id}"
    return done.error


def assess_import(
    session: Session,
    request: schemas.ImportRequest,
    *,
    seller_code: str,
    record: bool = True,
    declaration_id: int | None = None,
    ebp_code: str | None = None,
    tables_dir: Path | None = None,
) -> dict[str, Any]:
    """Assess a retail import order against the buyer's ledger in the database, and store it.

    The buyer's earlier total this year comes from ``buyer_ledger_entry`` (the input's
    ``priorPurchases`` is refused: the ledger is the one source). Stored: the assessment (input,
    result, basis) and, when the order counts toward the annual limit, its ledger entry, which
    replaces any earlier entry of the same order (``ebp_code`` + ``orderNo``; ``ebp_code``
    defaults to the seller's code).

    A refused order (over a limit) is stored as refused, with its reasons and where it stood,
    its ledger entry removed, flushed, and the :class:`RuleViolation` re-raised. **The caller
    commits before reporting the error to keep the record of the refusal**; rolling back
    forgets it. Returns the result with ``assessmentId`` (None when ``record`` is False).
    """
    if record:
        partners.get_enterprise(session, seller_code)
    platform = ebp_code or seller_code
    done = _assess_one(
        request,
        tables=tax_tables(tables_dir),
        ledger=DbLedger(session, excluding=(platform, request.order.order_no)),
        platform=platform,
        seller_code=seller_code,
        declaration_id=declaration_id,
    )
    if not record:
        if done.error is not None:
            raise done.error
        return {**done.result, "assessmentId": None}
    repository.add_assessment(session, done.row)
    entry = _ledger_entry(done)
    repository.replace_ledger_entries(session, [(platform, done.order.order_no)], [entry] if entry else [])
    if done.error is not None:
        raise _refusal(done)
    return {**done.result, "assessmentId": done.row.id}


@dataclasses.dataclass(slots=True)
class _InMemoryLedger:
    """:class:`cbec.tax.import_tax.BuyerLedger` over entries read from ``buyer_ledger_entry``
    (:func:`repository.ledgers_of`): the one summation of the ledger. :class:`DbLedger` reads
    one buyer's for each question; a selection reads its buyers' once and keeps them up to date
    as its orders are assessed one after the other, so that an order counts the ones assessed
    before it."""

    by_buyer: dict[str, dict[tuple[str, str], tuple[date, Decimal]]]
    excluding: tuple[str, str] | None = None

    def used_amount(self, buyer_id_number: str, start: date, end: date) -> Decimal:
        total = ZERO
        for key, (on, amount) in self.by_buyer.get(buyer_id_number, {}).items():
            if start <= on <= end and key != self.excluding:
                total += amount
        return total


def assess_import_orders(
    session: Session, orders: Sequence[schemas.ImportToAssess]
) -> list[dict[str, Any] | CbecError]:
    """The batch path's assessment of a selection's matched import orders before they are
    declared, in the given order.

    The same checks, rules and stored records as ``cbec tax import --record`` and the API
    (:func:`assess_import`), with the buyers' ledger read once for the selection and the
    assessments and ledger entries written together. Returns, order by order, the result with
    ``assessmentId``, or the error: :class:`RuleViolation` for an order over the single or the
    annual limit (财关税〔2018〕49号, its refusal stored), :class:`InvalidInput` for an order the
    tax rules cannot read (nothing stored)."""
    out: list[Any] = []  # order by order: the error, or what was assessed
    requests: list[tuple[int, schemas.ImportRequest, str, str]] = []
    for i, item in enumerate(orders):
        try:
            request = reader.checked_import_request(item.order)
            requests.append((i, request, item.seller_code, item.platform_code or item.seller_code))
            out.append(None)
        except CbecError as exc:
            out.append(exc)
    if not requests:
        return out
    tables = tax_tables()
    periods = [annual_period(r.order.on, tables.policy.annual_period) for _, r, _, _ in requests]
    ledger = _InMemoryLedger(
        repository.ledgers_of(
            session,
            {r.order.buyer_id_number for _, r, _, _ in requests},
            min(p[0] for p in periods),
            max(p[1] for p in periods),
        )
    )
    touched: dict[tuple[str, str], _Assessed | None] = {}
    for i, request, seller_code, platform in requests:
        key = (platform, request.order.order_no)
        ledger.excluding = key
        try:
            done = _assess_one(
                request, tables=tables, ledger=ledger, platform=platform, seller_code=seller_code, declaration_id=None
            )
        except CbecError as exc:
            out[i] = exc
            continue
        out[i] = done
        own = ledger.by_buyer.setdefault(request.order.buyer_id_number, {})
        if done.counted is not None:
            own[key] = (request.order.on, done.counted)
            touched[key] = done
        else:
            own.pop(key, None)
            touched[key] = None
    repository.add_assessments(session, [o.row for o in out if isinstance(o, _Assessed)])
    entries = [e for done in touched.values() if done is not None and (e := _ledger_entry(done)) is not None]
    repository.replace_ledger_entries(session, list(touched), entries)
    return [
        o if not isinstance(o, _Assessed) else (_refusal(o) if o.error else {**o.result, "assessmentId": o.row.id})
        for o in out
    ]


def refused_orders(session: Session, seller_code: str, received: Mapping[str, datetime]) -> set[str]:
    """The orders (order number → when the version at hand was received) whose newest import
    assessment refused them after that version arrived: nothing has changed since, so they are
    not assessed again (a changed order, a new version, is)."""
    newest = repository.newest_import_assessments(session, seller_code, list(received))
    return {no for no, (refused, at) in newest.items() if refused and at >= received[no]}


def release_order(session: Session, ebp_code: str, order_no: str) -> None:
    """Take an assessed order out of its buyer's annual ledger: it was not declared after all
    (the declaration builder refused it), or customs rejected its list, or the list was cancelled
    or its goods returned, so it does not use the buyer's quota."""
    repository.remove_ledger_entry(session, ebp_code, order_no)


def assess_refund(
    session: Session,
    claim: ExportClaim,
    *,
    seller_code: str,
    record: bool = True,
    declaration_id: int | None = None,
    tables_dir: Path | None = None,
) -> dict[str, Any]:
    """Assess an export refund claim and store it (reference: the claim's period, else its date).

    Re-assessing a claim of the same reference stores a new assessment that replaces the earlier
    one in :func:`refund_report`.
    """
    if record:
        partners.get_enterprise(session, seller_code)
    assessment = assess_export_refund(claim, tax_tables(tables_dir))
    result = present.export_assessment_dict(assessment)
    if not record:
        return {**result, "assessmentId": None}
    row = _store(
        session,
        kind=REFUND,
        seller_code=seller_code,
        reference=claim.period or claim.claim_on.isoformat(),
        declaration_id=declaration_id,
        tax_on=claim.claim_on,
        rule_set=f"export-refund/{claim.kind.value}",
        is_refused=False,
        input_=_jsonable(claim),
        result=result,
        tax_total=assessment.refund_total,
    )
    return {**result, "assessmentId": row.id}


def assess_return_relief(
    session: Session,
    goods: ReturnedGoods,
    *,
    seller_code: str,
    record: bool = True,
    declaration_id: int | None = None,
    tables_dir: Path | None = None,
) -> dict[str, Any]:
    """Assess the relief of a return and store it (reference: the export list number;
    ``tax_total``: the taxes relieved)."""
    if record:
        partners.get_enterprise(session, seller_code)
    assessment = compute_return_relief(goods, tax_tables(tables_dir))
    result = present.return_assessment_dict(assessment)
    if not record:
        return {**result, "assessmentId": None}
    row = _store(
        session,
        kind=RETURN_RELIEF,
        seller_code=seller_code,
        reference=goods.invt_no or f"return {goods.return_on.isoformat()}",
        declaration_id=declaration_id,
        tax_on=goods.return_on,
        rule_set=assessment.window.id if assessment.window else "",
        is_refused=False,
        input_=_jsonable(goods),
        result=result,
        tax_total=assessment.relieved_total,
    )
    return {**result, "assessmentId": row.id}


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
        "duty = P × t; CT = (P + duty) / (1 − c) × c; VAT = (P + duty + CT) × v; CT and VAT × factor; "
        "P = price × qty + freightShare (stored input and result), rates from the stored basis"
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


def explain(session: Session, assessment_id: int) -> dict[str, Any]:
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
    checks.add("taxTotal (stored column)", _fen(row.tax_total), _headline(row))
    return {
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


def _headline(row: TaxAssessment) -> Decimal:
    """The figure the ``tax_total`` column holds, as the stored result states it."""
    r = row.result
    if row.is_refused:
        return ZERO
    if row.kind == REFUND:
        return Decimal(r["refundTotal"])
    if row.kind == RETURN_RELIEF:
        return Decimal(r["relieved"]["taxTotal"])
    return Decimal(r["taxTotal"])


# --------------------------------------------------------------------------------------------
# Refund report
# --------------------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


def parse_period(period: str) -> tuple[date, date]:
    """``2025`` (year), ``2025-Q1`` (quarter) or ``2025-03`` (month) → first and last day."""
    m = _PERIOD.match(period.strip().upper())
    if m is None:
        raise InvalidInput(
            f"period must be a year (2025), a quarter (2025-Q1) or a month (2025-03): {period!r}",
            f"期间须为年度（2025）、季度（2025-Q1）或月份（2025-03）：{period!r}",
            field="period",
        )
    year = int(m.group(1))
    if m.group(2):
        first = (int(m.group(2)) - 1) * 3 + 1
        last = first + 2
    elif m.group(3):
        first = last = int(m.group(3))
    else:
        first, last = 1, 12
    end = date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)
    return date(year, first, 1), date.fromordinal(end.toordinal() - 1)


_REPORT_AMOUNTS = ("fobCny", "invoiceAmount", "refund", "exemptCreditRefund", "nonCreditable", "costTransfer")


def refund_report(session: Session, seller_code: str, period: str) -> dict[str, Any]:
    """The seller's export lines exported in ``period``, from the stored refund assessments.

    One row per exported line (the newest assessment of each claim counts; a re-run replaces
    the earlier one), with the refund rate and its source as stored, the refund, the
    non-creditable tax, the deadline and whether the claim was late; totals are sums of the rows
    to the fen. Lines are selected by their **export date** (the refund rate and the deadline
    follow it).
    """
    start, end = parse_period(period)
    rows: list[dict[str, Any]] = []
    basis: list[dict[str, Any]] = []
    for a in repository.latest_assessments(session, seller_code, REFUND):
        result = a.result
        inputs = _by_gnum(a.input.get("lines", []))
        bases = _by_gnum(result["basis"]["lines"])
        for line in result["lines"]:
            exported = date.fromisoformat(line["exportDate"])
            if not start <= exported <= end:
                continue
            gnum = int(line["gnum"])
            b = bases.get(gnum, {})
            refund_rate = b.get("refundRate")
            rows.append(
                {
                    "assessmentId": a.id,
                    "claimDate": result["claimDate"],
                    "claimPeriod": result.get("period"),
                    "enterpriseKind": result["enterpriseKind"],
                    "gnum": gnum,
                    "invtNo": line.get("invtNo"),
                    "exportDate": line["exportDate"],
                    "gcode": line["gcode"],
                    "gname": inputs.get(gnum, {}).get("gname", ""),
                    "treatment": line["treatment"],
                    "treatmentZh": line["treatmentZh"],
                    "fobCny": line["fobCny"],
                    "invoiceAmount": line.get("invoiceAmount"),
                    "vatRate": b["vatRate"]["rate"] if b.get("vatRate") else None,
                    "refundRate": refund_rate["rate"] if refund_rate else None,
                    "refundRateSource": refund_rate["source"] if refund_rate else None,
                    "refund": line["refund"],
                    "exemptCreditRefund": line["exemptCreditRefund"],
                    "nonCreditable": line["nonCreditable"],
                    "costTransfer": line["costTransfer"],
                    "deadline": line["deadline"],
                    "late": bool(line["pastDeadline"]),
                }
            )
            for name in ("refundRate", "vatRate"):
                applied = b.get(name)
                if applied:
                    basis.append(
                        {
                            "assessmentId": a.id,
                            "invtNo": line.get("invtNo"),
                            "gnum": gnum,
                            "gcode": line["gcode"],
                            "exportDate": line["exportDate"],
                            "rateKind": name,
                            "rate": applied["rate"],
                            "origin": applied.get("origin"),
                            "source": applied.get("source"),
                            "status": applied.get("status"),
                            "table": applied.get("table"),
                            "row": applied.get("row"),
                            "hsPrefix": applied.get("hsPrefix"),
                            "validFrom": applied.get("validFrom"),
                            "validTo": applied.get("validTo"),
                            "tablesSha256": result["basis"]["tables"]["sha256"],
                        }
                    )
    rows.sort(key=lambda r: (r["exportDate"], r["invtNo"] or "", r["assessmentId"], r["gnum"]))
    totals: dict[str, Any] = {
        key: _fen(sum((Decimal(r[key]) for r in rows if r[key] is not None), ZERO)) for key in _REPORT_AMOUNTS
    }
    totals["lines"] = len(rows)
    totals["late"] = sum(1 for r in rows if r["late"])
    return {
        "kind": "cbec.tax.refund-report",
        "sellerCode": seller_code,
        "period": period,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "rows": rows,
        "totals": totals,
        "basis": basis,
    }


__all__ = [
    "DbLedger",
    "assess_import",
    "assess_import_orders",
    "assess_refund",
    "assess_return_relief",
    "explain",
    "parse_period",
    "refund_report",
]


# --- read side -------------------------------------------------------------------------------


def assessment_read(row: TaxAssessment) -> dict[str, Any]:
    """The headline of a stored assessment; ``explain`` gives the whole basis."""
    return {
        "id": row.id,
        "kind": row.kind,
        "seller_code": row.seller_code,
        "reference": row.reference,
        "declaration_id": row.declaration_id,
        "tax_on": row.tax_on.isoformat(),
        "rule_set": row.rule_set,
        "is_refused": row.is_refused,
        "tax_total": _fen(row.tax_total),
        "reason": row.result.get("error") if row.is_refused else None,
        "created_at": row.created_at,
    }


def list_assessments(
    session: Session,
    scope: frozenset[str] | None,
    req: PageRequest,
    *,
    kind: str | None = None,
    reference: str | None = None,
) -> dict[str, Any]:
    total, rows = repository.list_assessments(
        session, scope, kind=kind, reference=reference, offset=req.offset, limit=req.page_size
    )
    return page_of([assessment_read(r) for r in rows], total, req)


def explain_scoped(session: Session, scope: frozenset[str] | None, assessment_id: int) -> dict[str, Any]:
    """``explain`` for a caller who may see only some enterprises' assessments; personal data
    in the stored input is masked."""
    row = repository.get_assessment(session, assessment_id)
    if row is None or (scope is not None and row.seller_code not in scope):
        raise NotFound(
            f"tax assessment {assessment_id} does not exist", f"税款计算记录 {assessment_id} 不存在", field="id"
        )
    out = explain(session, assessment_id)
    return mask_personal(out)  # type: ignore[no-any-return]


def assessments_for_declaration(
    session: Session, seller_code: str, order_no: str, declaration_id: int
) -> list[dict[str, Any]]:
    return [
        assessment_read(r) for r in repository.assessments_for_order(session, seller_code, order_no, declaration_id)
    ]


def _on_import_order_voided(session: Session, event: schemas.ImportOrderVoided) -> None:
    release_order(session, event.ebp_code, event.order_no)


events.subscribe(schemas.ImportOrderVoided, _on_import_order_voided)
