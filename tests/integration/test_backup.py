"""Backup and restore on SQLite and PostgreSQL: a platform that has imported, declared and heard
from customs comes back whole (every table's rows, every file), a backup taken while an import
runs is one consistent state, and a damaged archive is refused before anything is written."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.pool import NullPool

from cbec import pipeline
from cbec.backup import repository, service
from cbec.catalogue import service as catalogue
from cbec.config import Settings
from cbec.customs.keys import sandbox_key
from cbec.customs.models import Declaration
from cbec.errors import Conflict, InvalidInput
from cbec.intake.models import Document, InboxItem, IntakeRun
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, as_bytes, export_order, export_waybill, register_partners

pytestmark = pytest.mark.integration


def _engine(url: str):
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, poolclass=NullPool)


def table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and the sha256 of its rows in primary-key order."""
    engine = _engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            for table in sorted(insp.get_table_names()):
                columns = [c["name"] for c in insp.get_columns(table)]
                key = insp.get_pk_constraint(table)["constrained_columns"] or columns
                order = ", ".join(f'"{c}"' for c in key)
                rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')).all()
                digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
                out[table] = (len(rows), digest)
    finally:
        engine.dispose()
    return out


def file_digests(data_dir: Path) -> dict[str, str]:
    """Every file the platform keeps beside its database (the sandbox customs' own state aside)."""
    found = {}
    for folder in ("inbox", "messages/in", "messages/out", "messages/archive", "keys"):
        for path in sorted((data_dir / folder).rglob("*")):
            if path.is_file():
                found[path.relative_to(data_dir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def fresh_target(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest, name: str) -> Settings:
    """An empty data directory and, on PostgreSQL, an empty database beside the original."""
    data = tmp_path / name
    if settings.database_url.startswith("sqlite"):
        return Settings(data_dir=data, database_url=f"sqlite:///{data / 'cbec.db'}")
    return Settings(data_dir=data, database_url=request.getfixturevalue("postgres").create_database())


def _orders(prefix: str, n: int) -> bytes:
    docs = []
    for i in range(n):
        docs += [export_order(f"{prefix}{i:04d}"), export_waybill(f"{prefix}{i:04d}", logistics_no=f"LP{i:09d}CN")]
    return as_bytes(*docs)


@pytest.fixture
def busy(settings: Settings) -> tuple[Settings, object]:
    """A platform that imported, matched, declared, sent and heard from the sandbox customs, with
    receipts still waiting in ``messages/in`` and a signing key under ``keys/``."""
    from cbec.sandbox import SandboxCustoms

    register_partners(settings)
    sandbox_key(settings.data_dir / "keys", "backup test")
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    pipeline.import_bytes(settings, _orders("BK", 30), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "MUG-001", "6912001000")
        uow.commit()
    pipeline.import_bytes(settings, _orders("BL", 5), ctx, fmt="json")
    pipeline.declare(settings)
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=11)
    for _ in range(2):
        pipeline.work_once(settings)
        sandbox.step()
    pipeline.work_once(settings)
    sandbox.step()  # its receipts wait in messages/in
    assert any((settings.data_dir / "messages" / "in").iterdir())
    return settings, sandbox


def _statuses(settings: Settings) -> dict[str, str]:
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(select(Declaration.order_no, Declaration.message_type, Declaration.status))
        return {f"{o}/{m}": s for o, m, s in rows}


def test_a_restored_platform_holds_every_row_and_file_and_goes_on(busy, tmp_path, request) -> None:
    settings, _ = busy
    archive = tmp_path / "backup.tar.gz"
    report = service.back_up(settings, archive)
    assert report["database"] == repository.kind_of(settings.database_url)
    assert report["tables"]["document"] == 70 and report["tables"]["declaration"] > 0
    target = fresh_target(settings, tmp_path, request, "restored")
    restored = service.restore(target, archive)
    assert restored["tables"] == report["tables"] and restored["files"] == report["files"]
    assert table_digests(target.database_url) == table_digests(settings.database_url)
    assert file_digests(target.data_dir) == file_digests(settings.data_dir)
    key = target.data_dir / "keys" / "sandbox-signing-key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    # both apply the receipts that were waiting, and agree on every declaration
    pipeline.work_once(settings)
    pipeline.work_once(target)
    assert _statuses(target) == _statuses(settings)
    assert "received" in str(sorted((target.data_dir / "messages" / "archive").iterdir()))


def test_a_receipt_applied_after_the_database_copy_is_not_lost(busy, tmp_path, request, monkeypatch) -> None:
    """The live worker applies and archives the waiting receipts just after the backup copied the
    database: the backup puts them back among the waiting receipts, so the restored platform
    applies them and ends where the live one did."""
    settings, _ = busy
    waiting = sorted(p.name for p in (settings.data_dir / "messages" / "in").iterdir())
    copy = repository.snapshot_sqlite if settings.database_url.startswith("sqlite") else repository.dump_postgres
    name = copy.__name__

    def copy_then_work(url: str, target: Path):
        state = copy(url, target)
        assert pipeline.work_once(settings)["receipts"]["files"] > 0
        return state

    monkeypatch.setattr(repository, name, copy_then_work)
    archive = tmp_path / "backup.tar.gz"
    service.back_up(settings, archive)
    monkeypatch.undo()
    assert not any((settings.data_dir / "messages" / "in").iterdir())
    target = fresh_target(settings, tmp_path, request, "restored")
    service.restore(target, archive)
    assert sorted(p.name for p in (target.data_dir / "messages" / "in").iterdir()) == waiting
    assert _statuses(target) != _statuses(settings)  # the copy was taken before they were applied
    pipeline.work_once(target)
    assert _statuses(target) == _statuses(settings)


def test_a_backup_taken_during_an_import_is_one_consistent_state(settings, tmp_path, request) -> None:
    """Twelve submissions of 40 orders and waybills each are imported in another thread while
    backups are taken; each restored copy holds every submission whole or not at all, and every
    submission it holds has its blob."""
    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    submissions = 12
    done = threading.Event()
    failures: list[BaseException] = []

    def importer() -> None:
        try:
            for s in range(submissions):
                pipeline.import_bytes(settings, _orders(f"C{s:02d}-", 40), ctx, fmt="json")
        except BaseException as exc:
            failures.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=importer)
    thread.start()
    archives = []
    while not done.is_set() and len(archives) < 5:
        archive = tmp_path / f"during-{len(archives)}.tar.gz"
        service.back_up(settings, archive)
        archives.append((archive, done.is_set()))
        time.sleep(0.2)
    thread.join()
    assert not failures, failures
    assert any(not finished for _, finished in archives), "no backup overlapped the import"
    states = []
    for n, (archive, _) in enumerate(archives):
        target = fresh_target(settings, tmp_path, request, f"restored-{n}")
        service.restore(target, archive)  # checks the row counts against the manifest
        states.append(_check_whole_submissions(target))
    assert states == sorted(states) and states[-1] <= submissions  # each a later committed point


def _check_whole_submissions(target: Settings) -> int:
    with UnitOfWork(target) as uow:
        items = uow.session.execute(select(InboxItem.id, InboxItem.sha256, InboxItem.size)).all()
        read = set(uow.session.scalars(select(IntakeRun.inbox_id).where(IntakeRun.status == "done")))
        per_item = select(Document.inbox_id, func.count()).group_by(Document.inbox_id)
        docs = {item: n for item, n in uow.session.execute(per_item)}
        total = uow.session.scalar(select(Document.id).order_by(Document.id.desc()).limit(1))
    for item_id, digest, size in items:
        blob = target.inbox_dir / digest[:2] / digest
        assert blob.is_file() and blob.stat().st_size == size, f"inbox item {item_id} has no blob"
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == digest
        assert docs.get(item_id, 0) == (80 if item_id in read else 0), f"inbox item {item_id} is half there"
    assert sum(docs.values()) == 80 * len(read)
    assert (total is None) == (not read)
    return len(read)


def _repack(source: Path, target: Path, change: str) -> str:
    """A copy of the archive with one byte changed in the first member whose name starts with
    ``change``, its manifest untouched; returns that member's name."""
    changed = ""
    with tarfile.open(source, "r:gz") as tin, tarfile.open(target, "w:gz") as tout:
        for member in tin:
            data = tin.extractfile(member).read()
            if not changed and member.name.startswith(change):
                data = bytes([data[0] ^ 0x01]) + data[1:]
                changed = member.name
            tout.addfile(member, io.BytesIO(data))
    return changed


def _nothing_written(target: Settings) -> None:
    assert not target.data_dir.exists()
    if not target.database_url.startswith("sqlite"):
        assert repository.state_of(target.database_url).tables == {}


def test_a_damaged_archive_is_refused_before_anything_is_written(busy, tmp_path, request) -> None:
    settings, _ = busy
    archive = tmp_path / "backup.tar.gz"
    service.back_up(settings, archive)
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one byte of the compressed stream
    flipped = tmp_path / "flipped.tar.gz"
    flipped.write_bytes(bytes(raw))
    target = fresh_target(settings, tmp_path, request, "restored")
    with pytest.raises(InvalidInput) as damaged:
        service.restore(target, flipped)
    # a byte in a compressed block breaks the stream; one in a stored block (the dump does not
    # compress) reads on, and the member's sha256 catches it
    message = damaged.value.message_en
    assert damaged.value.field == "file"
    assert "flipped.tar.gz is damaged" in message or "does not match the manifest" in message, message
    for offset in range(1000, len(raw), max(1, len(raw) // 25)):  # wherever the byte is
        other = bytearray(archive.read_bytes())
        other[offset] ^= 0x20
        flipped.write_bytes(bytes(other))
        with pytest.raises(InvalidInput):
            service.restore(target, flipped)
    _nothing_written(target)

    changed = tmp_path / "changed.tar.gz"
    name = _repack(archive, changed, "data/inbox/")
    with pytest.raises(InvalidInput) as mismatch:
        service.restore(target, changed)
    assert name in mismatch.value.message_en and name in mismatch.value.message_zh
    assert "sha256" in mismatch.value.message_en
    _nothing_written(target)

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(gzip.compress(gzip.decompress(archive.read_bytes())[:-20_000]))
    with pytest.raises(InvalidInput):
        service.restore(target, truncated)
    _nothing_written(target)


def test_backup_and_restore_refuse_what_they_would_overwrite(busy, tmp_path, request) -> None:
    settings, _ = busy
    archive = tmp_path / "backup.tar.gz"
    archive.write_bytes(b"precious")
    with pytest.raises(Conflict) as exists:
        service.back_up(settings, archive)
    assert exists.value.field == "out" and "--force" in exists.value.message_en
    assert archive.read_bytes() == b"precious"
    service.back_up(settings, archive, force=True)
    assert tarfile.is_tarfile(archive)
    with pytest.raises(Conflict) as not_empty:
        service.restore(settings, archive)  # the live data directory
    assert not_empty.value.field == "data_dir" and str(settings.data_dir) in not_empty.value.message_en
    if not settings.database_url.startswith("sqlite"):
        occupied = Settings(data_dir=tmp_path / "empty", database_url=settings.database_url)
        with pytest.raises(Conflict) as has_tables:
            service.restore(occupied, archive)
        assert has_tables.value.field == "database_url" and "not empty" in has_tables.value.message_en
        assert not occupied.data_dir.exists()


def _older_platform(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """A platform whose database stopped at migration 0010 (before the finance tables)."""
    from alembic import command

    from cbec.db import alembic_config, engine_for

    older = fresh_target(settings, tmp_path, request, "older")
    older.data_dir.mkdir(parents=True)
    cfg = alembic_config(older.database_url)
    with engine_for(older.database_url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
    return older


def test_an_older_backup_is_restored_and_migrated_to_head(settings, tmp_path, request) -> None:
    older = _older_platform(settings, tmp_path, request)
    archive = tmp_path / "older.tar.gz"
    made = service.back_up(older, archive)
    assert made["alembic_revision"] == "0010" and "settlement" not in made["tables"]
    target = fresh_target(settings, tmp_path, request, "restored")
    restored = service.restore(target, archive)
    head = repository.state_of(settings.database_url)
    assert restored["migrated_to"] == head.alembic_revision != "0010"
    assert set(repository.state_of(target.database_url).tables) == set(head.tables)


def test_a_backup_of_a_newer_schema_is_refused_before_anything_is_written(busy, tmp_path, request) -> None:
    settings, _ = busy
    archive = tmp_path / "backup.tar.gz"
    service.back_up(settings, archive)
    future = tmp_path / "future.tar.gz"
    with tarfile.open(archive, "r:gz") as tin, tarfile.open(future, "w:gz") as tout:
        for member in tin:
            data = tin.extractfile(member).read()
            if member.name == "manifest.json":
                data = data.replace(b'"alembic_revision": "', b'"alembic_revision": "9999-')
                member.size = len(data)
            tout.addfile(member, io.BytesIO(data))
    target = fresh_target(settings, tmp_path, request, "restored")
    with pytest.raises(InvalidInput) as newer:
        service.restore(target, future)
    assert newer.value.field == "file" and "newer than this cbec" in newer.value.message_en
    _nothing_written(target)
