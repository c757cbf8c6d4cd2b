"""The catalogue's typed reads and inputs: a SKU as the seller sees it, a page of them with the
counts by state, a filter, what an import or a bulk decision did, a search hit in HS2022."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from cbec.errors import FieldError


class ProductRead(BaseModel):
    seller_code: str
    sku: str
    name_en: str
    name_zh: str
    hs_code: str | None
    hs_status: str  # none | suggested | confirmed | corrected (catalogue.rules.HsState)
    hs_score: str | None
    hs_matched_words: list[str]
    hs_candidates: list[dict[str, object]]
    unit1: str | None
    unit2: str | None
    origin_country: str | None
    confirmed_by: str | None = None
    #: the code the platform suggested (the first candidate), for "corrected" to be seen against
    suggested_code: str | None = None
    #: orders that wait on this SKU's code being confirmed (filled by the caller that knows)
    waiting_orders: int = 0


class ProductPage(BaseModel):
    items: list[ProductRead]
    total: int
    page: int
    page_size: int
    pages: int
    counts: dict[str, int]  # by state, the seller's whole catalogue
    orders_waiting: int = 0


@dataclass(frozen=True, slots=True)
class ProductFilter:
    """Which SKUs: a state ("unconfirmed" = none or suggested), a score range, words of the SKU
    or its names, and optionally only some SKUs (e.g. those orders wait on)."""

    state: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    q: str = ""
    only_skus: frozenset[str] | None = None


class DecisionRead(BaseModel):
    """What a confirmation or correction did: the SKUs now declarable, and the orders released."""

    confirmed: list[str]
    corrected: list[str] = []
    skipped: list[str] = []  # asked for but without a code to confirm
    rematched: int = 0
    released: int = 0  # matched now, ready to declare
    still_waiting: int = 0


class CatalogueImportRead(BaseModel):
    """A catalogue file taken in: rows read, SKUs created and updated, and each row refused."""

    document: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[FieldError]
    rematched: int = 0
    released: int = 0


class HsHit(BaseModel):
    """One HS2022 subheading found for words (Chinese or English)."""

    hs6: str
    cn_code: str
    heading: str
    description: str
    score: float
    matched_words: list[str]


@dataclass(frozen=True, slots=True)
class DeclarableProduct:
    """A SKU whose HS code the seller confirmed, as a declaration uses it (商品备案)."""

    sku: str
    hs_code: str
    name: str
    unit1: str | None
    unit2: str | None
    origin_country: str | None
