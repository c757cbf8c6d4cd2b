from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from cbec.errors import UnknownCode
from cbec.kit.codes import code_lists
from cbec.kit.money import ceb_text, fits_n19_5, parse_decimal, to_fen
from cbec.kit.tracking import is_valid_s10, make_s10

SHARED = Path(__file__).resolve().parents[3].parent / "shared"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("89.95", "89.95"),
        ("89,95", "89.95"),  # EU decimal comma
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("€12", "12"),
        ("-3,5", "-3.5"),
        (2.55, "2.55"),  # float read through its shortest repr, not binary
        (7, "7"),
    ],
)
def test_amounts_are_read_as_people_write_them(text: object, expected: str) -> None:
    assert parse_decimal(text) == Decimal(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "abc", "1..2", "nan", None, float("inf")])
def test_non_amounts_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_decimal(bad)  # type: ignore[arg-type]


def test_fen_rounding_is_half_up_and_ceb_text_is_plain() -> None:
    assert to_fen(Decimal("0.005")) == Decimal("0.01")
    assert to_fen(Decimal("2.345")) == Decimal("2.35")
    assert ceb_text(Decimal("1E+3")) == "1000"
    assert ceb_text(Decimal("12.300000")) == "12.3"
    assert fits_n19_5(Decimal("12345678912345.12345"))
    assert not fits_n19_5(Decimal("0.123456"))


def test_country_names_of_the_real_data_map_to_customs_codes() -> None:
    c = code_lists()
    assert c.country("United Kingdom") == "303"
    assert c.country("EIRE") == "306"
    assert c.country("RSA") == "244"
    assert c.country("US") == "502"
    assert c.country("DEU") == "304"
    assert c.currency("GBP") == "303"
    assert c.currency("EUR") == "300"
    assert c.currency_iso("142") == "CNY"
    with pytest.raises(UnknownCode) as exc:
        c.country("Atlantis")
    assert exc.value.field == "country" and "Atlantis" in exc.value.message_zh


def test_unit_codes() -> None:
    c = code_lists()
    assert c.units["035"].name_zh == "千克"
    assert c.is_unit("011") and not c.is_unit("999")


def test_s10_numbers_agree_with_the_shared_test_numbers() -> None:
    path = SHARED / "data" / "tracking" / "s10.json"
    if not path.exists():
        pytest.skip("../shared/data/tracking/s10.json is absent")
    spec = json.loads(path.read_text())["tracking_numbers"][0]["test_numbers"]
    for n in spec["valid"]:
        assert is_valid_s10(n), n
    for n in spec["invalid"]:
        assert not is_valid_s10(n), n


def test_made_s10_numbers_are_valid() -> None:
    for serial in (0, 1, 12345678, 99999999, 10000001):
        assert is_valid_s10(make_s10("LP", serial, "CN"))
    assert make_s10("RB", 12345678, "GB") == "RB123456785GB"


def test_fits_n19_5_counts_digits_of_large_numbers() -> None:
    from decimal import Decimal

    from cbec.kit.money import fits_n19_5

    assert fits_n19_5(Decimal("12345678912345.12345"))
    assert not fits_n19_5(Decimal("1E+20"))
    assert not fits_n19_5(Decimal("0.123456"))
