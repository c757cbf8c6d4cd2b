"""Test fixtures: settings under a temporary data directory, and the databases to run on.

Integration tests take the ``database_url`` fixture and run twice: on a SQLite file and on a
real PostgreSQL cluster that this file starts (``initdb`` + ``pg_ctl``, Debian's packages) on a
free local port in a temporary folder, and stops and removes at the end of the session. When
PostgreSQL is not installed the PostgreSQL runs are skipped, unless ``CBEC_REQUIRE_POSTGRES=1``
(set by ``make test`` and CI), where its absence is a failure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cbec.config import Settings, get_settings, reset_settings
from tests.pgcluster import PostgresCluster, pg_bindir

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ONLINE_RETAIL = SHARED / "data" / "online-retail.parquet"
DATA = Path(__file__).resolve().parent / "data"

# every customs message the tests build is validated against the official XSD, not a sample of
# them (Settings.xsd_sample); the CLI and worker processes the tests start inherit it
os.environ.setdefault("CBEC_STRICT_XSD", "1")


def _require_postgres() -> bool:
    return os.environ.get("CBEC_REQUIRE_POSTGRES", "") not in ("", "0", "false")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster | None]:
    bindir = pg_bindir()
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


# the fuzz suite's figures, printed by the controller at the end of a run (tests/fuzz/figures.py)
from tests.fuzz.figures import pytest_sessionstart, pytest_terminal_summary  # noqa: E402, F401
