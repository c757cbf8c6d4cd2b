"""Risk screening in the declaration path (RULES.md §7.1): held orders, the review, and what is
declared after it, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cbec import pipeline
from cbec.catalogue import service as catalogue
from cbec.customs.models import Declaration
from cbec.errors import CbecError
from cbec.kit.paging import PageRequest
from cbec.matching import service as matching
from cbec.risk import service as risk
from cbec.risk.models import RiskHit, RiskTrace
from cbec.tax.models import TaxAssessment
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, as_bytes, import_order, import_payment, import_waybill, register_partners


def resident_id(serial: int) -> str:
    """A valid 18-character resident ID (GB 11643-1999: ISO 7064 MOD 11-2 check character)."""
    body = f"11010119900307{serial:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _orders(settings, orders: list[dict[str, Any]]) -> None:
    """Matched import orders: each ``{"no", "price", "time", "buyer"?, "phone"?}``, one jar of
    cream (HS 3304) each, with its payment and waybill."""
    register_partners(settings)
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i, o in enumerate(orders):
        order = import_order(o["no"], price=o["price"], tax="0")
        payment = import_payment(o["no"], amount=str(Decimal(o["price"]) + 10))
        waybill = import_waybill(
            o["no"], logisticsNo=f"EE{i:09d}JP", billNo="784-12345675", trafNo="CA930", voyageNo="CA930"
        )
        order["head"]["orderTime"] = o["time"]
        if "buyer" in o:
            order["head"]["buyerIdNumber"] = payment["head"]["payerIdNumber"] = o["buyer"]
        if "phone" in o:
            order["head"]["consigneeTelephone"] = waybill["head"]["consigneeTelephone"] = o["phone"]
        if "address" in o:
            order["head"]["consigneeAddress"] = waybill["head"]["consigneeAddress"] = o["address"]
        docs += [order, payment, waybill]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        catalogue.confirm_code(uow.session, SELLER.code, "CREAM-50", "3304990099")
        assert matching.run_matching(uow.session).by_state == {"matched": len(orders)}  # held for the HS code till now
        uow.commit()


def _hits(settings, status: str | None = None) -> list[dict[str, Any]]:
    with UnitOfWork(settings) as uow:
        return [
            h.model_dump(mode="json")
            for h in risk.list_hits(uow.session, None, PageRequest(1, 200), status=status).items
        ]


def _decide(settings, hit_id: int, decision: str, note: str = "checked with the buyer / 已与订购人核实") -> None:
    with UnitOfWork(settings) as uow:
        risk.decide(uow.session, hit_id, decision, by="reviewer-1", note=note)
        uow.commit()


def _lists(settings) -> dict[str, str]:
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(Declaration.order_no, Declaration.status).where(Declaration.message_type == "CEB621")
        )
        return dict(rows.all())


def test_a_split_purchase_is_held_for_review_and_declared_once_cleared(settings) -> None:
    """Three 2,000 CNY orders of one buyer a minute apart (6,030 with freight, over the 5,000
    single limit of 财关税〔2018〕49号, each within it) are held with one explained hit each and
    reach neither the tax step nor customs; a fourth order of the buyer a day later is declared.
    Cleared by a reviewer, the three are assessed and declared on the next declare."""
    parts = [{"no": f"IO-S{k}", "price": "2000.00", "time": f"2026060120{k:02d}00"} for k in range(3)]
    _orders(settings, [*parts, {"no": "IO-LATER", "price": "2000.00", "time": "20260602200000"}])
    first = pipeline.declare(settings)
    assert first["held_for_review"] == 3 and first["risk_hits"] == 3 and first["declared"]["CEB621"] == 1
    assert _lists(settings) == {"IO-LATER": "queued"}
    hits = _hits(settings, "open")
    assert sorted(h["order_no"] for h in hits) == ["IO-S0", "IO-S1", "IO-S2"]
    assert {h["rule"] for h in hits} == {"split_purchase"}
    assert hits[0]["detail"]["orders"] == ["IO-S0", "IO-S1", "IO-S2"] and hits[0]["detail"]["total"] == "6030.00"
    assert "化整为零" in hits[0]["message_zh"] and "single-transaction limit" in hits[0]["message_en"]
    with UnitOfWork(settings) as uow:  # the held orders used none of the buyer's quota
        assert uow.session.scalar(select(func.count()).select_from(TaxAssessment)) == 1

    again = pipeline.declare(settings)  # nothing decided: still held, not screened twice
    assert again["held_for_review"] == 3 and again["risk_hits"] == 0 and again["declared"] == {}
    with UnitOfWork(settings) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RiskHit)) == 3
        assert uow.session.scalar(select(func.count()).select_from(RiskTrace)) == 4

    for h in hits[:2]:
        _decide(settings, h["id"], "clear")
    assert pipeline.declare(settings)["declared"]["CEB621"] == 2
    _decide(settings, hits[2]["id"], "refuse", "split to pass the limit / 拆单规避限值")
    last = pipeline.declare(settings)
    assert last["declared"] == {} and last["refused_in_review"] == 1
    lists = _lists(settings)
    assert sorted(lists) == ["IO-LATER", "IO-S0", "IO-S1"]
    decided = {h["order_no"]: (h["status"], h["decided_by"]) for h in _hits(settings)}
    assert decided == {
        "IO-S0": ("cleared", "reviewer-1"),
        "IO-S1": ("cleared", "reviewer-1"),
        "IO-S2": ("refused", "reviewer-1"),
    }


def test_a_decision_needs_its_reason_and_is_not_changed(settings) -> None:
    parts = [{"no": f"IO-S{k}", "price": "3000.00", "time": f"2026060120{k:02d}00"} for k in range(2)]
    _orders(settings, parts)
    pipeline.declare(settings)
    hit = _hits(settings, "open")[0]
    with UnitOfWork(settings) as uow:
        with pytest.raises(CbecError) as exc:
            risk.decide(uow.session, hit["id"], "clear", by="reviewer-1", note="  ")
        assert exc.value.field == "note" and "理由" in exc.value.message_zh
        with pytest.raises(CbecError) as exc:
            risk.decide(uow.session, hit["id"], "approve", by="reviewer-1", note="ok")
        assert exc.value.field == "decision"
        with pytest.raises(CbecError) as exc:
            risk.decide(uow.session, 999_999, "clear", by="reviewer-1", note="ok")
        assert exc.value.code == "not_found"
        with pytest.raises(CbecError) as exc:  # another seller's hit is not found in its scope
            risk.decide(uow.session, hit["id"], "clear", by="x", note="ok", scope=frozenset({"OTHER"}))
        assert exc.value.code == "not_found"
    _decide(settings, hit["id"], "refuse")
    with UnitOfWork(settings) as uow, pytest.raises(CbecError) as exc:
        risk.decide(uow.session, hit["id"], "clear", by="reviewer-2", note="changed my mind")
    assert "reviewer-1" in exc.value.message_en and exc.value.code == "rule_violation"


def test_one_phone_behind_more_buyers_than_allowed_holds_their_orders(settings) -> None:
    """Four different buyer identities with one consignee phone within 30 days (at most 3,
    RULES.md §7.1.3), each at its own address: all four are held; a fifth buyer with her own
    phone and address is declared."""
    shared = "13912345678"
    orders = [
        {
            "no": f"IO-P{k}",
            "price": "300.00",
            "time": f"202606{k + 1:02d}120000",
            "buyer": resident_id(k),
            "phone": shared,
            "address": f"北京市东城区示范路{k + 2}号",
        }
        for k in range(4)
    ]
    own = {"phone": "13700000000", "address": "北京市东城区示范路99号"}
    orders.append({"no": "IO-OWN", "price": "300.00", "time": "20260601120000", "buyer": resident_id(9), **own})
    _orders(settings, orders)
    out = pipeline.declare(settings)
    assert out["held_for_review"] == 4 and out["declared"]["CEB621"] == 1
    hits = _hits(settings, "open")
    assert {h["rule"] for h in hits} == {"phone_many_buyers"} and len(hits) == 4
    assert hits[0]["field"] == "consigneeTelephone" and hits[0]["detail"]["buyers"] == 4
    assert shared not in str(hits)  # the hit explains without repeating the personal data
