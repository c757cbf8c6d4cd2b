"""Typed contracts of the credit area: the record an enterprise, the operator and the regulator
read, the grade a partner queries, an objection and its answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from cbec.kit.read import Timestamp


class ContributionRead(BaseModel):
    dimension: str
    dimension_zh: str
    factor: str
    value: Decimal | None
    score: Decimal
    weight: Decimal
    points: Decimal
    source: str


class OverrideRead(BaseModel):
    message_zh: str
    message_en: str


class GradeRead(BaseModel):
    id: int
    enterprise_code: str
    as_of: date
    score: Decimal
    computed_grade: str
    grade: str
    dishonest: bool
    customs_tier: str | None
    contributions: list[ContributionRead]
    overrides: list[OverrideRead]
    created_at: Timestamp | None


class FactRead(BaseModel):
    id: int
    enterprise_code: str
    name: str
    kind: str
    value: str
    valid_from: date
    valid_until: date | None
    active: bool
    source: str
    source_date: date
    imported_by: str


class EventRead(BaseModel):
    """A month of the enterprise's own history on the platform, by kind of event."""

    month: str
    kind: str
    count: int


class ObjectionRead(BaseModel):
    id: int
    enterprise_code: str
    grade_id: int | None
    text: str
    filed_by: str
    filed_at: Timestamp | None
    status: str
    answer: str
    answered_by: str
    answered_at: Timestamp | None


class CreditRecordRead(BaseModel):
    """An enterprise's credit record: its current grade with every contribution, the history of
    its grades, the imported facts, its own dated events and its objections."""

    enterprise_code: str
    name: str
    current: GradeRead
    grades: list[GradeRead]
    facts: list[FactRead]
    events: list[EventRead]
    objections: list[ObjectionRead]


class CreditQueryRead(BaseModel):
    """What a partner sees: the current grade and its date, nothing else."""

    enterprise_code: str
    grade: str
    as_of: date
    dishonest: bool
    customs_tier: str | None


class ListImportRead(BaseModel):
    rows: int
    imported: int
    enterprises: list[str]
    source: str
    source_date: date
    kind: str


class ObjectionCreate(BaseModel):
    text: str


class ObjectionAnswer(BaseModel):
    status: str  # upheld | rejected
    answer: str
