"""Financing pre-qualification: every factor's contribution adds up to the score, a new seller earns
nothing without verified history, better facts never lower the score, and the sealed package
fails verification once changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbec.errors import InvalidInput
from cbec.finance.prequalify import History, prequalify, weights
from cbec.kit import seal

D = Decimal


def _history(**changes: object) -> History:
    base = {
        "monthly_declared": tuple(D(10_000) for _ in range(12)), "declared_due": D(100_000), "received_due": D(95_000),
        "days_to_receive": (20, 25, 40), "settled_principal": D(110_000), "refunded": D(3_000), "lists_declared": 1200,
        "lists_rejected": 6, "risk_hits_refused": 1, "received_last_year": D(100_000),
    }  # fmt: skip
    return History(**{**base, **changes})  # type: ignore[arg-type]


def test_the_score_is_the_weighted_sum_of_its_factors_and_the_limit_follows_it() -> None:
    score, limit, factors = prequalify(_history())
    total_weight = sum(w.weight for n, w in weights().items() if n != "limit_share")
    assert score == (sum(f.contribution for f in factors) / total_weight * 100).quantize(D("0.1"))
    by = {f.factor: f for f in factors}
    assert by["active_months"].score == 1 and by["stability"].score == 1  # 12 equal months
    assert by["received_ratio"].value == D("0.95") and by["received_ratio"].score == D("0.9")
    assert by["days_to_receive"].value == 25 and by["days_to_receive"].score == 1
    assert limit == (D(100_000) * D("0.20") * score / 100).quantize(D("0.01"))


def test_a_new_seller_earns_nothing_without_history() -> None:
    empty = History((D(0),) * 12, D(0), D(0), (), D(0), D(0), 0, 0, 0, D(0))
    score, limit, factors = prequalify(empty)
    assert score == 0 and limit == 0 and all(f.contribution == 0 for f in factors)


@given(st.integers(min_value=0, max_value=100_000), st.integers(min_value=0, max_value=20_000))
def test_more_money_received_never_lowers_the_score(received: int, more: int) -> None:
    low, _, _ = prequalify(_history(received_due=D(received)))
    high, _, _ = prequalify(_history(received_due=D(received + more)))
    assert high >= low


def test_a_sealed_package_verifies_and_a_changed_one_does_not() -> None:
    key = seal.new_key()
    sealed = seal.seal({"seller": "S", "score": "81.5"}, key)
    assert seal.verify(sealed) == {"seller": "S", "score": "81.5"}
    sealed["package"]["score"] = "99.9"
    with pytest.raises(InvalidInput, match="changed after signing") as exc:
        seal.verify(sealed)
    assert exc.value.field == "signature"
    other = seal.seal({"seller": "S"}, seal.new_key())
    trusted = seal.seal({"x": 1}, key)["public_key"].encode()
    with pytest.raises(InvalidInput, match="another key"):
        seal.verify(other, trusted)  # signed by another key than the platform's
