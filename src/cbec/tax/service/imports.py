"""Retail import assessments against the buyers' annual ledger in the database (财关税〔2018〕49号):
one order (the CLI, the API) or a selection (the declaration path), deciding alike; and the
ledger given back when an assessed order is voided (an event customs publishes)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec.errors import CbecError, InvalidInput, RuleViolation
from cbec.kit import events
from cbec.kit.money import to_ceb
from cbec.partners import service as partners
from cbec.tax import present, reader, repository, schemas
from cbec.tax.import_tax import BuyerLedger, ImportOrder, assess_with_ledger, check_limits
from cbec.tax.models import BuyerLedgerEntry, TaxAssessment
from cbec.tax.rates import TaxTables, tax_tables
from cbec.tax.rules import RETAIL_RETURN_SOURCES, annual_period, retail_import_rules, retail_return_outcome
from cbec.tax.service.common import IMPORT, IMPORT_RETURN, ZERO, _assessment, _fen, _jsonable

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

    def recorded(self, assessment_id: int | None) -> schemas.Recorded:
        return schemas.Recorded(assessment_id, self.error is not None, self.row.tax_total, self.result)


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
) -> schemas.Recorded:
    """Assess a retail import order against the buyer's ledger in the database, and store it.

    The buyer's earlier total this year comes from ``buyer_ledger_entry`` (the input's
    ``priorPurchases`` is refused: the ledger is the one source). Stored: the assessment (input,
    result, basis) and, when the order counts toward the annual limit, its ledger entry, which
    replaces any earlier entry of the same order (``ebp_code`` + ``orderNo``; ``ebp_code``
    defaults to the seller's code).

    A refused order (over a limit) is stored as refused, with its reasons and where it stood,
    its ledger entry removed, flushed, and the :class:`RuleViolation` re-raised. **The caller
    commits before reporting the error to keep the record of the refusal**; rolling back
    forgets it. Returns what was recorded (its ``assessment_id`` None when ``record`` is False).
    """
    if record:
        partners.get_enterprise(session, seller_code)
        repository.lock_buyers(session, [request.order.buyer_id_number])
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
        return done.recorded(None)
    repository.add_assessment(session, done.row)
    entry = _ledger_entry(done)
    repository.replace_ledger_entries(session, [(platform, done.order.order_no)], [entry] if entry else [])
    if done.error is not None:
        raise _refusal(done)
    return done.recorded(done.row.id)


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
) -> list[schemas.Recorded | CbecError]:
    """The batch path's assessment of a selection's matched import orders before they are
    declared, in the given order.

    The same checks, rules and stored records as ``cbec tax import --record`` and the API
    (:func:`assess_import`), with the buyers' ledger read once for the selection and the
    assessments and ledger entries written together. Returns, order by order, what was recorded, or the error: :class:`RuleViolation` for an order over the single or the
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
    repository.lock_buyers(session, (r.order.buyer_id_number for _, r, _, _ in requests))
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
    return [o if not isinstance(o, _Assessed) else (_refusal(o) if o.error else o.recorded(o.row.id)) for o in out]


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


def settle_returned_import(
    session: Session, ebp_code: str, order_no: str, returned: schemas.ImportReturned
) -> TaxAssessment | None:
    """A retail import whose goods customs took back (CEB625 accepted): within 30 days of the
    list's release its tax is reversed — stored as an ``import_return`` row whose ``tax_total``
    is minus the assessment's, dated the day of the return — and its ledger entry removed; later,
    neither, unless the operator's ``retail.late_return_quota_back`` gives the quota back
    (:func:`cbec.tax.rules.retail_return_outcome`, 海关总署公告2020年第45号). Returns the
    settlement stored (None when the order has no assessment, or it was settled already)."""
    policy = tax_tables().policy
    # No release recorded: customs accepting the return is then the only evidence, and 45号
    # lets it accept one only within the window, so the return counts as within it.
    released_on = returned.released_on or returned.applied_on
    outcome = retail_return_outcome(
        released_on, returned.applied_on, late_return_quota_back=policy.late_return_quota_back
    )
    if outcome.gives_quota_back:
        release_order(session, ebp_code, order_no)
    original = repository.newest_import_assessment(session, ebp_code, order_no)
    if original is None or repository.return_settlements(session, order_no, original.id):
        return None
    figures = ("customsTax", "valueAddedTax", "consumptionTax", "taxTotal")
    refund = {k: _fen(-Decimal(original.result.get(k, "0"))) if outcome.refunds_tax else "0.00" for k in figures}
    result = {
        "kind": "cbec.tax.import_return",
        "orderNo": order_no,
        "assessmentId": original.id,
        "releasedOn": released_on.isoformat(),
        "releaseRecorded": returned.released_on is not None,
        "appliedOn": returned.applied_on.isoformat(),
        "returnedOn": returned.returned_on.isoformat(),
        "deadline": outcome.deadline.isoformat(),
        "withinWindow": outcome.is_within_window,
        "taxRefunded": outcome.refunds_tax,
        "quotaGivenBack": outcome.gives_quota_back,
        "refund": refund,
        "reason": {"message_zh": outcome.reason_zh, "message_en": outcome.reason_en},
        "sources": list(RETAIL_RETURN_SOURCES),
        "policy": [
            {"key": v.key, "value": v.value, "status": v.status} for v in policy.used("retail.late_return_quota_back")
        ],
    }
    row = _assessment(
        kind=IMPORT_RETURN,
        seller_code=original.seller_code,
        reference=order_no,
        declaration_id=original.declaration_id,
        tax_on=returned.returned_on,
        rule_set="CN-CBEC-RETAIL-RETURN-2020",
        is_refused=False,
        input_={"ebpCode": ebp_code, **_jsonable(returned)},
        result=result,
        tax_total=-original.tax_total if outcome.refunds_tax else ZERO,
    )
    return repository.add_assessment(session, row)


def _on_import_order_voided(session: Session, event: schemas.ImportOrderVoided) -> None:
    if event.returned is not None:
        settle_returned_import(session, event.ebp_code, event.order_no, event.returned)
    else:
        release_order(session, event.ebp_code, event.order_no)


events.subscribe(schemas.ImportOrderVoided, _on_import_order_voided)
