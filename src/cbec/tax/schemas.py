"""Tax's typed contracts: what another area hands it (an import order to assess, one voided),
what a request to the tax engine is once read, and the read models of stored assessments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from cbec.kit.read import Timestamp
from cbec.tax.import_tax import ImportOrder


@dataclass(frozen=True, slots=True)
class ImportRequest:
    order: ImportOrder
    prior_purchases: Decimal
    date_source: str  # "on" or "appTime"


@dataclass(frozen=True, slots=True)
class ImportToAssess:
    """A matched retail import order handed to tax by customs before it is declared: the order
    as the tax rules read it, and whose it is (the seller, the platform that keys the ledger)."""

    order: ImportOrder
    seller_code: str
    platform_code: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """An assessment as the tax service stored it: its row's id (None when not recorded), whether
    it was refused, the tax it comes to, and its result document (the JSON that is stored in
    ``tax_assessment.result`` and printed by ``cbec tax … --json``). Callers decide on the typed
    fields; the document is for display and export only."""

    assessment_id: int | None
    refused: bool
    tax_total: Decimal
    document: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The JSON body: the result document with its ``assessmentId``."""
        return {**self.document, "assessmentId": self.assessment_id}


@dataclass(frozen=True, slots=True)
class ImportOrderVoided:
    """An assessed import order that will not be bought after all: the declaration builder
    refused it, customs rejected its list, or the list was cancelled or its goods returned. It
    uses none of the buyer's annual quota (财关税〔2018〕49号 counts what a person bought); tax
    takes it out of the ledger (``ebp_code`` + ``order_no`` key the ledger entry)."""

    ebp_code: str
    order_no: str
    returned: ImportReturned | None = None  # set when the list's goods were returned (CEB625)


@dataclass(frozen=True, slots=True)
class ImportReturned:
    """The days that decide what a returned retail import gives back (海关总署公告2020年第45号:
    a return applied for within 30 days of the list's release). ``released_on`` is None when
    no release of the list was recorded."""

    released_on: date | None
    applied_on: date  # the return (CEB625) was sent
    returned_on: date  # customs accepted it


class AssessmentRead(BaseModel):
    """The headline of a stored assessment; its explanation gives the whole basis."""

    id: int
    kind: str
    seller_code: str
    reference: str
    declaration_id: int | None
    tax_on: str
    rule_set: str | None
    is_refused: bool
    tax_total: str
    reason: dict[str, Any] | None
    created_at: Timestamp


class AssessmentPage(BaseModel):
    items: list[AssessmentRead]
    total: int
    page: int
    page_size: int
    pages: int


class ReproducedRead(BaseModel):
    method: str
    matches: bool
    figures: list[dict[str, Any]]


class ExplanationRead(BaseModel):
    """A stored assessment's basis and its figures recomputed from the rates stored with it (the
    field names are the tax engine's JSON, as ``cbec tax explain`` prints them)."""

    kind: str
    assessmentId: int
    assessmentKind: str
    sellerCode: str
    reference: str
    declarationId: int | None
    on: str
    ruleSet: str | None
    refused: bool
    createdAt: str
    taxTotal: str
    reason: dict[str, Any] | None
    basis: dict[str, Any] | None
    reproduced: ReproducedRead
    result: dict[str, Any]
