"""Which waybill or payment pairs with an order (matching.rules.pick_candidate)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cbec.matching.rules import pick_candidate


@dataclass(frozen=True)
class C:
    name: str
    head: Mapping[str, Any]
    seller_code: str


def test_no_candidate() -> None:
    assert pick_candidate([], "EBP", "S1") is None


def test_one_candidate_of_the_same_platform_and_seller() -> None:
    c = C("a", {"ebpCode": "EBP"}, "S1")
    assert pick_candidate([c], "EBP", "S1") is c


def test_a_candidate_that_names_no_platform_pairs() -> None:
    c = C("a", {}, "S1")
    assert pick_candidate([c], "EBP", "S1") is c
    d = C("d", {"ebpCode": ""}, "S1")
    assert pick_candidate([d], "EBP", "S1") is d


def test_another_platform_never_pairs() -> None:
    assert pick_candidate([C("a", {"ebpCode": "OTHER"}, "S1")], "EBP", "S1") is None


def test_several_versions_the_newest_wins() -> None:
    old, new = C("old", {"ebpCode": "EBP"}, "S1"), C("new", {"ebpCode": "EBP"}, "S1")
    assert pick_candidate([old, new], "EBP", "S1") is new


def test_the_own_seller_wins_over_a_newer_one_of_another_seller() -> None:
    own, other = C("own", {"ebpCode": "EBP"}, "S1"), C("other", {"ebpCode": "EBP"}, "S2")
    assert pick_candidate([own, other], "EBP", "S1") is own
    assert pick_candidate([other, own], "EBP", "S1") is own


def test_another_sellers_is_passed_on_for_the_rules_to_refuse() -> None:
    a, b = C("a", {"ebpCode": "EBP"}, "S2"), C("b", {}, "S3")
    assert pick_candidate([a, b], "EBP", "S1") is b


def test_a_tie_goes_to_the_later_candidate() -> None:
    first, second = C("first", {}, "S1"), C("second", {"ebpCode": "EBP"}, "S1")
    assert pick_candidate([first, second], "EBP", "S1") is second
    assert pick_candidate([second, first], "EBP", "S1") is first
