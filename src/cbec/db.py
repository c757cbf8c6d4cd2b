"""Engine creation and migrations. SQLite (WAL) by default; PostgreSQL through psycopg 3."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if u.drivername == "postgresql":
        url = str(u.set(drivername="postgresql+psycopg"))
    # Plans from the values of each execution, never a generic plan cached per connection: our
    # statements look rows up by lists of keys in tables that grow by the hundred thousand during
    # a bulk load, and a generic plan made while a table was small kept scanning it whole
    # (0.5–0.9 s a lookup at 180,000 documents, bench/bus.py, 2026-12-05). Planning each batch
    # statement again costs well under a millisecond.
    connect_args = {"options": "-c plan_cache_mode=force_custom_plan", **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def alembic_config(url: str) -> Any:
    # Alembic (with Mako and Pygments: ~0.4 s, ~25 MB) loads for a migration only, not in every
    # process that opens a database
    from alembic.config import Config  # noqa: PLC0415

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("cbec").joinpath("migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic upgrade head)."""
    from alembic import command  # noqa: PLC0415 - see alembic_config

    engine = engine_for(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def is_known_revision(url: str, revision: str | None) -> bool:
    """Whether this cbec's migrations know ``revision`` (None: a database never migrated)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see alembic_config

    if revision is None:
        return True
    script = ScriptDirectory.from_config(alembic_config(url))
    return revision in {r.revision for r in script.walk_revisions()}


def insert_missing(session: Session, model: type[Any], rows: list[dict[str, Any]], keys: list[str]) -> int:
    """INSERT … ON CONFLICT (keys) DO NOTHING, on PostgreSQL and SQLite alike: rows another
    writer (a node of the bus, decision 0015) stored first are left as they are, not an error.
    Returns how many were inserted (RETURNING gives back the inserted rows only)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = inspect(model).primary_key[0]
    stmt = insert_of(model).on_conflict_do_nothing(index_elements=keys).returning(key)
    return sum(len(session.execute(stmt, rows[i : i + 1000]).all()) for i in range(0, len(rows), 1000))
