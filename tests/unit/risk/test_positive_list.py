"""The retail import positive list: the shipped partial file reads, codes are keyed by their
first 8 digits, and a code not on it is refused with a message in both languages."""

from __future__ import annotations

import pytest

from cbec.generate.imports import IMPORT_PRODUCTS
from cbec.risk import positive_list
from cbec.risk.service import positive_list_of


def test_every_code_the_generator_imports_is_on_the_shipped_list() -> None:
    plist = positive_list_of()
    assert positive_list.not_listed(plist, [p.hs_code for p in IMPORT_PRODUCTS]) == []


def test_a_code_not_on_the_list_is_named_in_the_refusal() -> None:
    plist = positive_list_of()
    assert plist.allows("3304990099") and not plist.allows("9303100000")  # 猎枪 is not a retail import
    missing = positive_list.not_listed(plist, ["9303100000", "3304990099", "9303100000"])
    assert missing == ["9303100000"]
    zh, en = positive_list.refusal_text(missing)
    assert "9303100000" in zh and "跨境电子商务零售进口商品清单" in zh and "2022年第7号" in zh
    assert "positive list" in en


def test_a_bad_row_names_itself() -> None:
    with pytest.raises(ValueError, match="row 2"):
        positive_list.PositiveList.from_text("tariff_line,name\n3304,x\n", "f.csv")


def test_a_sure_suggestion_in_another_chapter_is_a_query() -> None:
    from cbec.risk.rules import hs_disagreement

    assert hs_disagreement("6912001000", "6912000000", 0.9) is None  # same chapter
    assert hs_disagreement("6912001000", "9405490000", 0.4) is None  # not sure enough
    assert hs_disagreement("6912001000", None, None) is None
    zh, en = hs_disagreement("6912001000", "9405490000", 0.8) or ("", "")
    assert "第69章" in zh and "第94章" in zh and "0.80" in zh
    assert "different chapters" in en and "9405490000" in en
