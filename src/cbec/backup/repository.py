"""The database side of a backup: a consistent copy of the database with what it held (each
table's row count, the Alembic revision) read from that same copy, and the copy put back.

SQLite is copied with its online backup API (``sqlite3.Connection.backup``), which reads one
consistent state while other processes go on writing (WAL mode). PostgreSQL is dumped with
``pg_dump`` (custom format) inside a snapshot exported by a repeatable-read transaction, and the
row counts are read in that same transaction, so the counts describe the dump exactly.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from cbec.errors import Conflict, InvalidInput

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class DatabaseState:
    kind: str
    alembic_revision: str | None
    tables: dict[str, int]


def kind_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in (SQLITE, POSTGRESQL):
        raise InvalidInput(
            f"cannot back up or restore a {backend} database (SQLite and PostgreSQL only)",
            f"不支持备份或恢复 {backend} 数据库（仅支持 SQLite 与 PostgreSQL）",
            field="database_url",
        )
    return backend


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InvalidInput(
            "an in-memory SQLite database cannot be backed up or restored",
            "内存中的 SQLite 数据库无法备份或恢复",
            field="database_url",
        )
    return Path(database)


def _state(conn: Connection, kind: str) -> DatabaseState:
    tables = sorted(inspect(conn).get_table_names())
    counts = {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables}  # noqa: S608 - names from the catalogue
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return DatabaseState(kind=kind, alembic_revision=revision, tables=counts)


def _sqlite_state(path: Path) -> DatabaseState:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return _state(conn, SQLITE)
    finally:
        engine.dispose()


def snapshot_sqlite(url: str, target: Path) -> DatabaseState:
    """Copy the live SQLite database into ``target`` (a standalone file, no WAL beside it)."""
    source_path = sqlite_file(url)
    if not source_path.is_file():
        raise InvalidInput(
            f"there is no database at {source_path}",
            f"{source_path} 处没有数据库",
            field="data_dir",
        )
    source = sqlite3.connect(source_path, timeout=30)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)  # every page in one step: one consistent read
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()
        source.close()
    return _sqlite_state(target)


def restore_sqlite(copy: Path, url: str) -> None:
    """Put a copy made by ``snapshot_sqlite`` in place as the database at ``url``."""
    target = sqlite_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(copy, target)


def pg_tool(name: str) -> Path:
    """A PostgreSQL client program: the newest Debian one, else the one on PATH."""
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    candidates.sort(key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0, reverse=True)
    if candidates:
        return Path(candidates[0])
    found = shutil.which(name)
    if found is None:
        raise InvalidInput(
            f"{name} was not found (install Debian's postgresql-client)",
            f"未找到 {name}（请安装 Debian 的 postgresql-client）",
            field="database_url",
        )
    return Path(found)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq reads it, and the environment carrying its password (never on the
    command line, where other users of the machine would see it)."""
    u: URL = make_url(url)
    env = dict(os.environ)
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_engine(url: str) -> Engine:
    u = make_url(url)
    if u.drivername == POSTGRESQL:
        u = u.set(drivername="postgresql+psycopg")
    return create_engine(u, poolclass=NullPool)


def _unreachable(url: str, exc: Exception) -> InvalidInput:
    shown = make_url(url).render_as_string(hide_password=True)
    return InvalidInput(
        f"cannot connect to the database {shown}: {exc}",
        f"无法连接数据库 {shown}：{exc}",
        field="database_url",
    )


def dump_postgres(url: str, target: Path) -> DatabaseState:
    engine = _pg_engine(url)
    dsn, env = _libpq(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            state = _state(conn, POSTGRESQL)
            _run(
                [str(pg_tool("pg_dump")), "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", f"--file={target}", f"--dbname={dsn}"],
                env,
            )  # fmt: skip
            conn.rollback()
    except OperationalError as exc:
        raise _unreachable(url, exc) from None
    finally:
        engine.dispose()
    return state


def restore_postgres(dump: Path, url: str) -> None:
    dsn, env = _libpq(url)
    _run(
        [str(pg_tool("pg_restore")), "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", f"--dbname={dsn}", str(dump)],
        env,
    )  # fmt: skip


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        program = Path(command[0]).name
        raise Conflict(
            f"{program} failed: {done.stderr.strip()[-2000:]}",
            f"{program} 执行失败：{done.stderr.strip()[-2000:]}",
            field="database_url",
        )


def state_of(url: str) -> DatabaseState:
    """What the database at ``url`` holds now."""
    if kind_of(url) == SQLITE:
        return _sqlite_state(sqlite_file(url))
    engine = _pg_engine(url)
    try:
        with engine.connect() as conn:
            return _state(conn, POSTGRESQL)
    except OperationalError as exc:
        raise _unreachable(url, exc) from None
    finally:
        engine.dispose()


def ensure_empty(url: str) -> None:
    """Refuse to restore over a database that holds anything."""
    if kind_of(url) == SQLITE:
        path = sqlite_file(url)
        if path.exists():
            raise Conflict(
                f"the database file {path} exists already: restore into an empty data directory",
                f"数据库文件 {path} 已存在：请恢复到空的数据目录",
                field="database_url",
            )
        return
    tables = state_of(url).tables
    if tables:
        shown = make_url(url).render_as_string(hide_password=True)
        raise Conflict(
            f"the database {shown} is not empty ({len(tables)} tables, e.g. {next(iter(tables))}): "
            "restore into an empty database",
            f"数据库 {shown} 不是空的（{len(tables)} 张表，如 {next(iter(tables))}）：请恢复到空数据库",
            field="database_url",
        )
