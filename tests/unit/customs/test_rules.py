"""The declaration state machine: forward only, duplicates of a resend ignored, requests settle lists."""

from __future__ import annotations

import pytest

from cbec.customs.rules import State, apply_receipt, apply_request_receipt


def test_happy_path_of_a_list() -> None:
    state = State.SENT
    seen = []
    for status in (2, 120, 800, 899):
        step = apply_receipt(state, status)
        assert step.changed
        state = step.after
        seen.append(state)
    assert seen == [State.DECLARING, State.STORED, State.RELEASED, State.CLOSED]


@pytest.mark.parametrize(
    ("current", "status"), [(State.RELEASED, 120), (State.STORED, 2), (State.CLOSED, 800), (State.CLOSED, 100)]
)
def test_late_receipts_never_move_backwards(current: State, status: int) -> None:
    assert not apply_receipt(current, status).changed


def test_rejection_and_negative_codes() -> None:
    assert apply_receipt(State.DECLARING, 100).after is State.REJECTED
    assert apply_receipt(State.SENT, -621005).after is State.REJECTED


def test_a_duplicate_answer_to_a_resend_does_not_reject_an_accepted_declaration() -> None:
    assert not apply_receipt(State.STORED, -621004).changed
    assert apply_receipt(State.SENT, -621004).after is State.REJECTED  # first answer: a real duplicate


def test_cancellation_and_return_settle_the_list() -> None:
    assert apply_request_receipt(State.CANCEL_REQUESTED, 399).after is State.CANCELLED
    assert apply_request_receipt(State.CANCEL_REQUESTED, 100).after is State.RELEASED
    assert apply_request_receipt(State.RETURN_REQUESTED, 800).after is State.RETURNED
    assert not apply_request_receipt(State.RETURN_REQUESTED, 2).changed
    assert not apply_request_receipt(State.RELEASED, 399).changed
