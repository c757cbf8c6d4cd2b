"""What every tax use case shares: the kinds of assessment, exact text of amounts, and the one
constructor of a stored assessment row."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from cbec.tax import repository
from cbec.tax.models import TaxAssessment

IMPORT, REFUND, RETURN_RELIEF = "import", "refund", "return_relief"
IMPORT_RETURN = "import_return"  # a returned retail import settled: its tax refunded or not
ZERO = Decimal(0)


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
