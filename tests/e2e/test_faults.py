"""Faults an operator will meet (issue 21, part 6): the database down, the database full, the disk
full. The API answers 503 with a clear error in both languages and a Retry-After, nothing of the
failed request stays half-written, and the same request succeeds once the fault clears."""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from cbec.config import Settings
from cbec.db import engine_for, migrate
from cbec.intake import blobs
from cbec.intake.models import Document, InboxItem
from cbec.partners import service as partners
from cbec.unit_of_work import UnitOfWork
from cbec.web.app import create_app
from tests.integration.helpers import PLATFORM, SELLER, export_order
from tests.pgcluster import PostgresCluster, pg_bindir

pytestmark = pytest.mark.e2e


def _world(settings: Settings) -> tuple[TestClient, str]:
    migrate(settings.database_url)
    with UnitOfWork(settings) as uow:
        for e in (SELLER, PLATFORM):
            partners.ensure_enterprise(uow.session, e)
        key = partners.issue_credential(uow.session, SELLER.code, label="faults").api_key
        uow.commit()
    return TestClient(create_app(settings), raise_server_exceptions=False), key


def _submit(client: TestClient, key: str, order_no: str) -> object:
    return client.post(
        "/api/v1/documents",
        params={"platform": PLATFORM.code},
        content=json.dumps([export_order(order_no)]).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )


def _counts(settings: Settings) -> tuple[int, int]:
    with UnitOfWork(settings) as uow:
        return (
            int(uow.session.scalar(select(func.count()).select_from(InboxItem)) or 0),
            int(uow.session.scalar(select(func.count()).select_from(Document)) or 0),
        )


def _unavailable(r: object) -> dict:  # type: ignore[type-arg]
    assert r.status_code == 503, r.text  # type: ignore[attr-defined]
    assert r.headers["Retry-After"] == "30"  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["error"] == "unavailable" and body["message_zh"] and "Traceback" not in r.text  # type: ignore[attr-defined]
    return body  # type: ignore[no-any-return]


def test_a_full_disk_keeps_nothing_and_the_same_request_succeeds_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url="")
    client, key = _world(settings)
    before = _counts(settings)

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blobs, "put", full)
    body = _unavailable(_submit(client, key, "SO-FULL-1"))
    assert body["field"] == "storage" and "storage is full" in body["message_en"]
    assert _counts(settings) == before  # no inbox item without its raw file, no document
    monkeypatch.undo()
    assert _submit(client, key, "SO-FULL-1").status_code == 201
    assert _counts(settings) == (before[0] + 1, before[1] + 1)


def test_a_full_database_rolls_back_and_recovers(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url="")
    client, key = _world(settings)
    before = _counts(settings)
    engine = engine_for(settings.database_url)

    def cap(dbapi_connection: object, record: object) -> None:  # SQLite cannot grow past its pages now
        cur = dbapi_connection.cursor()  # type: ignore[attr-defined]
        pages = cur.execute("PRAGMA page_count").fetchone()[0]
        cur.execute(f"PRAGMA max_page_count = {pages}")
        cur.close()

    event.listen(engine, "connect", cap)
    engine.dispose()
    try:
        big = [export_order(f"SO-DBFULL-{i}") for i in range(400)]
        r = client.post(
            "/api/v1/documents", params={"platform": PLATFORM.code}, content=json.dumps(big).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )  # fmt: skip
        body = _unavailable(r)
        assert body["field"] == "database" and "full" in body["message_en"]
    finally:
        event.remove(engine, "connect", cap)
        engine.dispose()
    after = _counts(settings)
    assert after[1] == before[1]  # not one of the 400 documents half-stored
    assert _submit(client, key, "SO-DBFULL-X").status_code == 201


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    bindir = pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed")
    cluster = PostgresCluster(bindir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_the_database_down_answers_503_and_work_resumes_when_it_is_back(
    tmp_path: Path, own_postgres: PostgresCluster
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=own_postgres.create_database())
    client, key = _world(settings)
    assert _submit(client, key, "SO-DOWN-0").status_code == 201
    own_postgres.pause()
    try:
        body = _unavailable(_submit(client, key, "SO-DOWN-1"))
        assert body["field"] == "database" and "cannot be reached" in body["message_en"]
        assert _unavailable(client.get("/api/v1/documents", headers={"Authorization": f"Bearer {key}"}))
    finally:
        own_postgres.resume()
    assert _submit(client, key, "SO-DOWN-1").status_code == 201
    with UnitOfWork(settings) as uow:
        numbers = set(uow.session.scalars(select(Document.order_no)))
    assert numbers == {"SO-DOWN-0", "SO-DOWN-1"}
