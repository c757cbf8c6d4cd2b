"""The declaration state machine: what a receipt's ``returnStatus`` does to a declaration.

returnStatus values (CEB.md §4.2, SPEC/XSD annotations): 1 暂存, 2 电子口岸申报中, 3 发送海关成功,
4 发送海关失败, 100 海关退单, 120 海关入库, 300 人工审核, 399 海关审结, 500 查验, 501–599 扣留,
505 移交, 600 挂起, 700 退运, 800 放行, 899 结关, < 0 processing error (e.g. −621005 single
transaction over the limit). The happy path of a list is 2 → 120 → 399/800 → 899; an order,
payment or waybill ends at 120 (海关入库).

Receipts can arrive late or twice (the e-port resends); a receipt never moves a declaration
backwards: it is recorded, and the state stays. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    QUEUED = "queued"  # built, waiting in the outbox
    SENT = "sent"  # handed to the transport
    DRAFT = "draft"  # 1 电子口岸已暂存
    DECLARING = "declaring"  # 2 电子口岸申报中 / 3 发送海关成功
    SEND_FAILED = "send_failed"  # 4 发送海关失败 (resend)
    STORED = "stored"  # 120 海关入库
    REVIEW = "review"  # 300 人工审核
    INSPECTION = "inspection"  # 500 查验
    DETAINED = "detained"  # 501/502/503/599 扣留, 505 移交, 600 挂起
    CONCLUDED = "concluded"  # 399 海关审结
    RELEASED = "released"  # 800 放行
    CLOSED = "closed"  # 899 结关
    SHIPPED_BACK = "shipped_back"  # 700 退运
    REJECTED = "rejected"  # 100 海关退单, or a negative code / CEB900 format error
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    RETURN_REQUESTED = "return_requested"  # CEB213/625 sent for a released list
    RETURNED = "returned"  # customs accepted the return (退货)


#: How far along each state is; a receipt may only move a declaration forward.
RANK: dict[State, int] = {
    State.QUEUED: 0,
    State.SENT: 10,
    State.DRAFT: 15,
    State.SEND_FAILED: 18,
    State.DECLARING: 20,
    State.STORED: 30,
    State.REVIEW: 40,
    State.INSPECTION: 50,
    State.DETAINED: 55,
    State.CONCLUDED: 60,
    State.RELEASED: 70,
    State.CLOSED: 90,
    State.SHIPPED_BACK: 90,
    State.REJECTED: 95,
    State.CANCEL_REQUESTED: 80,
    State.CANCELLED: 99,
    State.RETURN_REQUESTED: 85,
    State.RETURNED: 99,
}

FINAL = frozenset({State.CLOSED, State.REJECTED, State.CANCELLED, State.SHIPPED_BACK, State.RETURNED})

_BY_STATUS: dict[int, State] = {
    1: State.DRAFT,
    2: State.DECLARING,
    3: State.DECLARING,
    4: State.SEND_FAILED,
    100: State.REJECTED,
    120: State.STORED,
    300: State.REVIEW,
    399: State.CONCLUDED,
    500: State.INSPECTION,
    501: State.DETAINED,
    502: State.DETAINED,
    503: State.DETAINED,
    505: State.DETAINED,
    599: State.DETAINED,
    600: State.DETAINED,
    700: State.SHIPPED_BACK,
    800: State.RELEASED,
    899: State.CLOSED,
}

STATUS_TEXT: dict[int, tuple[str, str]] = {
    1: ("电子口岸已暂存", "saved as draft at the e-port"),
    2: ("电子口岸申报中", "accepted by the e-port, being declared"),
    3: ("发送海关成功", "delivered to customs"),
    4: ("发送海关失败", "delivery to customs failed"),
    100: ("海关退单", "rejected by customs"),
    120: ("海关入库", "stored by customs"),
    300: ("人工审核", "manual review"),
    399: ("海关审结", "concluded by customs"),
    500: ("查验", "inspection"),
    501: ("扣留移送通关", "detained, transferred to clearance"),
    502: ("扣留移送缉私", "detained, transferred to anti-smuggling"),
    503: ("扣留移送法规", "detained, transferred to legal"),
    505: ("移交", "handed over"),
    599: ("其它扣留", "detained (other)"),
    600: ("挂起", "suspended"),
    700: ("退运", "shipped back"),
    800: ("放行", "released"),
    899: ("结关", "closed"),
}


def state_for(return_status: int) -> State:
    """The state a returnStatus means; negative codes are processing errors (rejections)."""
    if return_status < 0:
        return State.REJECTED
    return _BY_STATUS.get(return_status, State.DECLARING)


def describe(return_status: int) -> tuple[str, str]:
    if return_status < 0:
        return ("处理失败", "processing error")
    return STATUS_TEXT.get(return_status, ("未知状态", "unknown status"))


@dataclass(frozen=True, slots=True)
class Transition:
    before: State
    after: State
    changed: bool


#: customs accepted a cancellation or return request with one of these
_REQUEST_DONE = frozenset({120, 399, 800, 899})


def apply_request_receipt(list_state: State, return_status: int) -> Transition:
    """What a receipt of a cancellation (606/624) or return (214/626) does to the LIST it concerns:
    accepted (120/399/800/899) → cancelled / returned; refused (100 or negative) → the list is
    back where it was (released); anything else (2, 300 …) leaves the request pending."""
    if list_state is State.CANCEL_REQUESTED:
        done, back = State.CANCELLED, State.RELEASED
    elif list_state is State.RETURN_REQUESTED:
        done, back = State.RETURNED, State.RELEASED
    else:
        return Transition(list_state, list_state, False)
    if return_status in _REQUEST_DONE:
        return Transition(list_state, done, True)
    if return_status == 100 or return_status < 0:
        return Transition(list_state, back, True)
    return Transition(list_state, list_state, False)


#: "already received" answers (CEB.md §4.2: −301010 order, −401007 payment, −504012 waybill,
#: −621004 list; −900001 the sandbox's for other types): after a resend of a message customs had
#: already accepted, they say nothing new about the declaration, which keeps its standing.
DUPLICATE_CODES = frozenset({-301010, -401007, -504012, -621004, -900001})


def apply_receipt(current: State, return_status: int) -> Transition:
    """The effect of one receipt on the declaration it answers."""
    if return_status in DUPLICATE_CODES and RANK[current] >= RANK[State.STORED]:
        return Transition(current, current, False)
    target = state_for(return_status)
    if current in FINAL:
        return Transition(current, current, False)
    if target is State.REJECTED or RANK[target] > RANK[current]:
        return Transition(current, target, True)
    return Transition(current, current, False)


#: a list customs has accepted and not closed can be cancelled (撤销, CEB605/623)
CANCELLABLE = frozenset({State.STORED, State.REVIEW, State.CONCLUDED, State.RELEASED})
#: a released list can be returned (退货, CEB213/625)
RETURNABLE = frozenset({State.RELEASED, State.CONCLUDED, State.CLOSED})

#: An import list that ends in one of these states used none of its buyer's annual quota
#: (财关税〔2018〕49号 counts what a person bought): customs rejected it (100 退单, or a negative
#: code such as -621018 over the limit), it was cancelled (撤销, CEB623), or its goods were
#: returned (退货, CEB625: "the consumer's annual total is adjusted back", 海关总署公告2020年第45号).
#: 700 退运 (shipped back) is not here: no text says whether it gives the quota back [uncertain].
QUOTA_GIVEN_BACK = frozenset({State.REJECTED, State.CANCELLED, State.RETURNED})
