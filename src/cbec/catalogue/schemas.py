from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


class ProductRead(BaseModel):
    seller_code: str
    sku: str
    name_en: str
    name_zh: str
    hs_code: str | None
    hs_status: str
    hs_score: str | None
    hs_matched_words: list[str]
    hs_candidates: list[dict[str, object]]
    unit1: str | None
    unit2: str | None
    origin_country: str | None


@dataclass(frozen=True, slots=True)
class DeclarableProduct:
    """A SKU whose HS code the seller confirmed, as a declaration uses it (商品备案)."""

    sku: str
    hs_code: str
    name: str
    unit1: str | None
    unit2: str | None
    origin_country: str | None
