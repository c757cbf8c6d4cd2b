"""The read side of assessments, scoped to the caller."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cbec.accounts.rules import mask_personal
from cbec.errors import NotFound
from cbec.kit.paging import PageRequest
from cbec.tax import repository
from cbec.tax.models import TaxAssessment
from cbec.tax.schemas import AssessmentPage, AssessmentRead, ExplanationRead
from cbec.tax.service.common import _fen
from cbec.tax.service.explain import explain

# --- read side -------------------------------------------------------------------------------


def assessment_read(row: TaxAssessment) -> AssessmentRead:
    """The headline of a stored assessment; ``explain`` gives the whole basis."""
    return AssessmentRead.model_validate(
        {
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
    )


def list_assessments(
    session: Session,
    scope: frozenset[str] | None,
    req: PageRequest,
    *,
    kind: str | None = None,
    reference: str | None = None,
) -> AssessmentPage:
    total, rows = repository.list_assessments(
        session, scope, kind=kind, reference=reference, offset=req.offset, limit=req.page_size
    )
    return AssessmentPage(
        items=[assessment_read(r) for r in rows],
        total=total,
        page=req.page,
        page_size=req.page_size,
        pages=max(1, -(-total // req.page_size)),
    )


def explain_scoped(session: Session, scope: frozenset[str] | None, assessment_id: int) -> ExplanationRead:
    """``explain`` for a caller who may see only some enterprises' assessments; personal data
    in the stored input is masked."""
    row = repository.get_assessment(session, assessment_id)
    if row is None or (scope is not None and row.seller_code not in scope):
        raise NotFound(
            f"tax assessment {assessment_id} does not exist", f"税款计算记录 {assessment_id} 不存在", field="id"
        )
    return ExplanationRead.model_validate(mask_personal(explain(session, assessment_id).model_dump()))


def assessments_for_declaration(
    session: Session, seller_code: str, order_no: str, declaration_id: int
) -> list[AssessmentRead]:
    return [
        assessment_read(r) for r in repository.assessments_for_order(session, seller_code, order_no, declaration_id)
    ]
