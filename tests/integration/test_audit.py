"""The audit trail (issue 21, part 2): every change a person or a partner makes appends an entry
chained to the one before; ``verify`` recomputes the chain, and changing, removing or reordering a
row in the database is found and named."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, text, update

from cbec import pipeline
from cbec.audit import service as audit
from cbec.audit.models import AuditEntry
from cbec.audit.rules import Actor
from cbec.catalogue import service as catalogue
from cbec.matching import service as matching
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, as_bytes, export_order, export_waybill, register_partners

pytestmark = pytest.mark.integration


def _trail(settings) -> list[AuditEntry]:
    with UnitOfWork(settings) as uow:
        rows = list(uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        uow.session.expunge_all()
        return rows


def test_changes_are_chained_with_who_and_from_where_and_tampering_is_named(settings) -> None:
    register_partners(settings)
    clerk = Actor("user", "alice", SELLER.code, "203.0.113.7")
    with audit.acting_as(clerk):
        ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
        pipeline.import_bytes(settings, as_bytes(export_order("SO-AU-1"), export_waybill("SO-AU-1")), ctx, fmt="json")
        with UnitOfWork(settings) as uow:
            catalogue.confirm_code(uow.session, SELLER.code, "MUG-001", "6912001000", by="alice")
            matching.run_matching(uow.session)
            uow.commit()
        pipeline.declare(settings)
    trail = _trail(settings)
    actions = [e.action for e in trail]
    assert actions[:4] == ["enterprise.register"] * 4  # the partners, registered by the platform itself
    assert {"submission", "catalogue.decide", "declare"} <= set(actions)
    submission = next(e for e in trail if e.action == "submission")
    assert (submission.actor_kind, submission.actor, submission.enterprise_code, submission.origin) == (
        "user", "alice", SELLER.code, "203.0.113.7",
    )  # fmt: skip
    assert submission.detail["format"] == "json" and len(submission.detail["sha256"]) == 64
    declared = next(e for e in trail if e.action == "declare")
    assert declared.detail["declared"]["CEB603"] == 1
    assert trail[0].prev_hash == "0" * 64 and all(b.prev_hash == a.hash for a, b in itertools.pairwise(trail))
    with UnitOfWork(settings) as uow:
        ok = audit.verify(uow.session)
    assert ok.intact and ok.entries == len(trail)

    # someone with database access rewrites who declared: the entry is named
    with UnitOfWork(settings) as uow:
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == declared.id).values(actor="mallory"))
        uow.commit()
    with UnitOfWork(settings) as uow:
        broken = audit.verify(uow.session)
    assert not broken.intact and broken.broken_at == declared.id and "changed" in broken.message_en
    with UnitOfWork(settings) as uow:  # put it back, then remove an entry instead
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == declared.id).values(actor="alice"))
        uow.session.execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": submission.id})
        uow.commit()
    with UnitOfWork(settings) as uow:
        gone = audit.verify(uow.session)
    assert not gone.intact and gone.broken_at == submission.id + 1 and "removed" in gone.message_en


def test_the_cli_verifies_and_names_a_broken_chain(settings) -> None:
    from typer.testing import CliRunner

    from cbec.cli.main import app

    register_partners(settings)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--json"])
    assert ok.exit_code == 0, ok.output
    assert '"intact": true' in ok.output.replace(": true", ": true")
    with UnitOfWork(settings) as uow:
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == 2).values(target="enterprise:forged"))
        uow.commit()
    bad = runner.invoke(app, ["audit", "verify", "--json"])
    assert bad.exit_code == 1 and "entry 2" in bad.output and "第 2 条" in bad.output
    listed = runner.invoke(app, ["audit", "list", "--json", "--action", "enterprise.register"])
    assert listed.exit_code == 0 and '"total": 4' in listed.output  # seller, platform, logistics, payer
