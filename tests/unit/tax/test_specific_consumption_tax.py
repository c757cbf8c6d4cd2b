"""Specific (从量) and compound (复合) consumption taxes of retail imports, and what a returned
retail import gives back. Every expected amount is worked out here with fractions, apart from
the code: CT = (P + duty + S) / (1 − c) × c + S, VAT = (P + duty + CT) × v, both × 0.7 within
the limits, each rounded to the fen half up."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest

from cbec.errors import InvalidInput
from cbec.tax.import_tax import ImportLine, ImportOrder, assess_retail_import
from cbec.tax.present import import_assessment_dict
from cbec.tax.rates import tax_tables
from cbec.tax.rules import retail_return_outcome

D = Decimal
F = Fraction
TABLES = tax_tables()
ON = date(2026, 3, 15)
BEER, WHISKY, WINE = "2203000000", "2208300000", "2204210000"
VAT = F(13, 100)
FACTOR = F(7, 10)


def fen(x: Fraction) -> Decimal:
    """Round an exact fraction to the fen, half up (the shipped rounding policy)."""
    return (D(x.numerator) / D(x.denominator)).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def expected(price: Fraction, specific: Fraction, rate: Fraction) -> tuple[Decimal, Decimal]:
    """(consumption tax due, VAT due) of a line within the limits (tariff 0)."""
    ct = (price + specific) / (1 - rate) * rate + specific
    vat = (price + ct) * VAT
    return fen(ct * FACTOR), fen(vat * FACTOR)


def assess(*lines: ImportLine) -> Any:
    order = ImportOrder(order_no="S1", on=ON, buyer_id_number="11010519491231002X", lines=lines)
    return assess_retail_import(order, TABLES, prior_purchases=D(0))


def test_beer_pays_250_a_tonne_its_litres_converted_at_988_a_tonne() -> None:
    """24 cans of 0.5 L at 10: 12 L = 12/988 t; 240 / (12/988) = 19,760 a tonne ≥ 3,000, so 250."""
    a = assess(ImportLine(1, BEER, D(24), "007", D(10), qty1=D(12), unit1="095"))
    specific = F(250) * F(12, 988)
    ct, vat = expected(F(240), specific, F(0))
    line = a.lines[0]
    assert (line.consumption_tax, line.value_added_tax) == (ct, vat) == (D("2.13"), D("22.12"))
    assert line.specific is not None and line.specific.amount == D(250) and line.specific.unit == "tonne"
    assert a.tax_total == ct + vat


def test_cheap_beer_by_the_tonne_pays_220() -> None:
    """One tonne (unit 070) for 2,900: below 3,000 a tonne, so the lower amount, 220."""
    a = assess(ImportLine(1, BEER, D(1), "070", D(2900), qty1=D(1), unit1="070"))
    ct, vat = expected(F(2900), F(220), F(0))
    assert (a.consumption_tax, a.value_added_tax) == (ct, vat) == (D("154.00"), D("283.92"))
    basis = import_assessment_dict(a)["basis"]["lines"][0]["specific"]
    assert basis["amount"] == "220" and basis["tierMinimum"] == "3000" and basis["from"]["unit"] == "070"


def test_spirits_pay_20_percent_plus_half_a_yuan_per_500_ml() -> None:
    """A 0.7 L bottle of whisky at 500: S = 0.5 × 1.4 = 0.70 on top of the grossed-up 20%."""
    a = assess(ImportLine(1, WHISKY, D(1), "142", D(500), qty1=D("0.7"), unit1="095"))
    ct, vat = expected(F(500), F(1, 2) * F(14, 10), F(1, 5))
    assert (a.consumption_tax, a.value_added_tax) == (ct, vat) == (D("88.11"), D("56.95"))
    assert a.lines[0].consumption.rate == D("0.20")


def test_spirits_counted_in_ml_on_the_second_unit() -> None:
    """The legal quantity may be the second one, in ml: 1,500 ml = three times 500 ml."""
    a = assess(ImportLine(1, WHISKY, D(2), "142", D(300), qty2=D(1500), unit2="096"))
    ct, vat = expected(F(600), F(3, 2), F(1, 5))
    assert (a.consumption_tax, a.value_added_tax) == (ct, vat)


def test_wine_stays_ad_valorem() -> None:
    a = assess(ImportLine(1, WINE, D(1), "142", D(160), qty1=D("0.75"), unit1="095"))
    ct, vat = expected(F(160), F(0), F(1, 10))
    assert (a.consumption_tax, a.value_added_tax) == (ct, vat) == (D("12.44"), D("16.18"))
    assert a.lines[0].specific is None


def test_a_specific_tax_line_without_its_quantity_is_refused() -> None:
    """Beer counted in cans only (no litres or kg): refused, naming the order, line and field."""
    with pytest.raises(InvalidInput) as exc:
        assess(ImportLine(3, BEER, D(24), "007", D(10)))
    err = exc.value
    assert err.field == "qty1" and err.document == "import_order orderNo=S1"
    assert "line 3" in err.message_en and "qty1/unit1" in err.message_en and "tonne" in err.message_en
    assert "第 3 项" in err.message_zh and "法定数量" in err.message_zh
    assert err.details[0].line == 3


def test_a_quantity_in_pieces_cannot_be_turned_into_litres() -> None:
    with pytest.raises(InvalidInput) as exc:
        assess(ImportLine(1, WHISKY, D(1), "142", D(500), qty1=D(1), unit1="142"))
    assert exc.value.field == "qty1" and "qty1=1 142" in exc.value.message_en


def test_an_input_rate_replaces_the_specific_part() -> None:
    a = assess(ImportLine(1, BEER, D(24), "007", D(10), consumption_tax_rate=D("0.05")))
    ct, _ = expected(F(240), F(0), F(1, 20))
    assert a.consumption_tax == ct and a.lines[0].specific is None


def test_a_return_within_30_days_refunds_the_tax_and_the_quota() -> None:
    """海关总署公告2020年第45号: apply within 30 days of release; day 30 is within, day 31 not."""
    released = date(2026, 3, 1)
    on_time = retail_return_outcome(released, released + timedelta(days=30), late_return_quota_back=False)
    assert on_time.refunds_tax and on_time.gives_quota_back and on_time.deadline == date(2026, 3, 31)
    late = retail_return_outcome(released, released + timedelta(days=31), late_return_quota_back=False)
    assert not late.refunds_tax and not late.gives_quota_back
    assert "30" in late.reason_en and "税款不退" in late.reason_zh
    operator = retail_return_outcome(released, released + timedelta(days=40), late_return_quota_back=True)
    assert not operator.refunds_tax and operator.gives_quota_back
