"""Risk lanes and credit on SQLite and PostgreSQL: every declared list gets a lane, the sandbox
customs walks red lists through inspection (500) and yellow ones through a document check
(300); a dishonesty listing imported by the operator lowers the grade, pushes the standing down
to risk and forces the enterprise's next lists out of green; a repair lifts it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from cbec import pipeline
from cbec.audit.models import AuditEntry
from cbec.credit import service as credit
from cbec.customs.models import Declaration, DeclarationEvent
from cbec.risk import service as risk
from cbec.risk.models import RiskLane
from cbec.sandbox import SandboxCustoms
from cbec.unit_of_work import UnitOfWork

from .helpers import SELLER
from .test_customs import _round, matched  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration


def _lanes(settings) -> dict[str, str]:
    with UnitOfWork(settings) as uow:
        return {c: ln for c, ln in uow.session.execute(select(RiskLane.cop_no, RiskLane.lane))}


def test_every_list_gets_a_lane_and_the_sandbox_walks_it(matched) -> None:  # noqa: F811
    pipeline.declare(matched)
    lanes = _lanes(matched)
    with UnitOfWork(matched) as uow:
        lists = set(uow.session.scalars(select(Declaration.cop_no).where(Declaration.message_type == "CEB603")))
    assert set(lanes) == lists and len(lists) == 150
    # the generated load is small: force a red and a yellow list to see the sandbox use them
    red, yellow = sorted(lists)[:2]
    with UnitOfWork(matched) as uow:
        for cop_no, lane in ((red, "red"), (yellow, "yellow")):
            row = uow.session.scalars(select(RiskLane).where(RiskLane.cop_no == cop_no)).one()
            row.lane = lane
        uow.commit()
    sandbox = SandboxCustoms(pipeline.messages_dir(matched), seed=7, lanes=pipeline.lanes_of(matched))
    _round(matched, sandbox, 5)
    with UnitOfWork(matched) as uow:
        statuses = {
            cop_no: {
                s
                for (s,) in uow.session.execute(
                    select(DeclarationEvent.after).where(DeclarationEvent.declaration_id == d_id)
                )
            }
            for cop_no, d_id in uow.session.execute(
                select(Declaration.cop_no, Declaration.id).where(Declaration.message_type == "CEB603")
            )
        }
        final = {
            c: st
            for c, st in uow.session.execute(
                select(Declaration.cop_no, Declaration.status).where(Declaration.message_type == "CEB603")
            )
        }
    assert "inspection" in statuses[red] and "review" not in statuses[red]
    assert "review" in statuses[yellow] and "inspection" not in statuses[yellow]
    greens = [c for c, ln in lanes.items() if ln == "green" and c not in (red, yellow)]
    assert greens and all("inspection" not in statuses[c] and "review" not in statuses[c] for c in greens)
    assert set(final.values()) == {"closed"}  # held lists are released in the end


def test_a_dishonesty_listing_and_its_repair(matched) -> None:  # noqa: F811
    day = date(2026, 12, 5)
    with UnitOfWork(matched) as uow:
        clean = credit.rate(uow.session, SELLER.code, as_of=day)
        uow.commit()
    assert not clean.dishonest and clean.grade != "BB"
    csv_bytes = f"code,name,value,valid_from,valid_until\n{SELLER.code},示例卖家,海关失信企业名单,2026-11-01,2027-03-01\n".encode()
    with UnitOfWork(matched) as uow:
        out = credit.import_list(
            uow.session, csv_bytes, kind="dishonest", source="credit.customs.gov.cn export", source_date=day,
            by="operator", as_of=day,
        )  # fmt: skip
        uow.commit()
    assert out.enterprises == [SELLER.code]
    with UnitOfWork(matched) as uow:
        listed = credit.record(uow.session, SELLER.code, as_of=day)
        standing = risk.standing_of(uow.session, SELLER.code)
        uow.commit()
    assert listed.current.grade == "BB" and listed.current.dishonest
    assert listed.current.overrides and "失信" in listed.current.overrides[0].message_zh
    assert standing is not None and standing.dishonest and standing.grade == "BB"
    assert len(listed.grades) == 2  # the history of grades is kept
    pipeline.declare(matched)
    assert "green" not in set(_lanes(matched).values())  # a dishonest enterprise is never green
    with UnitOfWork(matched) as uow:
        repaired = credit.rate(uow.session, SELLER.code, as_of=date(2027, 3, 1))
        q = credit.query(uow.session, SELLER.code, caller="partner:PAY", as_of=date(2027, 3, 1))
        uow.commit()
    assert not repaired.dishonest and repaired.grade == clean.grade and q.grade == clean.grade
    with UnitOfWork(matched) as uow:
        logged = uow.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "credit.query")).all()
    assert logged == ["credit.query"]


def test_an_objection_is_answered_once(matched) -> None:  # noqa: F811
    with UnitOfWork(matched) as uow:
        o = credit.file_objection(
            uow.session, SELLER.code, "退单系数据错误", by="seller", scope=frozenset({SELLER.code})
        )
        a = credit.answer_objection(uow.session, o.id, "upheld", "已核实", by="operator")
        uow.commit()
    assert a.status == "upheld" and a.answered_by == "operator"
    from cbec.errors import NotFound, RuleViolation

    with UnitOfWork(matched) as uow, pytest.raises(RuleViolation):
        credit.answer_objection(uow.session, o.id, "rejected", "x", by="operator")
    with UnitOfWork(matched) as uow, pytest.raises(NotFound):
        credit.record(uow.session, SELLER.code, scope=frozenset({"OTHER"}))


def _more_orders(settings, n: int, price: str, start: int) -> None:
    from cbec.matching import service as matching

    from .helpers import PLATFORM, as_bytes, export_order, export_waybill

    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    docs = []
    for i in range(start, start + n):
        docs += [export_order(f"SO{i:04d}", price=price), export_waybill(f"SO{i:04d}", logistics_no=f"LP{i:09d}CN")]
    pipeline.import_bytes(settings, as_bytes(*docs), ctx, fmt="json")
    with UnitOfWork(settings) as uow:
        matching.run_matching(uow.session)
        uow.commit()


def test_screen_then_declare_a_price_far_above_the_sellers_history(matched) -> None:  # noqa: F811
    """150 mugs declared at 12.50 make the seller's history; two more at 80.00 (6.4 times) are a
    query: screening names the reference price and keeps nothing; declaring keeps the query, does
    not hold the orders, and sends their lists to the yellow lane."""
    pipeline.declare(matched)
    _more_orders(matched, 2, "80.00", 150)
    with UnitOfWork(matched) as uow:  # the seller hears of the queries by webhook
        from cbec.sharing import service as sharing
        from cbec.sharing.schemas import EventType, SubscriptionCreate

        sub = sharing.create_subscription(
            uow.session, matched, SubscriptionCreate(url="https://seller.example.com/h", event_types=[EventType.RISK_HIT]),
            enterprise=SELLER.code, created_by="t", resolver=lambda h, p: ["93.184.216.34"],
        )  # fmt: skip
        uow.commit()
    with UnitOfWork(matched) as uow:
        from cbec.customs import service as customs

        screened = customs.screen_seller(uow.session, SELLER.code)
    assert screened.orders_screened == 2 and screened.orders_hit == 2
    rules_hit = {h.rule for h in screened.hits}
    assert rules_hit == {"price_outlier"}
    evidence = screened.hits[0].evidence
    assert evidence["reference_price"] == "12.5" and evidence["price"] == "80.00" and evidence["n"] == 150
    assert "12.5" in screened.hits[0].message_zh and "reference price" in screened.hits[0].message_en
    with UnitOfWork(matched) as uow:
        from cbec.risk.models import RiskHit

        assert uow.session.scalars(select(RiskHit)).all() == []  # screening kept nothing
    report = pipeline.declare(matched)
    assert report["declared"].get("CEB603") == 2 and report["risk_hits"] >= 2
    with UnitOfWork(matched) as uow:
        lanes = {
            r.order_no: (r.lane, r.reason, r.criteria)
            for r in uow.session.scalars(select(RiskLane).where(RiskLane.order_no.in_(["SO0150", "SO0151"])))
        }
        statuses = set(uow.session.scalars(select(RiskHit.status)))
    assert {v[0] for v in lanes.values()} == {"yellow"} and all(v[2] == ["rule:price_outlier"] for v in lanes.values())
    assert statuses == {"query"}
    with UnitOfWork(matched) as uow:
        from cbec.sharing.models import Delivery, SharedEvent

        told = uow.session.scalars(
            select(SharedEvent.payload).join(Delivery, Delivery.event_id == SharedEvent.id)
            .where(Delivery.subscription_id == sub.id)
        ).all()  # fmt: skip
    assert sorted((p["order_no"], p["rule"], p["status"]) for p in told) == [
        ("SO0150", "price_outlier", "query"), ("SO0151", "price_outlier", "query"),
    ]  # fmt: skip


def test_a_declared_code_the_catalogue_disagrees_with_is_a_query(matched) -> None:  # noqa: F811
    from cbec.catalogue.models import Product
    from cbec.risk.models import RiskHit

    with UnitOfWork(matched) as uow:
        mug = uow.session.scalars(select(Product).where(Product.sku == "MUG-001")).one()
        mug.hs_score = "0.850"
        mug.hs_candidates = [{"cn_code": "9405490000", "score": 0.85}]  # a lamp, says the description
        uow.commit()
    report = pipeline.declare(matched)
    assert report["declared"]["CEB603"] == 150  # a query does not hold the orders
    with UnitOfWork(matched) as uow:
        hits = uow.session.scalars(select(RiskHit).where(RiskHit.rule == "hs_disagrees")).all()
        lanes = set(uow.session.scalars(select(RiskLane.lane)))
    assert len(hits) == 150 and {h.status for h in hits} == {"query"}
    assert hits[0].detail["suggested"] == "9405490000" and "第94章" in hits[0].message_zh
    assert lanes == {"yellow"}  # laned by the criterion, no random draw


def test_lanes_over_the_generated_load_converge_to_their_rates(settings, tmp_path) -> None:
    """The generator's load (1,500 orders, import and export, seed 19) declared: every list has
    a lane. A lane whose criteria take less than its expected rate is topped up to it: its share
    is within 4 binomial standard errors of the rate (every lane here: no enterprise is rated and
    the generator's prices raise no query). A lane whose criteria take more is its criteria plus
    random draws at no more than the expected rate."""
    import math

    from cbec.generate.basics import GenerateOptions
    from cbec.generate.service import generate

    from .test_generate import _import_all

    out = tmp_path / "load"
    manifest = generate(GenerateOptions(orders=1500, seed=19), out, batch_size=500)
    _import_all(settings, out, manifest)
    report = pipeline.declare(settings)
    with UnitOfWork(settings) as uow:
        lists = uow.session.scalars(
            select(Declaration.cop_no).where(Declaration.message_type.in_(["CEB603", "CEB621"]))
        ).all()
    lanes = _lanes(settings)
    with UnitOfWork(settings) as uow:
        by_criteria = [
            ln for ln, reason in uow.session.execute(select(RiskLane.lane, RiskLane.reason)) if reason == "criteria"
        ]
    assert set(lanes) == set(lists) and len(lists) == sum(report["declared"].get(m, 0) for m in ("CEB603", "CEB621"))
    n = len(lists)
    config = risk.lane_config()
    for lane, rate in config.rates.items():
        share = sum(v == lane for v in lanes.values()) / n
        crit = by_criteria.count(lane) / n
        tol = 4 * math.sqrt(rate.expected * (1 - rate.expected) / n)
        if crit < rate.expected:
            assert abs(share - rate.expected) <= tol, (lane, share, n)
        else:
            assert crit <= share <= crit + rate.expected + tol, (lane, share, crit, n)
    assert {"red", "yellow", "blue"} <= set(lanes.values())


def test_one_enterprise_walked_through_its_record_on_the_database(matched) -> None:  # noqa: F811
    """The seller's own history, read from what customs and risk recorded: clean, then customs
    refuses 10% of its lists, then a reviewer confirms a risk hit, then it is listed as dishonest,
    then the listing is repaired; the grade and every contribution at each step."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal as D

    from cbec.risk.models import RiskHit

    pipeline.declare(matched)
    today = datetime.now(UTC).date()

    def rated(on: date = today) -> tuple[str, D, dict[str, D]]:
        with UnitOfWork(matched) as uow:
            g = credit.rate(uow.session, SELLER.code, as_of=on)
            uow.commit()
        return g.grade, g.score, {c.factor: c.points for c in g.contributions}

    base = {
        "registered": D("10.00"), "customs_tier": D("10.50"), "refusal_rate": D("20.00"), "confirmed_hits": D("20.00"),
        "tax_refusals": D("10.00"), "cancel_return_rate": D("5.00"), "invalid_share": D("5.00"),
        "fx_overdue_share": D("5.00"), "delivery_exception_share": D("5.00"), "volume": D("0.75"),
    }  # fmt: skip
    assert rated() == ("AAA", D("91.25"), base)

    with UnitOfWork(matched) as uow:
        for d in uow.session.scalars(select(Declaration).where(Declaration.message_type == "CEB603").limit(15)):
            d.status = "rejected"
        uow.commit()
    assert rated() == ("A", D("71.25"), base | {"refusal_rate": D("0.00")})

    with UnitOfWork(matched) as uow:
        d = uow.session.scalars(select(Declaration).where(Declaration.message_type == "CEB603")).first()
        assert d is not None and d.order_doc_id is not None
        uow.session.add(
            RiskHit(
                order_doc_id=d.order_doc_id, seller_code=SELLER.code, ebp_code="", order_no=d.order_no, rule="price_outlier",
                field="price", message_zh="x", message_en="x", detail={}, status="refused", decided_by="operator",
                decided_at=datetime.now(UTC), note="confirmed",
            )
        )  # fmt: skip
        uow.commit()
    after_hit = base | {"refusal_rate": D("0.00"), "confirmed_hits": D("16.00")}
    assert rated() == ("BBB", D("67.25"), after_hit)

    until = today + timedelta(days=10)
    listing = f"code,name,value,valid_from,valid_until\n{SELLER.code},x,信用中国失信名单,{today - timedelta(days=30)},{until}\n"
    with UnitOfWork(matched) as uow:
        credit.import_list(
            uow.session, listing.encode(), kind="dishonest", source="信用中国 export", source_date=today, by="op"
        )
        uow.commit()
    assert rated() == ("BB", D("67.25"), after_hit)  # the override leaves every contribution as it was
    assert rated(until) == ("BBB", D("67.25"), after_hit)  # repaired on that day
    with UnitOfWork(matched) as uow:
        standing = risk.standing_of(uow.session, SELLER.code)
    assert standing is not None and standing.grade == "BBB" and not standing.dishonest
