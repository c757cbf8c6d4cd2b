"""Orders in a currency without a customs code: converted to CNY at the operator's rate, with the
rate, its day and source noted; without a rate, kept and marked, never declared under an
invented code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cbec.errors import InvalidInput
from cbec.intake.documents import DocType, ParsedDocument
from cbec.intake.rules import convert_to_cny, validate
from cbec.kit.codes import code_lists
from cbec.kit.fx import FxRate, FxTable

RATES = FxTable(
    (
        FxRate("MXN", Decimal("0.4012"), date(2026, 5, 1), date(2026, 5, 31), "zone rates of May 2026"),
        FxRate("MXN", Decimal("0.3990"), date(2026, 6, 1), None, "zone rates of June 2026"),
    )
)


def _order(currency: str = "MXN", on: str = "20260515093000") -> ParsedDocument:
    lines = (
        {"gnum": 1, "itemNo": "A", "itemName": "mug", "unit": "011", "currency": currency, "qty": Decimal(3),
         "price": Decimal("99.99"), "totalPrice": Decimal("299.97")},
        {"gnum": 2, "itemNo": "B", "itemName": "tray", "unit": "011", "currency": currency, "qty": Decimal(1),
         "price": Decimal("150.00"), "totalPrice": Decimal("150.00")},
    )  # fmt: skip
    head = {"orderType": "E", "orderNo": "MX-1", "ebpCode": "无", "ebpName": "Amazon", "ebcCode": "91330782MA2DEMN016",
            "ebcName": "卖家", "goodsValue": Decimal("449.97"), "freight": Decimal("49.00"), "currency": currency,
            "orderTime": on, "destinationCountry": "439"}  # fmt: skip
    return ParsedDocument(DocType.EXPORT_ORDER, head, lines, "row 2")


def test_converted_to_the_fen_line_by_line_with_the_rate_shown() -> None:
    converted, errors = convert_to_cny(_order(), RATES)
    assert errors == []
    assert converted.head["currency"] == "142"
    assert [ln["totalPrice"] for ln in converted.lines] == [Decimal("120.35"), Decimal("60.18")]
    assert converted.head["goodsValue"] == Decimal("180.53")  # the sum of the converted lines
    assert converted.head["freight"] == Decimal("19.66")
    assert all(ln["currency"] == "142" for ln in converted.lines)
    assert "0.4012" in converted.notes[-1] and "2026-05-01" in converted.notes[-1] and "May 2026" in converted.notes[-1]
    _, problems = validate(converted, code_lists())
    assert problems == []  # the arithmetic holds after conversion


def test_the_rate_of_the_orders_day_applies() -> None:
    converted, _ = convert_to_cny(_order(on="20260702120000"), RATES)
    assert "0.3990" in converted.notes[-1]


def test_without_a_rate_the_order_is_kept_and_says_what_is_missing() -> None:
    doc, errors = convert_to_cny(_order(on="20260415000000"), RATES)
    assert doc.head["currency"] == "MXN"
    assert [(e.code, e.field) for e in errors] == [("no_rate", "currency")]
    assert "2026-04-15" in errors[0].message_en and "CBEC_FX_RATES_FILE" in errors[0].message_zh


def test_a_customs_currency_is_left_alone() -> None:
    doc = _order(currency="502")
    assert convert_to_cny(doc, RATES) == (doc, [])


def test_parsers_keep_a_real_iso_currency_and_refuse_an_invented_one() -> None:
    codes = code_lists()
    assert codes.currency_or_iso("usd") == "502"
    assert codes.currency_or_iso("MXN") == "MXN"
    with pytest.raises(Exception, match="XYZ"):
        codes.currency_or_iso("XYZ")


def test_a_bad_rates_file_names_its_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("currency,cny_per_unit,valid_from,valid_to,source\nMXN,0.40,2026-05-01,,ok\nBRL,-1,2026-05-01,,x\n")
    with pytest.raises(InvalidInput) as bad:
        FxTable.load(path)
    assert bad.value.field == "cny_per_unit" and "row 3" in bad.value.message_en
