"""The credit rating: one enterprise walked from a clean record through customs refusals, a
confirmed risk hit, a dishonesty listing and its repair, with the grade and every factor's
contribution at each step; and properties: changing one input moves the score predictably."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cbec.credit import rules

D = Decimal
FACTORS = (
    "registered", "customs_tier", "refusal_rate", "confirmed_hits",
    "tax_refusals", "cancel_return_rate", "invalid_share", "fx_overdue_share", "delivery_exception_share",
    "volume",
)  # fmt: skip


def points(r: rules.Rating) -> dict[str, Decimal]:
    return {c.factor: c.points for c in r.contributions}


def test_the_weights_add_up_to_100_and_every_factor_has_a_source() -> None:
    t = rules.tables()
    assert sum(w.weight for w in t.weights) == 100
    assert tuple(w.factor for w in t.weights) == FACTORS
    assert all(w.source for w in t.weights)
    assert set(t.tiers) == set(rules.TIERS)


def test_one_enterprise_walked_through_its_record() -> None:
    on = date(2026, 10, 1)
    clean = rules.History(registered=D(1), lists=200, documents=400)
    r = rules.rate(clean, [], on)
    assert points(r) == {
        "registered": D("10.00"), "customs_tier": D("10.50"), "refusal_rate": D("20.00"),
        "confirmed_hits": D("20.00"), "tax_refusals": D("10.00"), "cancel_return_rate": D("5.00"),
        "invalid_share": D("5.00"), "fx_overdue_share": D("5.00"), "delivery_exception_share": D("5.00"),
        "volume": D("1.00"),
    }  # fmt: skip
    assert (r.score, r.grade, r.overrides) == (D("91.50"), "AAA", ())

    refused = replace(clean, refused=10)  # 5% of lists refused by customs: half the factor
    r = rules.rate(refused, [], on)
    assert points(r)["refusal_rate"] == D("10.00")
    assert (r.score, r.grade) == (D("81.50"), "AA")

    hit = replace(refused, confirmed_hits=1)  # a reviewer confirmed a risk hit: 1 of 5
    r = rules.rate(hit, [], on)
    assert points(r)["confirmed_hits"] == D("16.00")
    assert (r.score, r.grade, r.dishonest) == (D("77.50"), "A", False)

    listing = rules.Fact("dishonest", "海关失信企业名单", date(2026, 9, 1), date(2026, 12, 1), "credit.customs.gov.cn", date(2026, 9, 2))  # fmt: skip
    r = rules.rate(hit, [listing], on)
    assert (r.score, r.computed_grade, r.grade, r.dishonest) == (D("77.50"), "A", "BB", True)
    assert points(r) == points(rules.rate(hit, [], on))  # the override does not hide the contributions
    ((zh, en),) = r.overrides
    assert "失信名单" in zh and "2026-12-01" in zh and "dishonesty list" in en

    r = rules.rate(hit, [listing], date(2026, 12, 1))  # repaired: the listing ends that day
    assert (r.score, r.grade, r.dishonest, r.overrides) == (D("77.50"), "A", False, ())


def test_a_customs_tier_scores_and_caps() -> None:
    on = date(2026, 10, 1)
    h = rules.History(registered=D(1), lists=1000, documents=10)
    aeo = rules.Fact("tier", "高级认证企业", date(2026, 4, 1), None, "GACC list", date(2026, 4, 2))
    r = rules.rate(h, [aeo], on)
    assert points(r)["customs_tier"] == D("15.00") and r.grade == "AAA" and r.customs_tier == "高级认证企业"
    bad = rules.Fact("tier", "失信企业", date(2026, 5, 1), None, "GACC list", date(2026, 5, 2))
    r = rules.rate(h, [aeo, bad], on)  # the latest tier in force counts
    assert r.customs_tier == "失信企业" and r.grade == "BBB" and r.dishonest
    assert points(r)["customs_tier"] == D("3.00")
    worst = rules.Fact("tier", "严重失信企业", date(2026, 6, 1), None, "GACC list", date(2026, 6, 2))
    assert rules.rate(h, [aeo, bad, worst], on).grade == "BB"


histories = st.builds(
    rules.History,
    registered=st.sampled_from([D(0), D("0.5"), D(1)]),
    lists=st.integers(1, 3000),
    refused=st.integers(0, 300),
    cancelled_returned=st.integers(0, 300),
    confirmed_hits=st.integers(0, 10),
    tax_refusals=st.integers(0, 10),
    documents=st.integers(1, 5000),
    invalid_documents=st.integers(0, 500),
    fx_orders=st.integers(0, 3000),
    fx_overdue=st.integers(0, 300),
    parcels_tracked=st.integers(0, 3000),
    delivery_exceptions=st.integers(0, 300),
)


@given(
    histories,
    st.sampled_from(
        [
            "refused",
            "cancelled_returned",
            "confirmed_hits",
            "tax_refusals",
            "invalid_documents",
            "fx_overdue",
            "delivery_exceptions",
        ]
    ),
)
def test_a_worse_event_never_raises_the_score(h: rules.History, field: str) -> None:
    on = date(2026, 10, 1)
    before = rules.rate(h, [], on)
    after = rules.rate(replace(h, **{field: getattr(h, field) + 1}), [], on)
    assert after.score <= before.score
    assert rules.GRADE_ORDER.index(after.grade) >= rules.GRADE_ORDER.index(before.grade)


@given(histories)
def test_one_more_confirmed_hit_costs_exactly_its_share_until_the_cap(h: rules.History) -> None:
    on = date(2026, 10, 1)
    one_more = replace(h, confirmed_hits=h.confirmed_hits + 1)
    delta = rules.rate(h, [], on).score - rules.rate(one_more, [], on).score
    assert delta == (D(4) if h.confirmed_hits < 5 else D(0))  # weight 20 over 5 hits


@given(histories)
def test_an_active_listing_always_gives_bb_and_never_changes_the_score(h: rules.History) -> None:
    on = date(2026, 10, 1)
    listing = rules.Fact("dishonest", "信用中国", date(2026, 1, 1), None, "creditchina export", date(2026, 1, 2))
    plain, listed = rules.rate(h, [], on), rules.rate(h, [listing], on)
    assert listed.grade == "BB" and listed.dishonest and listed.score == plain.score


def test_fx_overdue_lowers_ability_to_perform() -> None:
    h = rules.History(registered=D(1), lists=10, documents=10, fx_orders=10, fx_overdue=1)
    assert points(rules.rate(h, [], date(2026, 10, 1)))["fx_overdue_share"] == D("2.50")  # 10% of 20%: half of 5


def test_delivery_exceptions_lower_ability_to_perform() -> None:
    """Parcels carriers reported failed, in exception, returned or expired (logistics), as a
    share of the parcels tracked: 5% of them is half the factor's 5 points."""
    h = rules.History(registered=D(1), lists=10, documents=10, parcels_tracked=40, delivery_exceptions=2)
    assert points(rules.rate(h, [], date(2026, 10, 1)))["delivery_exception_share"] == D("2.50")
    none_tracked = rules.History(registered=D(1), lists=10, documents=10)
    assert points(rules.rate(none_tracked, [], date(2026, 10, 1)))["delivery_exception_share"] == D("5.00")
