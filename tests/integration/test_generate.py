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
from cbec.generate.basics import GenerateOptions
from cbec.generate.exports import ExportOutcome
from cbec.generate.imports import ImportOutcome
from cbec.generate.service import generate
from cbec.intake.models import Document
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


def test_risk_screening_holds_the_generated_split_purchases_over_the_single_limit(settings, tmp_path: Path) -> None:
    """Half of the purchases split into one order a warehouse (seed 4: 24 purchases, 3 of them
    over the 5,000 single limit together): declaring holds the matched orders of those purchases
    for review (化整为零, docs/risk.md) and nothing else; every other matched import is declared
    or refused by the tax step."""
    from cbec.risk.models import RiskHit

    out = tmp_path / "load"
    manifest = generate(replace(OPTIONS, seed=4, split_share=0.5), out, batch_size=40)
    assert manifest["import"]["split_over_single_limit"] == 3
    _import_all(settings, out, manifest)
    report = pipeline.declare(settings)
    with UnitOfWork(settings) as uow:
        hits = uow.session.execute(select(RiskHit.order_no, RiskHit.rule, RiskHit.detail)).all()
        documents = {
            d.order_no: d.head for d in uow.session.scalars(select(Document).where(Document.doc_type == "import_order"))
        }
    assert hits and {rule for _, rule, _ in hits} == {"split_purchase"}
    held = {no for no, _, _ in hits}
    assert report["held_for_review"] == len(held)
    purchases = {no.rsplit("-", 1)[0] for no in held}
    assert 0 < len(purchases) <= manifest["import"]["split_over_single_limit"]
    for purchase in purchases:  # the purchase's orders together, as the rule counts them
        parts = [h for no, h in documents.items() if no.rsplit("-", 1)[0] == purchase and "-" in no[2:]]
        total = sum(Decimal(h["goodsValue"]) + Decimal(h.get("freight") or 0) for h in parts)
        assert total > Decimal(5000) and all(
            Decimal(h["goodsValue"]) + Decimal(h.get("freight") or 0) <= Decimal(5000) for h in parts
        )
    for _, _, detail in hits:
        assert Decimal(detail["total"]) > Decimal(detail["limit"]) == Decimal(5000)
    matched = manifest["import"]["expected_matching"]["by_state"]["matched"]
    assert report["declared"]["CEB621"] + report["refused"] + len(held) == matched


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
