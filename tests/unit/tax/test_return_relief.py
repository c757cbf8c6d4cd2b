"""Returned CBEC exports: RULES.md §4 worked example, and every failed condition named."""

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
from cbec.tax.present import return_assessment_dict
from cbec.tax.rates import tax_tables
from cbec.tax.reader import parse_returned_goods
from cbec.tax.return_relief import ReturnedGoods, ReturnLine, assess_return_relief

D = Decimal
TABLES = tax_tables()
DRYER = "8516310000"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "tax"


def item(gnum: int = 1, **kw: Any) -> ReturnLine:
    base: dict[str, Any] = {
        "gcode": DRYER,
        "value": D(100000),
        "is_food": False,
        "tariff_rate": D("0.10"),
        "export_refund_received": D(10400),
    }
    base.update(kw)
    return ReturnLine(gnum=gnum, **base)


def goods(*lines: ReturnLine, **kw: Any) -> ReturnedGoods:
    base: dict[str, Any] = {
        "trade_mode": "9810",
        "export_on": date(2026, 3, 1),
        "return_on": date(2026, 7, 20),
        "reason": "unsold",
        "is_original_state": True,
    }
    base.update(kw)
    return ReturnedGoods(lines=lines or (item(),), **base)


def failed_codes(a: Any) -> list[str]:
    return [c.code for c in a.failed_conditions]


def test_rules_worked_example() -> None:
    a = assess_return_relief(goods(), TABLES)
    assert a.is_eligible and a.failed_conditions == ()
    assert a.deadline == date(2026, 9, 1) and a.window is not None and a.window.id == "CN-CBEC-RETURN-2026"
    assert (a.relieved.customs_tax, a.relieved.value_added_tax, a.relieved.consumption_tax) == (
        D("10000.00"),
        D("14300.00"),
        D(0),
    )
    assert a.relieved_total == D("24300.00") and a.due_total == 0
    assert a.export_refund_to_repay == D(10400)
    assert [zh for zh, _ in a.evidence] == ["出口清单或报关单", "自我声明"]


def test_deadline_boundary() -> None:
    assert assess_return_relief(goods(return_on=date(2026, 9, 1)), TABLES).is_eligible
    late = assess_return_relief(goods(return_on=date(2026, 9, 2)), TABLES)
    assert failed_codes(late) == ["within_6_months"]
    assert "2026-09-01" in late.failed_conditions[0].message_en
    assert late.relieved_total == 0 and late.due_total == D("24300.00") and late.export_refund_to_repay == 0


def test_food_is_excluded_line_by_line() -> None:
    a = assess_return_relief(
        goods(item(1), item(2, gcode="2204210000", is_food=True, export_refund_received=D(0))), TABLES
    )
    assert failed_codes(a) == ["not_food"] and a.failed_conditions[0].line == 2
    assert "line 2 is food" in a.failed_conditions[0].message_en
    assert [t.is_relieved for t in a.lines] == [True, False]
    assert a.relieved_total == D("24300.00") and a.due_total > 0


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"trade_mode": "0110"}, "trade_mode", "1210/9610/9710/9810"),
        ({"reason": "quality defect"}, "reason", "unsold or customer return"),
        ({"is_original_state": False}, "original_state", "original state"),
        ({"export_on": date(2023, 1, 29), "return_on": date(2023, 3, 1)}, "policy_window", "2023-01-30"),
        ({"export_on": date(2028, 1, 1), "return_on": date(2028, 3, 1)}, "policy_window", "2027-12-31"),
        ({"trade_mode": "1210"}, "within_6_months", "leftAreaDate"),
    ],
)
def test_each_failed_condition_is_named(change: dict[str, Any], code: str, words: str) -> None:
    a = assess_return_relief(goods(**change), TABLES)
    assert not a.is_eligible and failed_codes(a) == [code]
    assert words in a.failed_conditions[0].message_en and a.failed_conditions[0].message_zh
    assert a.relieved_total == 0


def test_every_failure_at_once() -> None:
    a = assess_return_relief(
        goods(
            item(is_food=True),
            trade_mode="0110",
            export_on=date(2022, 6, 1),
            return_on=date(2023, 1, 10),
            reason="changed my mind",
            is_original_state=False,
        ),
        TABLES,
    )
    assert failed_codes(a) == ["trade_mode", "policy_window", "within_6_months", "reason", "original_state", "not_food"]
    assert all(c.message_zh and c.message_en for c in a.failed_conditions)


def test_policy_window_edges() -> None:
    for day in (date(2023, 1, 30), date(2025, 12, 31), date(2026, 1, 1), date(2027, 12, 31)):
        assert assess_return_relief(goods(export_on=day, return_on=day), TABLES).is_eligible


def test_1210_counts_from_leaving_the_bonded_area() -> None:
    a = assess_return_relief(
        goods(
            trade_mode="1210", export_on=date(2026, 1, 10), left_area_on=date(2026, 3, 1), return_on=date(2026, 8, 20)
        ),
        TABLES,
    )
    assert a.is_eligible and a.deadline == date(2026, 9, 1)


def test_reasons_in_chinese_and_customer_return_evidence() -> None:
    assert assess_return_relief(goods(reason="滞销"), TABLES).is_eligible
    a = assess_return_relief(goods(reason="退货"), TABLES)
    assert a.is_eligible and "平台退货或拒收记录" in a.evidence[1][0]


def test_export_duty_is_refunded_and_head_level_refund_repaid() -> None:
    a = assess_return_relief(
        goods(item(export_refund_received=D(0), export_duty_paid=D(500)), export_refund_received=D(10400)), TABLES
    )
    assert a.export_refund_to_repay == D(10400) and a.export_duty_refundable == D(500)


def test_return_before_export_is_invalid() -> None:
    with pytest.raises(InvalidInput) as exc:
        assess_return_relief(goods(return_on=date(2026, 2, 1)), TABLES)
    assert exc.value.field == "returnDate"


def test_json_parse_and_render() -> None:
    data: dict[str, Any] = {
        "tradeMode": "9810",
        "exportDate": "2026-03-01",
        "returnDate": "2026-07-20",
        "reason": "unsold",
        "originalState": True,
        "lines": [{"gnum": 1, "gcode": DRYER, "value": "100000", "isFood": False, "tariffRate": "0.10"}],
    }
    out = return_assessment_dict(assess_return_relief(parse_returned_goods(data), TABLES))
    assert out["eligible"] and out["relieved"]["taxTotal"] == "24300.00"
    assert out["basis"]["lines"][0]["tariffRate"]["origin"] == "input"
    del data["originalState"]
    data["lines"][0].pop("isFood")
    with pytest.raises(InvalidInput) as exc:
        parse_returned_goods(data)
    assert {(d.field, d.line) for d in exc.value.details} == {("originalState", None), ("isFood", 1)}


@pytest.mark.e2e
def test_cli_return_relief_example() -> None:
    result = CliRunner().invoke(app, ["return-relief", str(EXAMPLES / "return.json"), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["eligible"] is True and out["deadline"] == "2026-09-01"
    assert out["relieved"] == {
        "customsTax": "10000.00",
        "valueAddedTax": "14300.00",
        "consumptionTax": "0.00",
        "taxTotal": "24300.00",
    }
    assert out["exportRefundToRepay"] == "10400.00" and "已补税/未退税证明" in out["steps"][0]["message_zh"]
    assert CliRunner().invoke(app, ["return-relief", str(EXAMPLES / "return.json")]).exit_code == 0
