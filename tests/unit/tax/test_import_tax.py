"""Retail import tax: RULES.md §1.4 worked examples to the fen, limits, dates, thresholds, JSON."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cbec.cli.tax import app
from cbec.errors import InvalidInput, RuleViolation, UnknownCode
from cbec.tax.import_tax import (
    ImportLine,
    ImportOrder,
    Treatment,
    assess_retail_import,
    assess_with_ledger,
)
from cbec.tax.present import import_assessment_dict
from cbec.tax.rates import FILES, load_tables, tax_tables
from cbec.tax.reader import parse_import_order

D = Decimal
TABLES = tax_tables()
ON = date(2026, 3, 15)
BUYER = "11010519491231002X"
CREAM = "3304990029"  # high-end cosmetics when ≥ CNY 10/ml
SHAMPOO = "3305100000"  # not a consumption-tax item
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "tax"


def line(gcode: str = CREAM, price: str = "800", qty: str = "1", gnum: int = 1, **kw: Any) -> ImportLine:
    return ImportLine(gnum=gnum, gcode=gcode, qty=D(qty), unit="007", price=D(price), **kw)


def order(*lines: ImportLine, on: date = ON, freight: str = "0", **kw: Any) -> ImportOrder:
    return ImportOrder(order_no="T1", on=on, buyer_id_number=BUYER, lines=lines, freight=D(freight), **kw)


def taxes(a: Any) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return a.customs_tax, a.consumption_tax, a.value_added_tax, a.tax_total


# --- RULES.md §1.4 worked examples ---------------------------------------------------------------


def test_example_a_high_end_cream_within_the_limits() -> None:
    a = assess_retail_import(
        order(line(price="800", qty2=D(50), unit2="096"), freight="30"), TABLES, prior_purchases=D(0)
    )
    assert a.treatment is Treatment.WITHIN_LIMITS and a.limits.is_within_limits
    assert a.lines[0].tax_price == D("830.00")
    assert taxes(a) == (D("0.00"), D("102.53"), D("88.86"), D("191.39"))
    stat = a.lines[0].statutory
    assert stat.consumption_tax.quantize(D("0.01")) == D("146.47")
    assert stat.value_added_tax.quantize(D("0.01")) == D("126.94")
    assert a.lines[0].threshold is not None and a.lines[0].threshold.unit_price == D(16)


def test_example_b_ordinary_cosmetics() -> None:
    a = assess_retail_import(order(line(SHAMPOO, price="500")), TABLES, prior_purchases=D(0))
    assert taxes(a) == (D(0), D(0), D("45.50"), D("45.50"))
    # the same amount of cream below the 10 CNY/ml threshold is ordinary cosmetics too
    b = assess_retail_import(order(line(price="500", qty2=D(500), unit2="096")), TABLES, prior_purchases=D(0))
    assert taxes(b) == (D(0), D(0), D("45.50"), D("45.50"))


def test_example_c_single_item_over_5000_fully_taxed_and_counted() -> None:
    a = assess_retail_import(order(line(price="6000", qty2=D(50), unit2="096")), TABLES, prior_purchases=D(0))
    assert a.treatment is Treatment.SINGLE_ITEM_OVER_LIMIT and not a.limits.is_within_limits
    assert taxes(a) == (D("60.00"), D("1069.41"), D("926.82"), D("2056.23"))
    assert a.lines[0].tariff.rate == D("0.01") and a.lines[0].tariff.status == "starter"
    assert a.lines[0].factor == 1
    assert a.limits.counts_toward_annual and a.limits.after_order == D(6000) and a.limits.remaining == D(20000)


def test_example_d_annual_limit_crossing_is_refused_with_the_reason() -> None:
    with pytest.raises(RuleViolation) as exc:
        assess_retail_import(order(line(SHAMPOO, price="3000")), TABLES, prior_purchases=D(24000))
    err = exc.value
    assert "27,000.00" in err.message_en and "26,000.00" in err.message_en and "general trade" in err.message_en
    assert "年度交易限值" in err.message_zh and "一般贸易" in err.message_zh
    assert err.field == "priorPurchases" and err.details[0].code == "annual_limit"
    # 2,000 brings the total to exactly 26,000: allowed
    a = assess_retail_import(order(line(SHAMPOO, price="2000")), TABLES, prior_purchases=D(24000))
    assert a.limits.after_order == D(26000) and a.limits.remaining == 0


# --- limits -------------------------------------------------------------------------------------


def test_several_items_over_the_single_limit_are_refused() -> None:
    o = order(line(SHAMPOO, price="2600", qty="2"))
    with pytest.raises(RuleViolation) as exc:
        assess_retail_import(o, TABLES, prior_purchases=D(0))
    assert exc.value.details[0].code == "single_limit"
    assert "5,200.00" in exc.value.message_en and "5,000.00" in exc.value.message_en


def test_order_exactly_at_the_single_limit_is_within() -> None:
    a = assess_retail_import(order(line(SHAMPOO, price="2500", qty="2")), TABLES, prior_purchases=D(0))
    assert a.treatment is Treatment.WITHIN_LIMITS


def test_2018_12_31_versus_2019_01_01() -> None:
    several = order(line(SHAMPOO, price="1500", qty="2"), on=date(2018, 12, 31))
    with pytest.raises(RuleViolation) as exc:
        assess_retail_import(several, TABLES, prior_purchases=D(0))
    assert "2,000.00" in exc.value.message_en and "财关税〔2016〕18号" in exc.value.message_en
    a = assess_retail_import(
        order(line(SHAMPOO, price="1500", qty="2"), on=date(2019, 1, 1)), TABLES, prior_purchases=D(0)
    )
    assert a.rule_set.id == "CN-CBEC-RETAIL-2019" and a.treatment is Treatment.WITHIN_LIMITS
    # one item over 2,000 could not clear as CBEC under 18号; from 2019 it is within the 5,000
    with pytest.raises(RuleViolation) as exc:
        assess_retail_import(order(line(SHAMPOO, price="3000"), on=date(2018, 12, 31)), TABLES, prior_purchases=D(0))
    assert exc.value.details[0].code == "single_item_limit"
    assert assess_retail_import(order(line(SHAMPOO, price="3000"), on=date(2019, 1, 1)), TABLES, prior_purchases=D(0))
    # the annual limit: 19,000 + 1,500 is over 20,000 in 2018, within 26,000 in 2019
    with pytest.raises(RuleViolation):
        assess_retail_import(
            order(line(SHAMPOO, price="1500"), on=date(2018, 12, 31)), TABLES, prior_purchases=D(19000)
        )
    assert assess_retail_import(
        order(line(SHAMPOO, price="1500"), on=date(2019, 1, 1)), TABLES, prior_purchases=D(19000)
    ).limits.remaining == D(5500)


@pytest.mark.parametrize(
    ("on", "vat"),
    [
        (date(2018, 4, 30), "119.00"),  # 1000 × 17% × 0.7
        (date(2018, 5, 1), "112.00"),  # 16%
        (date(2019, 3, 31), "112.00"),
        (date(2019, 4, 1), "91.00"),  # 13%
    ],
)
def test_vat_rate_of_the_order_date(on: date, vat: str) -> None:
    a = assess_retail_import(order(line(SHAMPOO, price="1000"), on=on), TABLES, prior_purchases=D(0))
    assert a.value_added_tax == D(vat)
    assert a.lines[0].vat.valid_from is not None and a.lines[0].vat.valid_from <= on


def test_freight_is_shared_by_value_and_discount_is_not_deducted() -> None:
    o = order(line(SHAMPOO, price="100", gnum=1), line(SHAMPOO, price="200", gnum=2), freight="10", discount=D("50"))
    a = assess_retail_import(o, TABLES, prior_purchases=D(0))
    assert [t.freight_share for t in a.lines] == [D("3.33"), D("6.67")]
    assert sum(t.tax_price for t in a.lines) == D(310) == a.limits.order_value


def test_the_ledger_is_asked_for_the_calendar_year() -> None:
    asked: list[tuple[str, date, date]] = []

    class Ledger:
        def used_amount(self, buyer_id_number: str, start: date, end: date) -> Decimal:
            asked.append((buyer_id_number, start, end))
            return D(25000)

    with pytest.raises(RuleViolation):
        assess_with_ledger(order(line(SHAMPOO, price="1500")), TABLES, Ledger())
    assert asked == [(BUYER, date(2026, 1, 1), date(2026, 12, 31))]


# --- cosmetics threshold (≥ 10 CNY per ml or g, ≥ 15 CNY per piece) ------------------------------


@pytest.mark.parametrize(
    ("price", "qty2", "unit2", "taxable"),
    [
        ("500.00", "50", "096", True),  # exactly 10.00 per ml
        ("499.50", "50", "096", False),  # 9.99 per ml
        ("500.00", "0.05", "095", True),  # 0.05 L = 50 ml
        ("300.00", "30", "036", True),  # 10 per g
        ("150.00", "10", "020", True),  # exactly 15 per 片
        ("149.90", "10", "020", False),  # 14.99 per 片
        ("100.00", "10", "020", False),  # RULES.md: 10-piece box of masks at 100 = 10 per piece
    ],
)
def test_cosmetics_threshold(price: str, qty2: str, unit2: str, taxable: bool) -> None:
    a = assess_retail_import(order(line(price=price, qty2=D(qty2), unit2=unit2)), TABLES, prior_purchases=D(0))
    t = a.lines[0]
    assert t.threshold is not None and t.threshold.is_taxable is taxable
    assert (t.consumption.rate == D("0.15")) is taxable
    assert (a.consumption_tax > 0) is taxable


def test_threshold_needs_the_second_unit() -> None:
    with pytest.raises(InvalidInput) as exc:
        assess_retail_import(order(line(price="800", gnum=3)), TABLES, prior_purchases=D(0))
    assert exc.value.field == "qty2" and exc.value.details[0].line == 3
    assert "qty2" in exc.value.message_en and "第二数量" in exc.value.message_zh
    with pytest.raises(InvalidInput) as exc:
        assess_retail_import(order(line(price="800", qty2=D(1), unit2="011")), TABLES, prior_purchases=D(0))
    assert exc.value.field == "unit2"


# --- overrides ----------------------------------------------------------------------------------


def test_per_line_overrides_win_and_are_recorded() -> None:
    a = assess_retail_import(order(line(SHAMPOO, price="500", vat_rate=D("0.09"))), TABLES, prior_purchases=D(0))
    assert a.value_added_tax == D("31.50") and a.lines[0].vat.origin == "input"
    # a consumption-tax override replaces the table and the threshold check
    b = assess_retail_import(order(line(price="800", consumption_tax_rate=D(0))), TABLES, prior_purchases=D(0))
    assert b.consumption_tax == 0 and b.lines[0].threshold is None
    # an over-limit item whose tariff is not in the starter table needs tariffRate
    watch = line("9102110000", price="6000")
    with pytest.raises(UnknownCode) as exc:
        assess_retail_import(order(watch), TABLES, prior_purchases=D(0))
    assert exc.value.field == "tariffRate"
    c = assess_retail_import(
        order(line("9102110000", price="6000", tariff_rate=D("0.08"))), TABLES, prior_purchases=D(0)
    )
    assert taxes(c) == (D("480.00"), D(0), D("842.40"), D("1322.40"))  # 6000×8%; 6480×13%


# --- rounding -----------------------------------------------------------------------------------


def _order_scope_tables(tmp_path: Path) -> Any:
    for name in FILES:
        with resources.as_file(resources.files("cbec.tax").joinpath("data", name)) as p:
            shutil.copy(p, tmp_path / name)
    policy = tmp_path / "policy.csv"
    policy.write_text(policy.read_text(encoding="utf-8").replace("rounding.scope,line", "rounding.scope,order"))
    return load_tables(tmp_path)


def test_rounding_per_line_by_default_or_per_order(tmp_path: Path) -> None:
    # three lines of 10.05: VAT 0.91455 each → 0.91 a line → 2.73; unrounded sum 2.74365 → 2.74
    lines = [line(SHAMPOO, price="10.05", gnum=g) for g in (1, 2, 3)]
    a = assess_retail_import(order(*lines), TABLES, prior_purchases=D(0))
    assert [t.value_added_tax for t in a.lines] == [D("0.91")] * 3 and a.value_added_tax == D("2.73")
    b = assess_retail_import(order(*lines), _order_scope_tables(tmp_path), prior_purchases=D(0))
    assert b.value_added_tax == D("2.74") and b.tax_total == D("2.74")


# --- property ------------------------------------------------------------------------------------

_prices = st.decimals(min_value=D("0.01"), max_value=D("1600"), places=2)
_line_data = st.tuples(
    _prices,
    st.integers(min_value=1, max_value=3),
    st.sampled_from([D("0.13"), D("0.09"), D("0.17")]),
    st.sampled_from([D(0), D("0.10"), D("0.15"), D("0.30")]),
)


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(_line_data, min_size=1, max_size=3),
    freight=st.decimals(min_value=D(0), max_value=D(50), places=2),
)
def test_within_limits_tax_is_70_percent_of_statutory(data: list[Any], freight: Decimal) -> None:
    lines = [
        line(SHAMPOO, price=str(p), qty=str(q), gnum=i, vat_rate=v, consumption_tax_rate=c)
        for i, (p, q, v, c) in enumerate(data, start=1)
    ]
    o = order(*lines, freight=str(freight))
    if o.dutiable_value > 5000:
        return
    a = assess_retail_import(o, TABLES, prior_purchases=D(0))
    assert a.tax_total == a.customs_tax + a.value_added_tax + a.consumption_tax
    assert a.customs_tax == 0
    assert min(a.value_added_tax, a.consumption_tax) >= 0
    assert a.value_added_tax == sum(t.value_added_tax for t in a.lines)
    assert sum(t.tax_price for t in a.lines) == o.dutiable_value
    for t in a.lines:
        assert t.tax_total == t.customs_tax + t.value_added_tax + t.consumption_tax
        # each tax is 70% of the statutory amount, give or take half a fen of rounding
        assert abs(t.consumption_tax - D("0.7") * t.statutory.consumption_tax) <= D("0.005")
        assert abs(t.value_added_tax - D("0.7") * t.statutory.value_added_tax) <= D("0.005")


# --- JSON in, JSON out ----------------------------------------------------------------------------


def _order_json(**head: Any) -> dict[str, Any]:
    return {
        "OrderHead": {
            "orderNo": "T2026031500012345",
            "appTime": "20260315103000",
            "freight": "30",
            "discount": "0",
            "buyerIdNumber": BUYER,
            **head,
        },
        "OrderList": [
            {"gnum": 1, "gcode": CREAM, "qty": "1", "unit": "007", "price": "800", "qty2": "50", "unit2": "ml"}
        ],
    }


def test_json_example_a_and_its_basis() -> None:
    request = parse_import_order(_order_json())
    assert request.order.on == date(2026, 3, 15) and request.date_source == "appTime"
    out = import_assessment_dict(
        assess_retail_import(request.order, TABLES, prior_purchases=request.prior_purchases),
        date_source=request.date_source,
    )
    assert (out["customsTax"], out["valueAddedTax"], out["consumptionTax"], out["taxTotal"]) == (
        "0.00",
        "88.86",
        "102.53",
        "191.39",
    )
    assert out["withinLimits"] is True and out["buyerIdNumber"] == "110105********002X"
    basis = out["basis"]
    assert basis["ruleSet"]["id"] == "CN-CBEC-RETAIL-2019" and basis["on"] == "2026-03-15"
    ct = basis["lines"][0]["consumptionTaxRate"]
    assert ct["rate"] == "0.15" and ct["table"] == "consumption_tax.csv" and ct["source"]
    assert basis["lines"][0]["threshold"]["unitPrice"] == "16.0000"
    assert {p["key"] for p in basis["policy"]} >= {"rounding.scope", "retail.annual_period"}
    assert len(basis["tables"]["sha256"]) == 64


def test_json_on_overrides_app_time() -> None:
    request = parse_import_order(_order_json(on="2018-04-30"))
    assert request.order.on == date(2018, 4, 30) and request.date_source == "on"


def test_json_errors_name_every_field_in_both_languages() -> None:
    data = _order_json(orderNo="", buyerIdNumber="110105194912310021", appTime="2026-03-15")
    data["OrderList"][0].update(gcode="33049900", vatRate="13", totalPrice="900", qty="-1")
    data["OrderList"].append({"gnum": 1, "gcode": "abc", "unit": "zz", "price": "x"})
    with pytest.raises(InvalidInput) as exc:
        parse_import_order(data)
    fields = {(d.field, d.line) for d in exc.value.details}
    assert ("orderNo", None) in fields
    assert ("buyerIdNumber", None) in fields
    assert ("appTime", None) in fields
    assert ("qty", 1) in fields
    assert ("vatRate", 1) in fields
    assert ("gcode", 1) in fields  # the second line, also gnum 1
    assert ("unit", 1) in fields and ("price", 1) in fields
    assert all(d.message_zh and d.message_en for d in exc.value.details)
    vat = next(d for d in exc.value.details if d.field == "vatRate")
    assert "0.13" in vat.message_en


def test_json_totals_are_checked() -> None:
    data = _order_json(goodsValue="700")
    data["OrderList"][0]["totalPrice"] = "800.00"
    with pytest.raises(InvalidInput) as exc:
        parse_import_order(data)
    assert [(d.field, d.code) for d in exc.value.details] == [("goodsValue", "arithmetic")]


def test_json_refusal_keeps_the_reason() -> None:
    data = _order_json()
    data["priorPurchases"] = "25500"
    request = parse_import_order(data)
    with pytest.raises(RuleViolation) as exc:
        assess_retail_import(request.order, TABLES, prior_purchases=request.prior_purchases)
    out = exc.value.as_dict()
    assert out["error"] == "rule_violation" and out["details"][0]["code"] == "annual_limit"
    assert "26,330.00" in out["message_en"]


@pytest.mark.e2e
def test_cli_import_example() -> None:
    result = CliRunner().invoke(app, ["import", str(EXAMPLES / "import-order.json"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["withinLimits"] is True
    assert out["taxTotal"] == "237.28"
    assert [line["consumptionTax"] for line in out["lines"]] == ["101.38", "0.00", "12.77"]
    text = CliRunner().invoke(app, ["import", str(EXAMPLES / "import-order.json")])
    assert text.exit_code == 0 and "237.28" in text.stdout


@pytest.mark.e2e
def test_cli_refusal_is_json_and_exit_1(tmp_path: Path) -> None:
    data = _order_json()
    data["priorPurchases"] = "26000"
    path = tmp_path / "order.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(path), "--json"])
    assert result.exit_code == 1
    err = json.loads(result.stdout)
    assert err["error"] == "rule_violation" and err["message_zh"] and err["message_en"]
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(bad), "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["error"] == "invalid_input"


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(_line_data, min_size=1, max_size=3),
    tariff=st.sampled_from([D(0), D("0.05"), D("0.10"), D("0.20")]),
)
def test_retail_tax_never_exceeds_general_trade_on_the_same_goods(data: list[Any], tariff: Decimal) -> None:
    from cbec.tax.rules import statutory_import_taxes

    lines = [
        line(SHAMPOO, price=str(p), qty=str(q), gnum=i, vat_rate=v, consumption_tax_rate=c)
        for i, (p, q, v, c) in enumerate(data, start=1)
    ]
    o = order(*lines)
    if o.dutiable_value > 5000:
        return
    a = assess_retail_import(o, TABLES, prior_purchases=D(0))
    general = D(0)
    for t, (_, _, v, c) in zip(a.lines, data, strict=True):
        g = statutory_import_taxes(t.tax_price, tariff_rate=tariff, vat_rate=v, consumption_tax_rate=c)
        general += (g.customs_tax + g.consumption_tax + g.value_added_tax).quantize(D("0.01"))
    assert a.tax_total <= general + D("0.01") * len(a.lines)  # within rounding of each line


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(_line_data, min_size=2, max_size=4),
    prior=st.decimals(min_value=D(0), max_value=D(26000), places=2),
)
def test_an_order_that_fits_the_quota_still_fits_without_a_line(data: list[Any], prior: Decimal) -> None:
    lines = [
        line(SHAMPOO, price=str(p), qty=str(q), gnum=i, vat_rate=v, consumption_tax_rate=c)
        for i, (p, q, v, c) in enumerate(data, start=1)
    ]
    try:
        assess_retail_import(order(*lines), TABLES, prior_purchases=prior)
    except RuleViolation:
        return  # does not fit: nothing to check
    smaller = assess_retail_import(order(*lines[:-1]), TABLES, prior_purchases=prior)  # must not raise
    assert smaller.tax_total >= 0


def test_missing_buyer_id_and_a_date_no_rule_set_covers_are_named() -> None:
    data = _order_json()
    del data["OrderHead"]["buyerIdNumber"]
    with pytest.raises(InvalidInput) as exc:
        parse_import_order(data)
    assert ("buyerIdNumber", None) in {(d.field, d.line) for d in exc.value.details}
    early = _order_json(appTime="20150101120000")
    with pytest.raises((InvalidInput, RuleViolation, UnknownCode)) as exc2:
        request = parse_import_order(early)
        assess_retail_import(request.order, TABLES, prior_purchases=D(0))
    assert "2015" in exc2.value.message_en or "rule" in exc2.value.message_en.lower()
    assert exc2.value.message_zh
