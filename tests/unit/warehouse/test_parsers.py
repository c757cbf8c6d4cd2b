"""The movement CSV and the FBA Inventory Ledger read by header names, a bad row naming its row
and field, and idempotency keys that make a file sent twice add nothing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbec.errors import InvalidInput
from cbec.warehouse.parsers import MovementFormat, detect, movement_keys, parse
from cbec.warehouse.rules import Kind

LEDGER = (
    b"Date\tFNSKU\tASIN\tMSKU\tTitle\tEvent Type\tReference ID\tQuantity\tFulfillment Center\tDisposition\t"
    b"Reason\tCountry\tReconciled Quantity\tUnreconciled Quantity\n"
    b"01/15/2025\tX001\tB0001\tMUG-1\tMug\tReceipts\tFBA15ABC\t24\tPHL4\tSELLABLE\t\tUS\t24\t0\n"
    b"01/20/2025\tX001\tB0001\tMUG-1\tMug\tShipments\t111-222\t-2\tPHL4\tSELLABLE\t\tUS\t0\t0\n"
    b"01/21/2025\tX001\tB0001\tMUG-1\tMug\tWhseTransfers\t\t-5\tPHL4\tSELLABLE\t\tUS\t0\t0\n"
    b"01/22/2025\tX001\tB0001\tMUG-1\tMug\tWhseTransfers\t\t5\tONT8\tSELLABLE\t\tUS\t0\t0\n"
    b"02/30/2025\tX001\tB0001\tMUG-1\tMug\tShipments\t111-333\t-1\tPHL4\tSELLABLE\t\tUS\t0\t0\n"
    b"02/01/2025\tX001\tB0001\tMUG-1\tMug\tTeleport\t\t1\tPHL4\tSELLABLE\t\tUS\t0\t0\n"
    b"02/02/2025\tX001\tB0001\tMUG-1\tMug\tCustomerReturns\t111-222\t1\tPHL4\tCUSTOMER_DAMAGED\t\tUS\t0\t0\n"
)

CANONICAL = (
    b"warehouse,sku,movement,quantity,date,reference,list_no,to_warehouse\n"
    b"LAX1,MUG-1,inbound,10,2025-01-02,GRN-1,C9810-1,\n"
    b"LAX1,MUG-1,sale,3,2025-01-05,SO-1,,\n"
    b"LAX1,MUG-1,adjustment,-1,2025-01-06,CNT-1,,\n"
    b"LAX1,MUG-1,transfer,2,2025-01-07,T-1,,ONT8\n"
    b"LAX1,MUG-1,sale,-3,2025-01-08,SO-2,,\n"
    b"LAX1,,inbound,1,2025-01-08,,,\n"
)


def test_detects_both_formats() -> None:
    assert detect(LEDGER) is MovementFormat.FBA_LEDGER
    assert detect(CANONICAL) is MovementFormat.CANONICAL
    with pytest.raises(InvalidInput) as exc:
        detect(b"a,b,c\n1,2,3\n", "x.csv")
    assert exc.value.field == "header"


def test_fba_ledger_rows_with_errors_named() -> None:
    parsed = parse(LEDGER, MovementFormat.FBA_LEDGER, "ledger.tsv")
    assert parsed.rows == 7
    assert [(m.kind, m.quantity, m.warehouse, m.row) for m in parsed.movements] == [
        (Kind.INBOUND, 24, "PHL4", 2),
        (Kind.SALE, -2, "PHL4", 3),
        (Kind.TRANSFER, -5, "PHL4", 4),
        (Kind.TRANSFER, 5, "ONT8", 5),
        (Kind.CUSTOMER_RETURN, 1, "PHL4", 8),
    ]
    assert parsed.movements[0].day == date(2025, 1, 15)
    assert [(e.line, e.field) for e in parsed.errors] == [(6, "Date"), (7, "Event Type")]
    assert parsed.dispositions[8] == "CUSTOMER_DAMAGED"


def test_canonical_csv_signs_and_errors() -> None:
    parsed = parse(CANONICAL, MovementFormat.CANONICAL, "moves.csv")
    assert [(m.kind, m.quantity, m.to_warehouse, m.list_no) for m in parsed.movements] == [
        (Kind.INBOUND, 10, "", "C9810-1"),
        (Kind.SALE, -3, "", ""),
        (Kind.ADJUSTMENT, -1, "", ""),
        (Kind.TRANSFER, -2, "ONT8", ""),
    ]
    assert [(e.line, e.field) for e in parsed.errors] == [(6, "quantity"), (7, "sku")]
    assert "moves.csv" in parsed.errors[0].document


def test_missing_column_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(b"warehouse,sku,movement,date\nA,B,sale,2025-01-01\n", MovementFormat.CANONICAL)
    assert exc.value.field == "quantity"


def test_keys_are_stable_and_count_identical_rows() -> None:
    moves = parse(CANONICAL, MovementFormat.CANONICAL).movements
    twice = [*moves, moves[1]]
    keys = movement_keys("S", "csv", twice)
    assert keys[:4] == movement_keys("S", "csv", moves)
    assert len(set(keys)) == 5  # the repeated row is a second movement, not a duplicate
    assert movement_keys("S", "api", moves[:1], ["m-1"]) == movement_keys("S", "api", moves[1:2], ["m-1"])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: LEDGER[:200] + t.encode()))
def test_any_bytes_are_read_or_refused_never_crash(data: bytes) -> None:
    for fmt in MovementFormat:
        try:
            parsed = parse(data, fmt, "x")
        except InvalidInput:
            continue
        assert parsed.rows >= len(parsed.movements)
        assert all(e.line is not None and e.line >= 2 for e in parsed.errors)
