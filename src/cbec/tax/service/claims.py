"""Export refund claims and returned-goods relief, assessed by the pure rules and stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from cbec.partners import service as partners
from cbec.tax import present
from cbec.tax.export_refund import ExportClaim, assess_export_refund
from cbec.tax.rates import tax_tables
from cbec.tax.return_relief import ReturnedGoods
from cbec.tax.return_relief import assess_return_relief as compute_return_relief
from cbec.tax.schemas import Recorded
from cbec.tax.service.common import REFUND, RETURN_RELIEF, _jsonable, _store


def assess_refund(
    session: Session,
    claim: ExportClaim,
    *,
    seller_code: str,
    record: bool = True,
    declaration_id: int | None = None,
    tables_dir: Path | None = None,
) -> Recorded:
    """Assess an export refund claim and store it (reference: the claim's period, else its date).

    Re-assessing a claim of the same reference stores a new assessment that replaces the earlier
    one in :func:`refund_report`.
    """
    if record:
        partners.get_enterprise(session, seller_code)
    assessment = assess_export_refund(claim, tax_tables(tables_dir))
    result = present.export_assessment_dict(assessment)
    if not record:
        return Recorded(None, False, assessment.refund_total, result)
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
    return Recorded(row.id, False, assessment.refund_total, result)


def assess_return_relief(
    session: Session,
    goods: ReturnedGoods,
    *,
    seller_code: str,
    record: bool = True,
    declaration_id: int | None = None,
    tables_dir: Path | None = None,
) -> Recorded:
    """Assess the relief of a return and store it (reference: the export list number;
    ``tax_total``: the taxes relieved)."""
    if record:
        partners.get_enterprise(session, seller_code)
    assessment = compute_return_relief(goods, tax_tables(tables_dir))
    result = present.return_assessment_dict(assessment)
    if not record:
        return Recorded(None, False, assessment.relieved_total, result)
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
    return Recorded(row.id, False, assessment.relieved_total, result)
