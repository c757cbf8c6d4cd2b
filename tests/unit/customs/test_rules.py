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


def test_a_changed_order_goes_as_a_change_only_when_customs_holds_no_list_of_it() -> None:
    from cbec.customs.rules import ChangeRoute, change_route

    assert change_route([]) is ChangeRoute.MODIFY  # the builder refused its list: nothing rests on the order
    assert change_route([State.REJECTED]) is ChangeRoute.MODIFY
    assert change_route([State.CANCELLED]) is ChangeRoute.MODIFY
    for accepted in (State.STORED, State.REVIEW, State.INSPECTION, State.CONCLUDED, State.RELEASED):
        assert change_route([accepted]) is ChangeRoute.CANCEL_FIRST
    for pending in (State.QUEUED, State.SENT, State.DECLARING, State.CANCEL_REQUESTED, State.RETURN_REQUESTED):
        assert change_route([pending]) is ChangeRoute.WAIT
    assert change_route([State.CLOSED]) is ChangeRoute.CLOSED
    # a split order: every part must be free before the change goes; one closed part closes it
    assert change_route([State.CANCELLED, State.RELEASED]) is ChangeRoute.CANCEL_FIRST
    assert change_route([State.CANCELLED, State.SENT]) is ChangeRoute.WAIT
    assert change_route([State.RELEASED, State.CLOSED]) is ChangeRoute.CLOSED


def test_a_revision_keeps_the_copno_length_and_its_split_part() -> None:
    from cbec.ceb.messages import Entity
    from cbec.customs.builders import Declared, cop_no, revised
    from cbec.customs.rules import LIST_MESSAGES, latest_lists, revision_of

    whole, part = cop_no("E", "P|SO1", None, 30), cop_no("E", "P|SO1", 2, 30)
    d = Declared("export", "9610")
    d.add("CEB303", "P|SO1", Entity({"orderNo": "SO1", "appType": "1"}))
    d.add("CEB505", "L|NEW1", Entity({"logisticsNo": "NEW1"}))
    d.add("CEB603", whole, Entity({"copNo": whole}))
    d.add("CEB603", part, Entity({"copNo": part}))
    r = revised(d, 2, {("CEB303", "P|SO1")}, LIST_MESSAGES)
    (order_key, order), (waybill_key, waybill) = r.entities["CEB303"][0], r.entities["CEB505"][0]
    assert order.head["appType"] == "2" and order_key == "P|SO1~R2"
    assert "appType" not in waybill.head and waybill_key == "L|NEW1"  # a new waybill goes as new
    lists = [e.head["copNo"] for _, e in r.entities["CEB603"]]
    assert [len(c) for c in lists] == [30, 30] and lists[1].endswith("R2-2") and lists[0].endswith("R2")
    assert [revision_of(c) for c in (whole, part, *lists)] == [1, 1, 2, 2]
    three = revised(d, 3, set(), LIST_MESSAGES).entities["CEB603"][0][1].head["copNo"]
    assert latest_lists([(whole, "cancelled", "I1", 1), (lists[0], "released", "I2", 2), (three, "sent", "", 3)]) == (
        3,
        [(State.SENT, "", 3)],
    )
    with pytest.raises(Exception, match="more than 8 times"):
        revised(d, 10, set(), LIST_MESSAGES)
