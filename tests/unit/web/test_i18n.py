"""The UI names every declaration and match state in both languages."""

from __future__ import annotations

from cbec.customs.rules import State
from cbec.matching.rules import MatchState
from cbec.web.ui.i18n import STATUS, status_label, translate


def test_every_state_has_a_chinese_and_an_english_name() -> None:
    for state in [*State, *MatchState]:
        zh, en = STATUS[state.value]
        assert zh and en and zh != en
        assert status_label(state.value, "zh") == zh and status_label(state.value, "en") == en


def test_translate_fills_values_in_either_language() -> None:
    assert translate("page", "zh", page=2, pages=5, total=90) == "第 2 / 5 页，共 90 条"
    assert translate("page", "en", page=2, pages=5, total=90) == "Page 2 of 5, 90 in all"
