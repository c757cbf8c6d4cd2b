"""Money files the fuzzing (tests/fuzz) found escaping as an exception other than a CbecError."""

from __future__ import annotations

import pytest

from cbec.errors import InvalidInput, LimitExceeded
from cbec.finance.parsers import AMAZON_COLUMNS, detect, parse_amazon_settlement, parse_receipts


def test_a_file_of_only_a_byte_order_mark_is_no_known_money_file() -> None:
    with pytest.raises(InvalidInput) as exc:  # was IndexError
        detect(b"\xef\xbb\xbf")
    assert exc.value.field == "format"


def test_a_settlement_total_of_a_billion_digits_is_not_an_amount() -> None:
    header = "\t".join(AMAZON_COLUMNS)
    values = dict.fromkeys(AMAZON_COLUMNS, "")
    values.update({"settlement-id": "1", "total-amount": "1e999999999", "currency": "USD"})
    data = f"{header}\n" + "\t".join(values[c] for c in AMAZON_COLUMNS) + "\n"
    parsed = parse_amazon_settlement(data.encode())  # was decimal.InvalidOperation adding it up
    assert [e.field for e in parsed.errors] == ["total-amount"] and not parsed.settlements


def test_receipts_json_nested_past_the_limit_is_refused() -> None:
    with pytest.raises(LimitExceeded):  # was RecursionError out of json.loads
        parse_receipts(b"[" * 100_000)


def test_a_quantity_of_a_superscript_digit_is_no_quantity() -> None:
    header = "\t".join(AMAZON_COLUMNS)
    head = dict.fromkeys(AMAZON_COLUMNS, "")
    head.update({"settlement-id": "1", "total-amount": "5.00", "currency": "USD"})
    line = {**dict.fromkeys(AMAZON_COLUMNS, ""), "settlement-id": "1", "amount": "5.00", "quantity-purchased": "²"}
    rows = [header, *("\t".join(r[c] for c in AMAZON_COLUMNS) for r in (head, line))]
    parsed = parse_amazon_settlement("\n".join(rows).encode())  # was ValueError: "²".isdigit() but int("²") fails
    [settlement] = parsed.settlements
    assert settlement.lines[0].quantity is None
