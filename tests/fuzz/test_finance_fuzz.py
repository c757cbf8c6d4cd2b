"""Every money format, fuzzed from what ``cbec.generate.settlements`` writes (tests/fuzz/harness.py
states the property). A settlement read must add up to the cent, as the parser promises."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given

from cbec.finance.parsers import CENT, MoneyFormat, Parsed, detect, parse
from tests.fuzz import seeds
from tests.fuzz.harness import FUZZ, Tally, assert_named, outcome
from tests.fuzz.mutate import mutated

DEEP_JSON = (b"[" * 100_000, b'[{"txn_id":' * 40 + b"1" + b"}]" * 40)
ODD_RECEIPTS = (
    b'[{"provider":"p","txn_id":"1","value_date":"9999-12-31","currency":"USD","gross":"1e999999999","fee":"0",'
    b'"net":"1e999999999"}]',
    b'[{"provider":"p","txn_id":"1","value_date":"0000-01-01","currency":"USD","gross":NaN,"fee":Infinity,"net":1}]',
    b'{"provider":["a",{"b":null}],"txn_id":{"x":1},"value_date":[],"gross":"1","fee":"0","net":"1"}',
    b'[1, "x", null]',
)


def check(tally: Tally, fmt: MoneyFormat, data: bytes) -> None:
    kind, parsed = outcome(lambda: parse(data, fmt, "money-file"))
    if isinstance(parsed, Parsed):
        for error in parsed.errors:
            assert_named(error)
        for s in parsed.settlements:
            if fmt is MoneyFormat.AMAZON_SETTLEMENT:
                assert sum((ln.amount for ln in s.lines), Decimal(0)).quantize(CENT) == s.total.quantize(CENT)
        for r in parsed.receipts:
            assert (r.gross - r.fee).quantize(CENT) == r.net.quantize(CENT)
    outcome(lambda: detect(data, "money-file"))
    tally.count(kind)


@FUZZ
@given(mutated(seeds.settlement_seeds()))
def test_fuzz_amazon_settlement(tally: Tally, data: bytes) -> None:
    check(tally, MoneyFormat.AMAZON_SETTLEMENT, data)


@FUZZ
@given(mutated(seeds.shopify_money_seeds()[:1]))
def test_fuzz_shopify_transactions(tally: Tally, data: bytes) -> None:
    check(tally, MoneyFormat.SHOPIFY_TRANSACTIONS, data)


@FUZZ
@given(mutated(seeds.shopify_money_seeds()[1:]))
def test_fuzz_shopify_payouts(tally: Tally, data: bytes) -> None:
    check(tally, MoneyFormat.SHOPIFY_PAYOUTS, data)


@FUZZ
@given(mutated(seeds.receipt_seeds(), extra=DEEP_JSON + ODD_RECEIPTS))
def test_fuzz_receipts(tally: Tally, data: bytes) -> None:
    check(tally, MoneyFormat.RECEIPTS, data)
