"""The official customs code tables, read from the reference folder: complete, and every real
country a marketplace report can name gets a customs code (never a refusal)."""

from __future__ import annotations

from pathlib import Path

import pycountry
import pytest

from cbec.kit.codes import CodeLists, CodeListsUnavailable, code_lists


def test_the_official_tables_are_complete() -> None:
    c = code_lists()
    assert len(c.countries) == 242
    assert len(c.currencies) == 34
    assert len(c.units) == 123
    assert c.countries["303"].name_zh == "英国" and c.countries["303"].name_en == "United Kingdom"
    assert c.currencies["142"].iso == "CNY" and c.currencies["142"].name_en == "Yuan Renminbi"


def test_every_iso_3166_country_maps_to_a_customs_code() -> None:
    c = code_lists()
    unmapped = []
    for country in pycountry.countries:
        try:
            code = c.country(country.alpha_2)
        except Exception:
            unmapped.append(country.alpha_2)
            continue
        assert c.is_country(code), (country.alpha_2, code)
        assert c.country(country.alpha_3) == code
    assert unmapped == []


@pytest.mark.parametrize(
    ("given", "code", "iso2"),
    [
        ("JE", "399", "JE"),
        ("Jersey", "399", "JE"),
        ("GGY", "399", "GG"),
        ("Isle of Man", "399", "IM"),
        ("SS", "299", "SS"),
    ],
)
def test_territories_without_a_code_go_through_the_suggested_alias_and_say_so(given: str, code: str, iso2: str) -> None:
    c = code_lists()
    assert c.country(given) == code
    alias = c.country_alias(given)
    assert alias is not None and alias.iso2 == iso2
    note = c.country_note(given)
    assert note is not None
    zh, en = note
    assert f"({iso2})" in en and code in en and "suggested" in en
    assert f"（{iso2}）" in zh and code in zh


def test_a_country_with_its_own_code_has_no_alias_note() -> None:
    c = code_lists()
    for given in ("GB", "United Kingdom", "EIRE", "303", "德国"):
        assert c.country_note(given) is None


def test_currencies_without_an_iso_alias_and_unknown_ones() -> None:
    c = code_lists()
    assert c.currency("KRW") == "133"
    assert c.currency("usd") == "502"
    with pytest.raises(Exception, match="MXN"):
        c.currency("MXN")  # no customs code: conversion happens at intake, never an invented code


def test_a_folder_without_the_tables_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CodeListsUnavailable) as missing:
        CodeLists.load(tmp_path)
    assert "country.csv" in missing.value.message_en and "CBEC_CODE_LIST_DIR" in missing.value.message_en
    assert "CBEC_CODE_LIST_DIR" in missing.value.message_zh
