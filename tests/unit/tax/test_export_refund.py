"""Export refund and exemption: RULES.md §3.4 and §3.7 worked examples, deadlines, 无票免税 reasons."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cbec.cli.tax import app
from cbec.errors import InvalidInput
from cbec.tax.export_refund import (
    CreditPosition,
    EnterpriseKind,
    ExportClaim,
    ExportLine,
    ExportTreatment,
    assess_export_refund,
)
from cbec.tax.income_tax import IncomeTaxInput, assess_deemed_profit_tax
from cbec.tax.present import export_assessment_dict
from cbec.tax.rates import tax_tables
from cbec.tax.reader import parse_export_claim

D = Decimal
TABLES = tax_tables()
SHIRT = "6109100021"  # 13% refund from 2019-04-01
PV = "8541430000"  # 13% → 9% on 2024-12-01
ALUMINIUM = "7606125000"  # 13% → 0 on 2024-12-01
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "tax"


def export(gcode: str = SHIRT, on: date = date(2025, 3, 15), **kw: Any) -> ExportLine:
    defaults: dict[str, Any] = {
        "gnum": 1,
        "trade_mode": "9610",
        "fob": D(50000),
        "currency": "502",
        "exchange_rate": D("7.10"),
        "gname": "T恤",
        "unit": "011",
        "qty": D(10000),
        "price": D(5),
    }
    defaults.update(kw)
    return ExportLine(gcode=gcode, export_on=on, **defaults)


def claim(*lines: ExportLine, kind: EnterpriseKind = EnterpriseKind.TRADING, **kw: Any) -> ExportClaim:
    kw.setdefault("claim_on", date(2025, 5, 20))
    return ExportClaim(kind=kind, lines=lines, **kw)


# --- RULES.md §3.4 trading company (免退税) --------------------------------------------------------


def test_trading_company_refund_at_13_percent() -> None:
    a = assess_export_refund(claim(export(invoice_amount=D(100000))), TABLES)
    assert a.refund_total == D("13000.00") and a.cost_transfer_total == D("0.00")
    assert a.lines[0].refund is not None and "2019年第39号" in a.lines[0].refund.source


def test_trading_company_refund_at_9_percent_after_the_pv_cut() -> None:
    after = assess_export_refund(claim(export(PV, on=date(2024, 12, 1), invoice_amount=D(100000))), TABLES)
    assert (after.refund_total, after.cost_transfer_total) == (D("9000.00"), D("4000.00"))
    before = assess_export_refund(claim(export(PV, on=date(2024, 11, 30), invoice_amount=D(100000))), TABLES)
    assert (before.refund_total, before.cost_transfer_total) == (D("13000.00"), D("0.00"))


def test_trading_company_needs_the_invoice_amount() -> None:
    with pytest.raises(InvalidInput) as exc:
        assess_export_refund(claim(export()), TABLES)
    assert exc.value.field == "invoiceAmount" and "hasPurchaseVoucher" in exc.value.message_en


def test_refund_rate_above_vat_rate_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        assess_export_refund(claim(export(invoice_amount=D(1000), refund_rate=D("0.16"))), TABLES)
    assert exc.value.field == "refundRate"


# --- RULES.md §3.4 manufacturer (免抵退税) ---------------------------------------------------------

CREDIT = CreditPosition(domestic_output_vat=D(26000), input_vat=D(60000), prior_credit=D(0))


def test_manufacturer_at_a_9_percent_refund_rate() -> None:
    a = assess_export_refund(
        claim(export(PV, on=date(2025, 3, 1)), kind=EnterpriseKind.MANUFACTURER, credit=CREDIT), TABLES
    )
    m = a.manufacturer
    assert m is not None and a.lines[0].fob_cny == D("355000.00")
    assert m.non_creditable == D("14200.00")
    assert m.payable == D("-19800.00") and m.ending_credit == D("19800.00")
    assert m.exempt_credit_refund == D("31950.00")
    assert (m.refund, m.offset, m.carry_forward) == (D("19800.00"), D("12150.00"), D(0))
    assert a.refund_total == D("19800.00")


def test_manufacturer_at_a_13_percent_refund_rate() -> None:
    a = assess_export_refund(claim(export(SHIRT), kind=EnterpriseKind.MANUFACTURER, credit=CREDIT), TABLES)
    m = a.manufacturer
    assert m is not None
    assert m.non_creditable == 0 and m.payable == D("-34000.00") and m.exempt_credit_refund == D("46150.00")
    assert (m.refund, m.offset) == (D("34000.00"), D("12150.00"))


def test_manufacturer_credit_above_the_refund_limit_carries_forward() -> None:
    credit = CreditPosition(domestic_output_vat=D(0), input_vat=D(60000), prior_credit=D(0))
    m = assess_export_refund(claim(export(SHIRT), kind=EnterpriseKind.MANUFACTURER, credit=credit), TABLES).manufacturer
    assert m is not None
    assert (m.ending_credit, m.refund, m.offset, m.carry_forward) == (
        D("60000.00"),
        D("46150.00"),
        D(0),
        D("13850.00"),
    )


def test_manufacturer_with_tax_to_pay_gets_only_the_offset() -> None:
    credit = CreditPosition(domestic_output_vat=D(100000), input_vat=D(60000))
    m = assess_export_refund(claim(export(SHIRT), kind=EnterpriseKind.MANUFACTURER, credit=credit), TABLES).manufacturer
    assert m is not None
    assert (m.tax_payable, m.refund, m.offset) == (D("40000.00"), D(0), D("46150.00"))


def test_manufacturer_duty_free_materials_reduce_both_amounts() -> None:
    line = export(PV, on=date(2025, 3, 1), duty_free_materials=D(100000))
    a = assess_export_refund(claim(line, kind=EnterpriseKind.MANUFACTURER, credit=CREDIT), TABLES)
    # 255,000 × 4% = 10,200 non-creditable; 255,000 × 9% = 22,950 exempt-credit-refund
    assert (a.lines[0].non_creditable, a.lines[0].exempt_credit_refund) == (D("10200.00"), D("22950.00"))


def test_manufacturer_needs_its_credit_position() -> None:
    with pytest.raises(InvalidInput) as exc:
        assess_export_refund(claim(export(), kind=EnterpriseKind.MANUFACTURER), TABLES)
    assert exc.value.field == "credit"


# --- deadline (国家税务总局公告2012年第24号; 2020年第2号) --------------------------------------------


def test_claim_past_the_deadline_is_flagged() -> None:
    line = export(on=date(2024, 2, 27), invoice_amount=D(24000))
    in_time = assess_export_refund(claim(line, claim_on=date(2025, 4, 30)), TABLES)
    assert not in_time.lines[0].is_past_deadline and in_time.flagged == ()
    late = assess_export_refund(claim(line, claim_on=date(2025, 5, 1)), TABLES)
    result = late.lines[0]
    assert result.is_past_deadline and result.deadline == date(2025, 4, 30)
    assert result.treatment is ExportTreatment.REFUND and late.refund_total == D("3120.00")  # still declarable
    assert result.deadline_note is not None and "2020年第2号" in result.deadline_note[0]
    assert late.flagged == (result,)


def test_late_claims_before_2020_were_not_declarable() -> None:
    line = export(on=date(2018, 3, 1), invoice_amount=D(24000), refund_rate=D("0.16"), vat_rate=D("0.16"))
    a = assess_export_refund(claim(line, claim_on=date(2019, 5, 6)), TABLES)
    assert a.lines[0].treatment is ExportTreatment.LATE and a.refund_total == 0
    assert a.lines[0].deadline_note is not None and "视同内销" in a.lines[0].deadline_note[0]


# --- 无票免税 (财税〔2018〕103号) --------------------------------------------------------------------


def no_invoice(**kw: Any) -> ExportLine:
    base: dict[str, Any] = {
        "has_purchase_voucher": False,
        "is_recorded_on_zone_platform": True,
        "is_declared_at_zone_customs": True,
    }
    base.update(kw)
    return export(**base)


def test_no_invoice_exemption_when_every_condition_holds() -> None:
    a = assess_export_refund(claim(no_invoice(), is_zone_registered=True), TABLES)
    r = a.lines[0]
    assert r.treatment is ExportTreatment.EXEMPT_NO_INVOICE and r.failed_conditions == ()
    assert len(r.conditions) == 6 and a.exempt_value_total == D("355000.00") and a.refund_total == 0


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"zone": False}, "zone_registered", "not registered"),
        ({"is_recorded_on_zone_platform": False}, "platform_record", "not recorded"),
        ({"gname": "", "price": None}, "platform_record", "goods name, unit price"),
        ({"trade_mode": "9810"}, "trade_mode", "9710/9810 do not qualify"),
        ({"is_declared_at_zone_customs": False}, "zone_customs", "customs of the zone"),
        ({"gcode": ALUMINIUM, "on": date(2024, 12, 1)}, "refund_not_cancelled", "cancelled"),
        ({"on": date(2018, 9, 30)}, "policy_in_force", "2018-10-01"),
    ],
)
def test_no_invoice_exemption_names_each_failed_condition(change: dict[str, Any], code: str, words: str) -> None:
    zone = change.pop("zone", True)
    a = assess_export_refund(claim(no_invoice(**change), is_zone_registered=zone), TABLES)
    r = a.lines[0]
    assert r.treatment is ExportTreatment.TAXABLE
    assert [c.code for c in r.failed_conditions] == [code]
    failed = r.failed_conditions[0]
    assert words in failed.message_en and failed.message_zh and failed.line == 1


def test_aluminium_before_the_cut_is_not_cancelled() -> None:
    a = assess_export_refund(claim(no_invoice(gcode=ALUMINIUM, on=date(2024, 11, 30)), is_zone_registered=True), TABLES)
    assert a.lines[0].treatment is ExportTreatment.EXEMPT_NO_INVOICE


# --- deemed-profit income tax (国家税务总局公告2019年第36号) -----------------------------------------


def test_deemed_profit_income_tax_example() -> None:
    small = assess_deemed_profit_tax(
        IncomeTaxInput(2025, D(30000000), True), TABLES, is_zone_registered=True, has_exemption=True
    )
    assert small.is_applicable and small.taxable_income == D("1200000.00")
    assert small.tax == D("60000.00") and small.is_small_low_profit_applied
    assert small.tax_at_standard_rate == D("300000.00")
    plain = assess_deemed_profit_tax(
        IncomeTaxInput(2025, D(30000000)), TABLES, is_zone_registered=True, has_exemption=True
    )
    assert plain.tax == D("300000.00") and not plain.is_small_low_profit_applied


def test_deemed_profit_income_tax_2020_example() -> None:
    a = assess_deemed_profit_tax(
        IncomeTaxInput(2020, D(25000000), True), TABLES, is_zone_registered=True, has_exemption=True
    )
    assert a.tax == D("50000.00")


def test_deemed_profit_over_the_small_profit_ceiling() -> None:
    a = assess_deemed_profit_tax(
        IncomeTaxInput(2025, D(100000000), True), TABLES, is_zone_registered=True, has_exemption=True
    )
    assert a.taxable_income == D("4000000.00") and a.tax == D("1000000.00") and not a.is_small_low_profit_applied
    assert "3000000" in a.small_low_profit_note[1]


def test_deemed_profit_conditions() -> None:
    a = assess_deemed_profit_tax(
        IncomeTaxInput(2019, D(1000000)), TABLES, is_zone_registered=False, has_exemption=False
    )
    assert not a.is_applicable and a.tax == 0
    assert [c.code for c in a.conditions if not c.passed] == [
        "policy_in_force",
        "zone_registered",
        "no_invoice_exemption",
    ]


# --- JSON in, JSON out ------------------------------------------------------------------------------


def test_json_claim_and_errors() -> None:
    data = {
        "enterpriseKind": "trading",
        "claimDate": "2025-05-20",
        "exports": [
            {
                "gnum": 1,
                "tradeMode": "9610",
                "ieDate": "20250315",
                "gcode": SHIRT,
                "totalPrice": "50000",
                "currency": "USD",
                "exchangeRate": "7.10",
                "invoiceAmount": "100000",
            }
        ],
    }
    out = export_assessment_dict(assess_export_refund(parse_export_claim(data), TABLES))
    assert out["refundTotal"] == "13000.00" and out["lines"][0]["fobCny"] == "355000.00"
    assert out["basis"]["lines"][0]["refundRate"]["rate"] == "0.13"
    bad = {"enterpriseKind": "broker", "exports": [{"gnum": 1, "gcode": "61", "totalPrice": "1", "currency": "USD"}]}
    with pytest.raises(InvalidInput) as exc:
        parse_export_claim(bad)
    fields = {d.field for d in exc.value.details}
    assert {"enterpriseKind", "claimDate", "exportDate", "tradeMode", "gcode", "exchangeRate"} <= fields


@pytest.mark.e2e
def test_cli_refund_example() -> None:
    result = CliRunner().invoke(app, ["refund", str(EXAMPLES / "exports.json"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["refundTotal"] == "21520.00" and out["costTransferTotal"] == "2400.00"
    assert [line["treatment"] for line in out["lines"]] == [
        "refund",
        "refund",
        "refund",
        "exempt_no_invoice",
        "taxable",
    ]
    assert {(f["gnum"], f["code"]) for f in out["flags"]} == {
        (3, "past_deadline"),
        (5, "platform_record"),
        (5, "trade_mode"),
        (5, "refund_not_cancelled"),
    }
    assert out["incomeTax"]["incomeTax"] == "60000.00"
    assert CliRunner().invoke(app, ["refund", str(EXAMPLES / "exports.json")]).exit_code == 0
