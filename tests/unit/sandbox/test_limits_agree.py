"""The sandbox customs and the platform's tax step decide the retail-import limits alike: one
table of cases, each run through the platform's rule (``tax.import_tax.check_limits``) and the
sandbox's (``sandbox.rules.retail_limit``), with the value the limits apply to computed once
(``tax.rules.limit_value``). Limits of 财关税〔2016〕18号 until 2018 (2,000 / 20,000) and of
财关税〔2018〕49号 from 2019 (5,000 / 26,000; one item over 5,000 may clear)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from cbec.sandbox import retail_limit
from cbec.sandbox.rules import OVER_ANNUAL_LIMIT, OVER_SINGLE_LIMIT
from cbec.tax.import_tax import ImportLine, ImportOrder, check_limits
from cbec.tax.rates import tax_tables
from cbec.tax.rules import limit_value, retail_import_rules

BUYER = "11010519491231002X"

# (case, day, unit price, quantity, freight, insurance, prior this year, expected sandbox code)
CASES = [
    ("well within, 2026", date(2026, 5, 1), "1000", "1", "10", "0", "0", None),
    ("exactly the single limit with freight", date(2026, 5, 1), "2495", "2", "10", "0", "0", None),
    ("one fen over the single limit, two items", date(2026, 5, 1), "2495", "2", "10", "0.01", "0", OVER_SINGLE_LIMIT),
    ("one item over the single limit clears (49号)", date(2026, 5, 1), "6000", "1", "0", "0", "0", None),
    ("annual limit reached exactly", date(2026, 5, 1), "1000", "1", "0", "0", "25000", None),
    ("annual limit passed by freight", date(2026, 5, 1), "1000", "1", "0.01", "0", "25000", OVER_ANNUAL_LIMIT),
    ("one item over the limit and over the year", date(2026, 5, 1), "6000", "1", "0", "0", "21000", OVER_ANNUAL_LIMIT),
    ("2018: 2,000 is the single limit", date(2018, 6, 1), "1000", "2", "0", "0", "0", None),
    ("2018: over 2,000 with two items", date(2018, 6, 1), "1000", "2", "5", "0", "0", OVER_SINGLE_LIMIT),
    (
        "2018: one item over 2,000 does not clear (18号)",
        date(2018, 6, 1),
        "2500",
        "1",
        "0",
        "0",
        "0",
        OVER_SINGLE_LIMIT,
    ),
    ("2018: 20,000 is the annual limit", date(2018, 6, 1), "1000", "1", "0", "0", "19500", OVER_ANNUAL_LIMIT),
    ("2019: the same order under the new limits", date(2019, 1, 1), "1000", "1", "0", "0", "19500", None),
]


@pytest.mark.parametrize(("case", "on", "price", "qty", "freight", "insured", "prior", "expected"), CASES)
def test_the_sandbox_and_the_platform_agree(
    case: str, on: date, price: str, qty: str, freight: str, insured: str, prior: str, expected: int | None
) -> None:
    tables = tax_tables()
    order = ImportOrder(
        order_no="LIMIT-1",
        on=on,
        buyer_id_number=BUYER,
        lines=(ImportLine(gnum=1, gcode="3304990099", qty=D(qty), unit="011", price=D(price)),),
        freight=D(freight),
        insured_fee=D(insured),
    )
    platform = check_limits(order, retail_import_rules(on), prior_purchases=D(prior), tables=tables)
    value = limit_value(order.goods_value, order.freight, order.insured_fee, basis=tables.policy.limit_value)
    sandbox = retail_limit(value, is_single_item=order.item_count == 1, year_total=D(prior), on=on)
    assert platform.order_value == value
    assert (sandbox is None) == (not platform.refusals), case
    if expected is None:
        assert sandbox is None, case
    else:
        assert sandbox is not None and sandbox[0] == expected, case
        refused_for = {c.code for c in platform.refusals}
        assert refused_for & (
            {"annual_limit"} if expected == OVER_ANNUAL_LIMIT else {"single_limit", "single_item_limit"}
        )
