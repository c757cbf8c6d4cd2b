from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Float, cast, func, insert, or_, select
from sqlalchemy.orm import Session

from cbec.catalogue.models import Product
from cbec.catalogue.rules import DECLARABLE, UNCONFIRMED
from cbec.catalogue.schemas import ProductFilter
from cbec.db import insert_missing
from cbec.kit.chunks import in_chunks


def existing_skus(session: Session, seller_code: str, skus: Iterable[str]) -> set[str]:
    vals = sorted(set(skus))
    found: set[str] = set()
    for i in range(0, len(vals), 500):
        found.update(
            session.scalars(
                select(Product.sku).where(Product.seller_code == seller_code, Product.sku.in_(vals[i : i + 500]))
            )
        )
    return found


def insert_products(session: Session, rows: list[dict[str, object]]) -> None:
    for i in range(0, len(rows), 1000):
        session.execute(insert(Product), rows[i : i + 1000])


def insert_new_products(session: Session, rows: list[dict[str, object]]) -> int:
    """Products first seen on orders: one another writer (a node of the bus) registered at the
    same moment is kept, not an error. How many were new."""
    return insert_missing(session, Product, rows, ["seller_code", "sku"])


def get(session: Session, seller_code: str, sku: str) -> Product | None:
    return session.scalars(select(Product).where(Product.seller_code == seller_code, Product.sku == sku)).one_or_none()


def list_products(
    session: Session, seller_code: str, *, status: str | None = None, limit: int | None = None
) -> Sequence[Product]:
    stmt = select(Product).where(Product.seller_code == seller_code)
    if status:
        stmt = stmt.where(Product.hs_status == status)
    stmt = stmt.order_by(Product.sku)
    if limit:
        stmt = stmt.limit(limit)
    return session.scalars(stmt).all()


def status_counts(session: Session, seller_code: str | None = None) -> dict[str, int]:
    stmt = select(Product.hs_status, func.count())
    if seller_code:
        stmt = stmt.where(Product.seller_code == seller_code)
    return {status: int(n) for status, n in session.execute(stmt.group_by(Product.hs_status))}


def confirmed(session: Session, seller_code: str, skus: Iterable[str]) -> list[Product]:
    """The seller's products among ``skus`` whose HS code is confirmed or corrected."""
    out: list[Product] = []
    for chunk in in_chunks(skus):
        out.extend(
            session.scalars(
                select(Product).where(
                    Product.seller_code == seller_code, Product.sku.in_(chunk), Product.hs_status.in_(DECLARABLE)
                )
            )
        )
    return out


def filtered(session: Session, seller_code: str, flt: ProductFilter) -> list[tuple[str, str, float | None]]:
    """(sku, state, score) of the seller's products the filter selects, by SKU."""
    score = cast(Product.hs_score, Float)
    stmt = select(Product.sku, Product.hs_status, score).where(Product.seller_code == seller_code)
    if flt.state == "unconfirmed":
        stmt = stmt.where(Product.hs_status.in_(UNCONFIRMED))
    elif flt.state:
        stmt = stmt.where(Product.hs_status == flt.state)
    if flt.min_score is not None:
        stmt = stmt.where(score >= flt.min_score)
    if flt.max_score is not None:
        stmt = stmt.where(score < flt.max_score)
    for word in flt.q.split()[:5]:
        like = f"%{word.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Product.sku).like(like),
                func.lower(Product.name_en).like(like),
                Product.name_zh.like(f"%{word}%"),
                Product.hs_code.like(f"{word}%"),
            )
        )
    rows = [
        (sku, state, None if s is None else float(s)) for sku, state, s in session.execute(stmt.order_by(Product.sku))
    ]
    if flt.only_skus is not None:
        rows = [r for r in rows if r[0] in flt.only_skus]
    return rows


def by_skus(session: Session, seller_code: str, skus: Iterable[str]) -> list[Product]:
    out: list[Product] = []
    for chunk in in_chunks(sorted(set(skus))):
        out.extend(session.scalars(select(Product).where(Product.seller_code == seller_code, Product.sku.in_(chunk))))
    return out


def confirmed_skus(session: Session, seller_codes: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each seller's SKUs whose code a declaration may use."""
    out: dict[str, set[str]] = {}
    stmt = select(Product.seller_code, Product.sku).where(
        Product.seller_code.in_(sorted(set(seller_codes))), Product.hs_status.in_(DECLARABLE)
    )
    for seller, sku in session.execute(stmt):
        out.setdefault(seller, set()).add(sku)
    return {k: frozenset(v) for k, v in out.items()}


def declarable_products(session: Session, seller_code: str) -> Sequence[Product]:
    """The seller's SKUs whose code is confirmed or corrected."""
    return session.scalars(
        select(Product).where(Product.seller_code == seller_code, Product.hs_status.in_(DECLARABLE))
    ).all()
