"""三单对碰 on stored documents, on SQLite and PostgreSQL: results stored with every rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cbec import pipeline
from cbec.catalogue import service as catalogue
from cbec.matching import service as matching
from cbec.matching.models import MatchResult
from cbec.unit_of_work import UnitOfWork

from .helpers import (
    PLATFORM,
    SELLER,
    as_bytes,
    export_order,
    export_waybill,
    import_order,
    import_payment,
    import_waybill,
    register_partners,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def ctx(settings):
    register_partners(settings)
    return pipeline.context_for(settings, SELLER.code, PLATFORM.code)


def _current(settings, order_no: str) -> MatchResult:
    with UnitOfWork(settings) as uow:
        return uow.session.scalars(
            select(MatchResult).where(MatchResult.order_key.contains(order_no), MatchResult.is_current.is_(True))
        ).one()


def _rules(result: MatchResult) -> dict[str, bool]:
    return {r["rule"]: r["passed"] for r in result.rules}


def test_export_order_waits_for_its_waybill_then_is_held_until_the_hs_code_is_confirmed(settings, ctx) -> None:
    pipeline.import_bytes(settings, as_bytes(export_order()), ctx, fmt="json")
    first = _current(settings, "SO20261123001")
    assert (first.state, first.reason) == ("unmatched", "waybill_present")

    # the logistics company pushes the waybill later: matching re-runs for that order
    pipeline.import_bytes(settings, as_bytes(export_waybill()), ctx, fmt="json")
    second = _current(settings, "SO20261123001")
    assert (second.state, second.reason) == ("held", "hs_confirmed")
    assert _rules(second)["waybill_present"] and not _rules(second)["hs_confirmed"]
    assert any("MUG-001" in r["reason_en"] for r in second.rules if r["rule"] == "hs_confirmed")

    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "MUG-001", "6912001000")
        summary = matching.run_matching(uow.session)
        uow.commit()
    assert summary.by_state == {"matched": 1}
    third = _current(settings, "SO20261123001")
    assert third.state == "matched" and all(_rules(third).values())
    with UnitOfWork(settings) as uow:  # every earlier result is kept, not overwritten
        states = uow.session.scalars(select(MatchResult.state).order_by(MatchResult.id)).all()
    assert states == ["unmatched", "held", "matched"]


def test_export_waybill_of_another_seller_does_not_match(settings, ctx) -> None:
    waybill = export_waybill()
    waybill["head"]["ebcCode"] = "1105910159"
    pipeline.import_bytes(settings, as_bytes(export_order(), waybill), ctx, fmt="json")
    result = _current(settings, "SO20261123001")
    assert (result.state, result.reason) == ("unmatched", "waybill_seller")


def test_import_three_documents_match(settings, ctx) -> None:
    pipeline.import_bytes(settings, as_bytes(import_order(), import_payment(), import_waybill()), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "CREAM-50", "3304990099")
        matching.run_matching(uow.session)
        uow.commit()
    result = _current(settings, "IO20261123001")
    assert result.state == "matched", result.rules
    assert result.payment_doc_id and result.waybill_doc_id


@pytest.mark.parametrize(
    ("docs", "reason", "words"),
    [
        ((import_order(), import_payment(amount="230.00"), import_waybill()), "amount_paid", "amountPaid"),
        (
            (import_order(), import_payment(), import_waybill(consigneeTelephone="13900000000")),
            "consignee",
            "consigneeTelephone",
        ),
        ((import_order(), import_waybill()), "payment_present", "no payment"),
    ],
)
def test_import_mismatches_are_named(settings, ctx, docs, reason: str, words: str) -> None:
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    result = _current(settings, "IO20261123001")
    assert (result.state, result.reason) == ("unmatched", reason)
    failed = next(r for r in result.rules if r["rule"] == reason)
    assert words in failed["reason_en"] and failed["reason_zh"]
