"""Two writers creating the same rows (two nodes of the bus, decision 0015), on SQLite and on
PostgreSQL: a product first seen on orders by both, and a price reference both add prices to.
The second writer read "missing" (or an old window) before the first committed; it must neither
fail nor lose the first writer's prices. Two writers matching the same order at once leave one
current result: the second fails and its step is retried."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from cbec.catalogue import repository as catalogue_repository
from cbec.catalogue.models import Product
from cbec.config import Settings
from cbec.db import alembic_config, engine_for
from cbec.intake.models import Document, InboxItem
from cbec.matching import repository as matching_repository
from cbec.matching.models import MatchResult
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


ORDER = "ebpCode=91330782MA2DEMP02Y|orderNo=SO-RACE-1"


def _order_doc(settings: Settings) -> int:
    """An order document the results point to (the foreign key wants one)."""
    with UnitOfWork(settings) as uow:
        inbox = uow.session.execute(
            insert(InboxItem).returning(InboxItem.id),
            [{"sender_code": SELLER, "seller_code": SELLER, "format": "json", "sha256": "0" * 64, "size": 2}],
        ).scalar_one()
        doc = uow.session.execute(
            insert(Document).returning(Document.id),
            [{
                "doc_type": "export_order", "doc_key": ORDER, "is_valid": True, "content_sha256": "0" * 64,
                "inbox_id": inbox, "seller_code": SELLER, "sender_code": SELLER, "order_no": "SO-RACE-1",
                "head": {}, "lines": [],
            }],
        ).scalar_one()  # fmt: skip
        uow.commit()
    return int(doc)


def _result(state: str, order_doc_id: int) -> dict[str, Any]:
    return {
        "kind": "export", "order_key": ORDER, "seller_code": SELLER, "order_doc_id": order_doc_id, "state": state,
        "reason": "", "rules": [], "is_current": True, "created_at": datetime(2026, 12, 6, tzinfo=UTC),
    }  # fmt: skip


def _current(settings: Settings) -> list[str]:
    with UnitOfWork(settings) as uow:
        return list(uow.session.scalars(select(MatchResult.state).where(MatchResult.is_current.is_(True))))


def test_two_writers_matching_one_order_leave_one_current_result(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: the second starts after the first committed")
    doc = _order_doc(settings)
    with UnitOfWork(settings) as uow:
        matching_repository.replace_results(uow.session, [ORDER], [_result("waiting", doc)])
        uow.commit()
    failed: list[BaseException] = []

    def second() -> None:
        try:
            with UnitOfWork(settings) as uow:
                matching_repository.replace_results(uow.session, [ORDER], [_result("matched", doc)])
                uow.commit()
        except IntegrityError as exc:
            failed.append(exc)

    with UnitOfWork(settings) as first:
        matching_repository.replace_results(first.session, [ORDER], [_result("matched", doc)])
        other = threading.Thread(target=second)
        other.start()
        _until_a_writer_waits_on_a_lock(settings)  # the second, on the row the first marked
        assert other.is_alive()
        first.commit()
    other.join(30)
    assert _current(settings) == ["matched"]
    assert len(failed) == 1  # refused, not a second current result: its step is delivered again


def _until_a_writer_waits_on_a_lock(settings: Settings, timeout: float = 30.0) -> None:
    """Until another session of this database waits on a row lock (a thread that has not reached
    its UPDATE yet would run after the first commit and see its row: no race at all)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    with engine_for(settings.database_url).connect() as conn:
        while not conn.execute(waiting).scalar():
            assert time.monotonic() < deadline, "the second writer never waited on the first"
            time.sleep(0.05)


def test_the_migration_keeps_the_newest_of_several_current_results(settings: Settings) -> None:
    doc = _order_doc(settings)
    cfg = alembic_config(settings.database_url)
    engine = engine_for(settings.database_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0019")
        conn.execute(insert(MatchResult.__table__), [_result(s, doc) for s in ("waiting", "matched", "matched")])
        command.upgrade(cfg, "head")
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(select(MatchResult.id, MatchResult.is_current).order_by(MatchResult.id)).all()
    assert [current for _, current in rows] == [False, False, True]
    with pytest.raises(IntegrityError), UnitOfWork(settings) as uow:
        uow.session.execute(insert(MatchResult), [_result("matched", doc)])
        uow.session.flush()
