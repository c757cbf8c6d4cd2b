"""A generated load goes through intake and 三单对碰 as its manifest says, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from cbec import pipeline
from cbec.cli.generate import generate as generate_command
from cbec.config import Settings
from cbec.customs.models import Declaration
from cbec.generate.rules import ExportOutcome, GenerateOptions, ImportOutcome
from cbec.generate.service import generate
from cbec.matching import service as matching
from cbec.matching.models import MatchResult
from cbec.tax.models import BuyerLedgerEntry, TaxAssessment
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, register_partners

pytestmark = pytest.mark.integration

#: Shares far above the defaults, so that 200 orders hold every kind of case (seed 13 has them all).
OPTIONS = GenerateOptions(
    orders=200,
    seed=13,
    mismatch_share=0.12,
    invalid_share=0.04,
    over_quota_share=0.2,
    split_share=0.1,
    marketplace_share=0.3,
)


def _import_all(settings, out: Path, manifest: dict) -> list[dict]:
    """Every file, in the manifest's order (orders before what refers to them), as partners send them."""
    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    return [
        pipeline.import_bytes(settings, (out / f["name"]).read_bytes(), ctx, filename=f["name"])
        for f in manifest["files"]
    ]


def _results(settings) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]]]:
    """Current matching results: states and reasons by kind (export/import)."""
    states: dict[str, Counter[str]] = {"export": Counter(), "import": Counter()}
    reasons: dict[str, Counter[str]] = {"export": Counter(), "import": Counter()}
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(MatchResult.kind, MatchResult.state, MatchResult.reason, func.count())
            .where(MatchResult.is_current.is_(True))
            .group_by(MatchResult.kind, MatchResult.state, MatchResult.reason)
        ).all()
    for kind, state, reason, n in rows:
        states[kind][state] += n
        if reason:
            reasons[kind][reason] += n
    return states, reasons


def test_every_generated_file_is_read_and_matched_as_the_manifest_expects(settings, tmp_path: Path) -> None:
    out = tmp_path / "load"
    manifest = generate(OPTIONS, out, batch_size=40)
    assert set(manifest["export"]["outcomes"]) == {o.value for o in ExportOutcome}
    assert set(manifest["import"]["outcomes"]) == {o.value for o in ImportOutcome}
    assert manifest["import"]["over_limit_buyers"] > 0 and manifest["import"]["split_purchases"] > 0
    assert manifest["export"]["marketplace_orders"] > 0 and manifest["documents"]["order_cancel"] > 0
    assert manifest["export"]["split_orders"] > manifest["export"]["split_purchases"] > 0  # purchases over 100 lines
    assert len(manifest["files"]) > 6  # the batch size split every stream into several files

    reports = _import_all(settings, out, manifest)

    assert all(r["status"] == "done" and not r["row_errors"] for r in reports), [r["row_errors"] for r in reports]
    assert sum(r["new"] for r in reports) == sum(manifest["documents"].values())  # nothing dropped or merged
    invalid = Counter()
    for r in reports:
        for d in r["invalid_documents"]:
            invalid[d["type"]] += 1
            # only the deliberately broken orders: their arithmetic, nothing else
            assert {e["code"] for e in d["errors"]} == {"arithmetic"}, d
    assert dict(invalid) == manifest["invalid_documents"]
    status = pipeline.status(settings)
    assert {t: v["valid"] + v["invalid"] for t, v in status["documents"].items()} == manifest["documents"]

    states, reasons = _results(settings)
    for kind in ("export", "import"):
        expected = manifest[kind]["expected_matching"]
        assert dict(states[kind]) == expected["by_state"], kind
        assert dict(reasons[kind]) == expected["by_reason"], kind
    assert "held" not in states["export"] and "held" not in states["import"]  # every SKU came with its code

    with UnitOfWork(settings) as uow:  # `cbec match` afterwards finds nothing new to match
        summary = matching.run_matching(uow.session)
        uow.commit()
    assert summary.by_state.get("matched", 0) == 0
    assert _results(settings) == (states, reasons)

    _every_matched_order_is_declared(settings, manifest)


def _every_matched_order_is_declared(settings: Settings, manifest: dict[str, Any]) -> None:
    """`cbec declare` takes every matched order, each with its set of messages — CEB303/505/603
    for an export, CEB311/411/511/621 for an import. None is refused (an export order has at most
    the 100 lines of CEB303, an import line is sold in its first legal unit, a cosmetics line
    carries its ml or g) but the imports of heavy buyers past the annual limit: the tax step
    refuses those (财关税〔2018〕49号), each with its buyer's ledger over 26,000 with it."""
    matched = {k: manifest[k]["expected_matching"]["by_state"]["matched"] for k in ("export", "import")}
    report = pipeline.declare(settings)
    with UnitOfWork(settings) as uow:
        refused = uow.session.execute(
            select(TaxAssessment.reference, TaxAssessment.result).where(TaxAssessment.is_refused.is_(True))
        ).all()
        ledger = {
            (row.ebp_code, row.order_no): (row.id_number, row.amount)
            for row in uow.session.scalars(select(BuyerLedgerEntry))
        }
    over = {reference for reference, result in refused if result["error"]["details"][0]["code"] == "annual_limit"}
    assert 0 < len(refused) == len(over) == report["refused"] <= manifest["import"]["orders_beyond_limit"], json.dumps(
        report["refused_examples"][:2], ensure_ascii=False, indent=1
    )
    for _reference, result in refused:  # what the buyer had used, as the ledger now has it, plus the order
        limits = result["limits"]
        assert Decimal(limits["afterOrder"]) > Decimal(26000) >= Decimal(limits["priorPurchases"])
    assert len(ledger) == matched["import"] - len(over)  # the declared imports, each counted once
    assert report["orders"] == sum(matched.values()) and report["already_declared"] == 0
    assert report["declared"]["CEB603"] == matched["export"]  # one list an order: none over 100 lines
    assert report["declared"]["CEB621"] == matched["import"] - len(over)
    matched = {"export": matched["export"], "import": matched["import"] - len(over)}
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(Declaration.direction, Declaration.order_no, Declaration.message_type, Declaration.logistics_no)
        ).all()
    messages: dict[tuple[str, str], set[str]] = {}
    parcels: dict[str, set[str]] = {}
    for direction, order_no, message, logistics_no in rows:
        messages.setdefault((direction, order_no), set()).add(message)
        parcels.setdefault(order_no, set()).add(logistics_no)
    by_direction = Counter(direction for direction, _ in messages)
    assert dict(by_direction) == matched
    sets = {direction: {frozenset(m) for (d, _), m in messages.items() if d == direction} for direction in matched}
    assert sets == {
        "export": {frozenset({"CEB303", "CEB505", "CEB603"})},
        "import": {frozenset({"CEB311", "CEB411", "CEB511", "CEB621"})},
    }
    # the orders of a split export purchase are declared each on its own, with its own waybill
    split = [no for d, no in messages if d == "export" and "-S" in no]
    assert len(split) >= 2 and all(len(parcels[no]) == 1 for no in split)
    assert len({n for no in split for n in parcels[no]}) == len(split)
    again = pipeline.declare(settings)  # declaring again adds nothing and assesses nothing again
    assert again["already_declared"] == report["orders"] - len(over) and again["held"] == len(over)
    assert again["declared"] == {} and again["refused"] == 0


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = generate(OPTIONS, tmp_path / "a", batch_size=50)
    generate(OPTIONS, tmp_path / "b", batch_size=50)
    generate(replace(OPTIONS, seed=8), tmp_path / "c", batch_size=50)
    names = [f["name"] for f in first["files"]] + ["manifest.json"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "export-orders-00001.json").read_bytes() != (
        tmp_path / "c" / "export-orders-00001.json"
    ).read_bytes()


def test_the_command_writes_the_files_and_refuses_to_mix_runs(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(generate_command)
    out = tmp_path / "load"
    args = ["--orders", "40", "--seed", "3", "--out", str(out), "--marketplace", "--json"]

    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout)
    assert result["orders"] == 40 and (out / "manifest.json").exists()
    assert {f["name"] for f in result["files"]} <= {p.name for p in out.iterdir()}

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1 and "--force" in again.stdout
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == 0
