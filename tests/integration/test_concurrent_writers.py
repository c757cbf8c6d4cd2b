"""Two writers creating the same rows (two nodes of the bus, decision 0015), on SQLite and on
PostgreSQL: a product first seen on orders by both, and a price reference both add prices to.
The second writer read "missing" (or an old window) before the first committed; it must neither
fail nor lose the first writer's prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cbec.catalogue import repository as catalogue_repository
from cbec.catalogue.models import Product
from cbec.risk import repository as risk_repository
from cbec.risk.models import RiskPriceRef
from cbec.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

SELLER = "91330782MA2DEMN016"
KEY = ("sku", f"{SELLER}/MUG-1", "142", "export")


def _product(sku: str) -> dict[str, object]:
    return {"seller_code": SELLER, "sku": sku, "name_en": "ceramic mug", "hs_status": "none"}


def test_a_product_registered_by_two_writers_is_stored_once(settings) -> None:
    with UnitOfWork(settings) as first, UnitOfWork(settings) as second:
        # both saw the SKU missing; the first commits, then the second inserts the same
        assert catalogue_repository.existing_skus(second.session, SELLER, ["MUG-1"]) == set()
        assert catalogue_repository.insert_new_products(first.session, [_product("MUG-1")]) == 1
        first.commit()
        assert catalogue_repository.insert_new_products(second.session, [_product("MUG-1"), _product("MUG-2")]) == 1
        second.commit()
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(select(Product.sku, func.count()).group_by(Product.sku).order_by(Product.sku)).all()
    assert [tuple(r) for r in rows] == [("MUG-1", 1), ("MUG-2", 1)]


def test_prices_added_by_two_writers_are_all_kept(settings) -> None:
    with UnitOfWork(settings) as first, UnitOfWork(settings) as second:
        # the second writer read the references (none yet) before the first wrote its window
        assert risk_repository.price_refs(second.session, [KEY]) == {}
        risk_repository.lock_price_refs(first.session, [KEY])[KEY].prices = ["10.00", "11.00"]
        first.commit()
        row = risk_repository.lock_price_refs(second.session, [KEY])[KEY]
        assert row.prices == ["10.00", "11.00"]  # read fresh, under its lock: not the empty window
        row.prices = [*row.prices, "12.50"]
        second.commit()
    with UnitOfWork(settings) as uow:
        stored = uow.session.scalars(select(RiskPriceRef)).all()
    assert len(stored) == 1
    assert [Decimal(p) for p in stored[0].prices] == [Decimal("10.00"), Decimal("11.00"), Decimal("12.50")]
