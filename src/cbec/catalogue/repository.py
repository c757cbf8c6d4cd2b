from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cbec.catalogue.models import Product
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
    """The seller's products among ``skus`` whose HS code is confirmed."""
    out: list[Product] = []
    for chunk in in_chunks(skus):
        out.extend(
            session.scalars(
                select(Product).where(
                    Product.seller_code == seller_code, Product.sku.in_(chunk), Product.hs_status == "confirmed"
                )
            )
        )
    return out
