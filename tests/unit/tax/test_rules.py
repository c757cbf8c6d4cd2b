"""Dated rules and rate tables: the right rule on each side of every change date."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from cbec.errors import InvalidInput, RuleViolation, UnknownCode
from cbec.tax.rates import FILES, load_tables, tax_tables
from cbec.tax.rules import (
    AnnualPeriod,
    add_months,
    annual_period,
    combined_retail_rate,
    deemed_profit_rule,
    general_trade_rate,
    late_refund_claim_allowed,
    no_invoice_exemption_rule,
    refund_claim_deadline,
    retail_import_rules,
    return_deadline,
    return_policy_window,
    statutory_import_taxes,
)

D = Decimal
TABLES = tax_tables()


def _copy_tables(tmp_path: Path) -> Path:
    for name in FILES:
        src = resources.files("cbec.tax").joinpath("data", name)
        with resources.as_file(src) as p:
            shutil.copy(p, tmp_path / name)
    return tmp_path


# --- retail import limits (财关税〔2016〕18号 → 〔2018〕49号) ---------------------------------


def test_limits_switch_on_2019_01_01() -> None:
    old = retail_import_rules(date(2018, 12, 31))
    new = retail_import_rules(date(2019, 1, 1))
    assert (old.single_limit, old.annual_limit) == (D(2000), D(20000))
    assert (new.single_limit, new.annual_limit) == (D(5000), D(26000))
    assert old.id == "CN-CBEC-RETAIL-2016" and new.id == "CN-CBEC-RETAIL-2019"
    assert "财关税〔2018〕49号" in new.sources and "财关税〔2018〕49号" not in old.sources
    assert not old.single_item_over_limit_in_channel and new.single_item_over_limit_in_channel
    assert old.within_limit_factor == new.within_limit_factor == D("0.7")
    assert old.within_limit_tariff_rate == new.within_limit_tariff_rate == 0


def test_no_rule_set_before_the_2016_regime() -> None:
    assert retail_import_rules(date(2016, 4, 8)).id == "CN-CBEC-RETAIL-2016"
    with pytest.raises(RuleViolation) as exc:
        retail_import_rules(date(2016, 4, 7))
    assert "2016-04-08" in exc.value.message_en and "行邮税" in exc.value.message_zh


@pytest.mark.parametrize(
    ("vat", "ct", "published"),
    [
        ("0.13", "0", "0.091"),  # RULES.md §1.3: 9.1%
        ("0.09", "0", "0.063"),  # 6.3%
        ("0.13", "0.15", "0.231"),  # high-end cosmetics 23.1%
        ("0.13", "0.10", "0.179"),  # wine 17.9%
        ("0.17", "0", "0.119"),  # old 17% VAT: 11.9%
        ("0.17", "0.15", "0.2635"),  # RULES.md: 26.35% (one source prints 26.37)
    ],
)
def test_combined_rates_match_the_published_tables(vat: str, ct: str, published: str) -> None:
    rate = combined_retail_rate(D(vat), D(ct), D("0.7"))
    places = D(1).scaleb(-len(published.split(".")[1]))
    assert rate.quantize(places) == D(published)


def test_general_trade_formula_matches_the_parts() -> None:
    # RULES.md §1.4 A under general trade (MFN 1%): 8.30 + 147.94 + 128.21 = 284.45
    parts = statutory_import_taxes(D(830), tariff_rate=D("0.01"), vat_rate=D("0.13"), consumption_tax_rate=D("0.15"))
    fen = D("0.01")
    assert [p.quantize(fen) for p in (parts.customs_tax, parts.consumption_tax, parts.value_added_tax)] == [
        D("8.30"),
        D("147.94"),
        D("128.21"),
    ]
    assert (D(830) * general_trade_rate(D("0.01"), D("0.13"), D("0.15"))).quantize(fen) == D("284.45")


def test_annual_period() -> None:
    on = date(2026, 3, 15)
    assert annual_period(on, AnnualPeriod.CALENDAR_YEAR) == (date(2026, 1, 1), date(2026, 12, 31))
    assert annual_period(on, AnnualPeriod.ROLLING_12_MONTHS) == (date(2025, 3, 16), date(2026, 3, 15))


# --- VAT rates by date (17% → 16% on 2018-05-01 → 13% on 2019-04-01) -------------------------


@pytest.mark.parametrize(
    ("on", "standard", "books"),
    [
        (date(2017, 6, 30), "0.17", "0.13"),
        (date(2017, 7, 1), "0.17", "0.11"),
        (date(2018, 4, 30), "0.17", "0.11"),
        (date(2018, 5, 1), "0.16", "0.10"),
        (date(2019, 3, 31), "0.16", "0.10"),
        (date(2019, 4, 1), "0.13", "0.09"),
        (date(2026, 1, 1), "0.13", "0.09"),
    ],
)
def test_vat_rate_follows_the_date(on: date, standard: str, books: str) -> None:
    assert TABLES.vat_rate("8516310000", on).rate == D(standard)
    assert TABLES.vat_rate("4901990000", on).rate == D(books)


def test_vat_rows_cite_their_source() -> None:
    row = TABLES.vat_rate("8516310000", date(2019, 4, 1))
    assert "2019年第39号" in row.source and row.status == "C" and row.hs_prefix == ""
    assert TABLES.vat_rate("8516310000", date(2018, 5, 1)).status == "I"


# --- refund rates (2019-04-01; 2024-12-01 cuts) ------------------------------------------------


@pytest.mark.parametrize(
    ("gcode", "before", "after"),
    [
        ("7606125000", "0.13", "0"),  # aluminium plate: refund cancelled
        ("7408110000", "0.13", "0"),  # copper wire: refund cancelled
        ("8541430000", "0.13", "0.09"),  # PV modules: 13% → 9%
        ("8507600090", "0.13", "0.09"),  # lithium-ion batteries: 13% → 9%
    ],
)
def test_refund_rate_cuts_of_2024_12_01(gcode: str, before: str, after: str) -> None:
    old = TABLES.refund_rate(gcode, date(2024, 11, 30))
    new = TABLES.refund_rate(gcode, date(2024, 12, 1))
    assert (old.rate, new.rate) == (D(before), D(after))
    assert "2024年第15号" in new.source


def test_refund_rate_cut_of_2019_04_01() -> None:
    assert TABLES.refund_rate("6109100021", date(2019, 3, 31)).rate == D("0.16")
    assert TABLES.refund_rate("6109100021", date(2019, 4, 1)).rate == D("0.13")


def test_missing_rate_asks_for_an_override() -> None:
    with pytest.raises(UnknownCode) as exc:
        TABLES.refund_rate("0101210010", date(2025, 1, 1))
    assert exc.value.field == "refundRate" and "refundRate" in exc.value.message_zh
    with pytest.raises(UnknownCode) as exc:
        TABLES.tariff_rate("9102110000", date(2025, 1, 1))
    assert exc.value.field == "tariffRate"


def test_longest_prefix_wins(tmp_path: Path) -> None:
    folder = _copy_tables(tmp_path)
    with (folder / "refund_rates.csv").open("a", encoding="utf-8") as f:
        f.write("6109100021,0.06,2019-04-01,,I,operator test row,one code at 6%\n")
    tables = load_tables(folder)
    assert tables.refund_rate("6109100021", date(2025, 1, 1)).rate == D("0.06")
    assert tables.refund_rate("6109100022", date(2025, 1, 1)).rate == D("0.13")
    assert tables.origins["refund_rates.csv"] == str(folder / "refund_rates.csv")


# --- tables an operator replaces ---------------------------------------------------------------


def test_operator_folder_overrides_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "tariff_rates.csv").write_text(
        "hs_prefix,rate,valid_from,valid_to,status,source,note\n9102,0.08,2020-01-01,,starter,operator MFN,watches\n",
        encoding="utf-8",
    )
    tables = load_tables(tmp_path)
    assert tables.tariff_rate("9102110000", date(2025, 1, 1)).rate == D("0.08")
    assert tables.origins["tariff_rates.csv"] != "builtin" and tables.origins["vat_rates.csv"] == "builtin"
    assert tables.digest != TABLES.digest


def test_bad_tables_are_refused_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "vat_rates.csv").write_text(
        "hs_prefix,category,rate,valid_from,valid_to,status,source,note\n"
        ",standard,13,2019-04-01,,C,x,rate given as a percentage\n"
        "4901,reduced,0.09,2019-04-01,,Q,x,bad status\n"
        "4902,reduced,0.09,2019-04-01,2020-01-01,C,,no source\n"
        "4902,reduced,0.09,2019-12-01,,C,x,overlaps the row before\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as exc:
        load_tables(tmp_path)
    problems = {(d.document, d.line, d.field) for d in exc.value.details}
    assert ("vat_rates.csv", 2, "rate") in problems
    assert ("vat_rates.csv", 3, "status") in problems
    assert ("vat_rates.csv", 4, "source") in problems
    assert ("vat_rates.csv", 5, "valid_from") in problems
    assert all(d.message_zh and d.message_en for d in exc.value.details)


def test_a_specific_or_compound_row_needs_its_amount_and_unit(tmp_path: Path) -> None:
    """A specific row without its amount per unit, a compound one at rate 0 and an unknown kind
    are refused with the file and row, rather than taxed as if ad valorem."""
    folder = _copy_tables(tmp_path)
    path = folder / "consumption_tax.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0]
    assert header.split(",")[:9] == [
        "hs_prefix", "category", "rate", "kind", "specific_amount", "specific_unit",
        "tier_price_per_unit", "specific_amount_below_tier", "litres_per_tonne",
    ]  # fmt: skip
    rows += [
        "2209,vinegar,0,specific,,,,,,,,2006-04-01,,I,test,no amount",
        "2207,alcohol,0,compound,1,litre,,,,,,2006-04-01,,I,test,compound at 0",
        "2201,water,0.1,per_bottle,,,,,,,,2006-04-01,,I,test,unknown kind",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        load_tables(folder)
    n = len(rows)
    problems = {(d.line, d.field) for d in exc.value.details}
    assert (n - 2, "specific_unit") in problems
    assert (n - 1, "rate") in problems
    assert (n, "kind") in problems


def test_policy_values_are_checked(tmp_path: Path) -> None:
    folder = _copy_tables(tmp_path)
    text = (folder / "policy.csv").read_text(encoding="utf-8").replace("ROUND_HALF_UP", "ROUND_SOMETIMES")
    (folder / "policy.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        load_tables(folder)
    assert any("rounding.mode" in d.message_en for d in exc.value.details)


def test_policy_marks_the_inferred_assumptions() -> None:
    policy = TABLES.policy
    assert policy.rounding_quantum == D("0.01") and policy.rounding_scope == "line"
    assert policy.annual_period is AnnualPeriod.CALENDAR_YEAR
    assert all(v.status == "I" and v.source for v in policy.values.values())
    assert policy.round(D("0.005")) == D("0.01")  # half up, not banker's rounding


# --- export refund dates -----------------------------------------------------------------------


def test_refund_deadline_is_30_april_of_the_next_year() -> None:
    assert refund_claim_deadline(date(2025, 3, 15)) == date(2026, 4, 30)
    assert refund_claim_deadline(date(2025, 12, 31)) == date(2026, 4, 30)
    assert refund_claim_deadline(date(2026, 1, 1)) == date(2027, 4, 30)


def test_late_claims_relaxed_from_2020_01_20() -> None:
    assert not late_refund_claim_allowed(date(2020, 1, 19))
    assert late_refund_claim_allowed(date(2020, 1, 20))


def test_no_invoice_exemption_from_2018_10_01() -> None:
    assert no_invoice_exemption_rule(date(2018, 9, 30)) is None
    rule = no_invoice_exemption_rule(date(2018, 10, 1))
    assert rule is not None and rule.source == "财税〔2018〕103号" and rule.trade_modes == {"9610"}


def test_deemed_profit_from_2020() -> None:
    assert deemed_profit_rule(2019) is None
    rule = deemed_profit_rule(2020)
    assert rule is not None and rule.taxable_income_rate == D("0.04") and "2019年第36号" in rule.source


# --- returned goods windows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("export_on", "window_id"),
    [
        (date(2023, 1, 29), None),
        (date(2023, 1, 30), "CN-CBEC-RETURN-2023"),
        (date(2024, 6, 1), "CN-CBEC-RETURN-2023"),  # covered by the 34号 extension
        (date(2025, 12, 31), "CN-CBEC-RETURN-2023"),
        (date(2026, 1, 1), "CN-CBEC-RETURN-2026"),  # 2026年第16号, no gap
        (date(2027, 12, 31), "CN-CBEC-RETURN-2026"),
        (date(2028, 1, 1), None),
    ],
)
def test_return_policy_windows(export_on: date, window_id: str | None) -> None:
    window = return_policy_window(export_on)
    assert (window.id if window else None) == window_id


def test_return_deadline_is_six_months() -> None:
    assert return_deadline(date(2026, 3, 1)) == date(2026, 9, 1)  # RULES.md §4 example
    assert return_deadline(date(2025, 8, 31)) == date(2026, 2, 28)  # clamped to the month's end
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 3, 15), -12) == date(2025, 3, 15)
