"""The lookups every batch makes go through an index on SQLite, not a walk of every current row.

SQLite keeps no statistics unless ANALYZE runs, and without them it chose the low-selectivity
``is_current`` indexes for these statements: at 640,000 documents each batch of the
end-to-end benchmark took twice as long as the first (bench/RESULTS.md, 2026-12-03). The plans
are checked on the statements the repositories actually send."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from cbec.db import engine_for
from cbec.intake import repository as intake_repo
from cbec.matching import repository as matching_repo
from cbec.sandbox import repository as sandbox_store
from cbec.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration


def _plans(settings, work) -> list[str]:
    engine = engine_for(settings.database_url)
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "UPDATE")):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with UnitOfWork(settings) as uow:
            work(uow.session)
            plans = [
                " ".join(str(r[-1]) for r in uow.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p))
                for s, p in sent
            ]
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return plans


def test_a_documents_current_version_and_an_orders_match_result_are_found_by_index(settings) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL plans from its statistics; this guards SQLite's choice")
    keys = [("export_order", f"EBP|SO{i}") for i in range(50)]
    plans = _plans(settings, lambda s: intake_repo.current_by_keys(s, keys))
    assert plans and all("ix_document_type_key_current" in p for p in plans), plans
    plans = _plans(settings, lambda s: matching_repo.replace_results(s, [f"EBP|SO{i}" for i in range(50)], []))
    assert plans and all("ix_match_result_order_key_current" in p for p in plans), plans


def test_the_sandbox_reads_its_open_walks_by_index() -> None:
    db = sqlite3.connect(":memory:")
    db.executescript(sandbox_store.SCHEMA)
    for query in (
        "SELECT * FROM walk WHERE open = 1 AND frozen = 0 AND born < 5 ORDER BY id",
        "SELECT count(*) FROM walk WHERE open = 1",
        "UPDATE walk SET open = 0 WHERE side = 'E' AND kind = 'list' AND doc_key = 'x'",
    ):
        plan = " ".join(str(r[-1]) for r in db.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "USING INDEX walk_open" in plan or "USING INDEX walk_doc" in plan, (query, plan)
