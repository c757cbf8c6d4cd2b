"""Test fixtures: settings under a temporary data directory, and the databases to run on.

Integration tests take the ``database_url`` fixture and run twice: on a SQLite file and on a
real PostgreSQL cluster that this file starts (``initdb`` + ``pg_ctl``, Debian's packages) on a
free local port in a temporary folder, and stops and removes at the end of the session. When
PostgreSQL is not installed the PostgreSQL runs are skipped, unless ``CBEC_REQUIRE_POSTGRES=1``
(set by ``make test`` and CI), where its absence is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cbec.config import Settings, get_settings, reset_settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ONLINE_RETAIL = SHARED / "data" / "online-retail.parquet"
DATA = Path(__file__).resolve().parent / "data"


def _require_postgres() -> bool:
    return os.environ.get("CBEC_REQUIRE_POSTGRES", "") not in ("", "0", "false")


def _pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    """A throwaway PostgreSQL cluster owned by this test session."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="cbec-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres user
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.user = "postgres" if self.as_user else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8", "--no-sync"
        )
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster | None]:
    bindir = _pg_bindir()
    if bindir is None:
        if _require_postgres():
            pytest.fail("PostgreSQL is required (CBEC_REQUIRE_POSTGRES=1) but initdb was not found")
        yield None
        return
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        cluster.stop()
        pytest.fail(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}")
    yield cluster
    cluster.stop()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory, set through CBEC_DATA_DIR as a user would."""
    directory = tmp_path / "cbec-data"
    monkeypatch.setenv("CBEC_DATA_DIR", str(directory))
    monkeypatch.delenv("CBEC_DATABASE_URL", raising=False)
    reset_settings()
    yield directory
    reset_settings()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, then a PostgreSQL database."""
    from cbec.db import migrate

    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'cbec.db'}"
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        cluster: PostgresCluster | None = request.getfixturevalue("postgres")
        if cluster is None:
            pytest.skip(
                "PostgreSQL is not installed (apt install postgresql); set CBEC_REQUIRE_POSTGRES=1 to fail instead"
            )
        url = cluster.create_database()
    monkeypatch.setenv("CBEC_DATABASE_URL", url)
    reset_settings()
    migrate(url)
    yield url
    reset_settings()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def online_retail_bytes() -> bytes:
    if not ONLINE_RETAIL.exists():
        pytest.fail(f"the Online Retail data set is expected at {ONLINE_RETAIL} (../shared beside the checkout)")
    return ONLINE_RETAIL.read_bytes()
