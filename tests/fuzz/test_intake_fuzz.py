"""Every intake format, fuzzed from real files (tests/fuzz/harness.py states the property).

Beyond the parser, each document read goes through what intake does next without a database
(currency conversion, field rules, the JSON it is stored as), so a value a parser lets through
cannot break the steps after it either."""

from __future__ import annotations

from hypothesis import given, settings

from cbec.intake.formats import Format, detect, parser_for
from cbec.intake.parsers.base import ParseResult
from cbec.intake.rules import convert_to_cny, validate
from cbec.kit.codes import code_lists
from cbec.kit.fx import fx_table
from tests.fuzz import seeds
from tests.fuzz.harness import EXAMPLES, FUZZ, Tally, assert_named, outcome, plain
from tests.fuzz.mutate import mutated

DEEP_JSON = (b"[" * 100_000, b'{"a":' * 5_000 + b"1" + b"}" * 5_000, b"[" * 33 + b"]" * 33)
ODD_JSON = (
    b'[{"type":"export_order","head":{"orderNo":"1","goodsValue":NaN,"freight":Infinity}}]',
    b'[{"type":"export_order","head":{"orderNo":"1","goodsValue":1e999999999,"freight":-0}}]',
    b'[{"type":"export_order","head":{"orderNo":"1","goodsValue":' + b"9" * 5000 + b"}}]",
    b'{"type":"import_order","OrderHead":{"orderNo":{"x":[1,2]}},"OrderList":{"gnum":"a"}}',
    b'[{"type":"export_order","head":{},"lines":[{"qty":"1e5000","price":"NaN","gnum":1e400}]}]',
    b'"just a string"',
    b"[null, 1, true, []]",
)
DEEP_XML = (b"<a>" * 300 + b"</a>" * 300, b"<a>" * 40 + b"</a>" * 40)


def _read(fmt: Format, data: bytes) -> ParseResult:
    result = parser_for(fmt)(data, seeds.CTX).materialize()
    codes, rates = code_lists(), fx_table()
    for doc in result.documents:
        converted, fx_errors = convert_to_cny(doc, rates)
        checked, errors = validate(converted, codes)
        for error in [*fx_errors, *errors]:
            assert_named(error, where=False)
        plain({"head": checked.head, "lines": list(checked.lines)})
    return result


def check(tally: Tally, fmt: Format, data: bytes, filename: str = "") -> None:
    kind, result = outcome(lambda: _read(fmt, data))
    if result is not None:
        for error in result.errors:
            assert_named(error)
    outcome(lambda: detect(data, filename))  # the "auto" path sees the same bytes first
    tally.count(kind)


@FUZZ
@given(mutated(seeds.json_seeds(), extra=DEEP_JSON + ODD_JSON))
def test_fuzz_json(tally: Tally, data: bytes) -> None:
    check(tally, Format.JSON, data, "orders.json")


@FUZZ
@given(mutated(seeds.ceb_seeds(), extra=DEEP_XML))
def test_fuzz_ceb(tally: Tally, data: bytes) -> None:
    check(tally, Format.CEB, data, "CEB303.xml")


@FUZZ
@given(mutated(seeds.template_seeds()))
def test_fuzz_csv(tally: Tally, data: bytes) -> None:
    check(tally, Format.CSV, data, "template.csv")


@FUZZ
@given(mutated(seeds.xlsx_seeds()) | mutated(seeds.template_seeds()).map(seeds.xlsx_of))
def test_fuzz_xlsx(tally: Tally, data: bytes) -> None:
    check(tally, Format.XLSX, data, "template.xlsx")


@FUZZ
@given(mutated(seeds.amazon_order_seeds()))
def test_fuzz_amazon_orders(tally: Tally, data: bytes) -> None:
    check(tally, Format.AMAZON_ORDERS, data, "orders.txt")


@FUZZ
@given(mutated(seeds.shopify_order_seeds()))
def test_fuzz_shopify_orders(tally: Tally, data: bytes) -> None:
    check(tally, Format.SHOPIFY_ORDERS, data, "orders_export.csv")


@FUZZ
@given(mutated(seeds.online_retail_seeds()[1:]))
def test_fuzz_online_retail_csv(tally: Tally, data: bytes) -> None:
    check(tally, Format.ONLINE_RETAIL, data, "online-retail.csv")


@settings(FUZZ, max_examples=max(20, EXAMPLES // 10))  # each parquet is read in a child process, ~0.15 s
@given(mutated(seeds.online_retail_seeds()[:1]))
def test_fuzz_online_retail_parquet(tally: Tally, data: bytes) -> None:
    check(tally, Format.ONLINE_RETAIL, data, "online-retail.parquet")
