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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

#: the declared messages that are lists (清单): the ones the state machine, cancellation, return
#: and changes are about
LIST_MESSAGES = frozenset({"CEB603", "CEB621"})


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


#: Trade modes whose export list counts as exported — summarised (CEB701) and refunded — only once
#: customs accepted a departure (CEB509) of its parcel: 9610 "清单核放、汇总申报" summarises the
#: lists of goods that have left (海关总署公告2018年第194号, as RULES.md §2 recalls it [uncertain]),
#: and the refund rests on the 出口报关单 that summary yields (财税〔2013〕96号 cond. 2; the refund rate
#: follows its export date, RULES.md §3). 9810 is refunded on departure too (国家税务总局公告2025年
#: 第3号) but is not summarised here. Replaceable: widen or empty this set.
EXPORTED_ONLY_AFTER_DEPARTURE = frozenset({"9610"})

#: a list customs has accepted and not closed can be cancelled (撤销, CEB605/623)
CANCELLABLE = frozenset({State.STORED, State.REVIEW, State.CONCLUDED, State.RELEASED})
#: lists whose goods customs let go (or is about to): the money the finance area reconciles. A
#: refused or cancelled list sold nothing across the border; a returned one keeps its history
MONEY_STATES = frozenset(
    {State.STORED, State.REVIEW, State.INSPECTION, State.CONCLUDED, State.RELEASED, State.CLOSED,
     State.CANCEL_REQUESTED, State.RETURN_REQUESTED, State.RETURNED}
)  # fmt: skip
#: a released list can be returned (退货, CEB213/625)
RETURNABLE = frozenset({State.RELEASED, State.CONCLUDED, State.CLOSED})

#: An import list that ends in one of these states used none of its buyer's annual quota
#: (财关税〔2018〕49号 counts what a person bought): customs rejected it (100 退单, or a negative
#: code such as -621018 over the limit), it was cancelled (撤销, CEB623), or its goods were
#: returned (退货, CEB625: "the consumer's annual total is adjusted back", 海关总署公告2020年第45号;
#: tax decides from the list's release and return days whether the return is within 45号's 30
#: days, which refunds the tax too, or later: tax.rules.retail_return_outcome).
#: 700 退运 (shipped back) is not here: no text says whether it gives the quota back [uncertain].
QUOTA_GIVEN_BACK = frozenset({State.REJECTED, State.CANCELLED, State.RETURNED})


class ChangeRoute(StrEnum):
    """What a change to an order that was already declared needs (issue 16, item 7)."""

    MODIFY = "modify"  # send it: order/payment/waybill as changes (appType 2), the list again
    CANCEL_FIRST = "cancel_first"  # customs holds the list: cancel it (CEB605/623), then MODIFY
    WAIT = "wait"  # customs has not answered the list (or a request about it) yet
    CLOSED = "closed"  # the list is closed, shipped back or returned: no change can follow


#: Which state of the order's list allows which route. appType 1 new / 2 change / 3 delete is
#: CEB.md §4.1; what customs accepts when is our reading, modelled the same way by the sandbox
#: (docs/sandbox.md "changes"): an order, payment or waybill may change (appType 2) while no list
#: customs holds rests on it, and a list customs has accepted cannot be changed or deleted, only
#: cancelled (撤销, CEB605/CEB623). A list customs refused (100 退单, or a negative code) or
#: cancelled holds nothing, so the changed order goes again with a new list copNo (a void list
#: keeps its copNo at customs). [uncertain: the specification at hand gives no table of which
#: list states allow appType 2 of a list itself; this table is the replaceable place to say so.]
CHANGE_ROUTE: dict[State, ChangeRoute] = {
    State.REJECTED: ChangeRoute.MODIFY,
    State.CANCELLED: ChangeRoute.MODIFY,
    State.STORED: ChangeRoute.CANCEL_FIRST,
    State.REVIEW: ChangeRoute.CANCEL_FIRST,
    State.INSPECTION: ChangeRoute.CANCEL_FIRST,
    State.DETAINED: ChangeRoute.CANCEL_FIRST,
    State.CONCLUDED: ChangeRoute.CANCEL_FIRST,
    State.RELEASED: ChangeRoute.CANCEL_FIRST,
    State.CLOSED: ChangeRoute.CLOSED,
    State.SHIPPED_BACK: ChangeRoute.CLOSED,
    State.RETURNED: ChangeRoute.CLOSED,
}

CHANGE_TEXT: dict[ChangeRoute, tuple[str, str]] = {
    ChangeRoute.MODIFY: (
        "订单已变更：海关未持有其清单，下次申报时订单、支付单、运单以变更（appType 2）发送，清单以新编号重新申报",
        "the order changed; customs holds no list of it, so the next declaration sends the order, payment and "
        "waybill as changes (appType 2) and the list again under a new copNo",
    ),
    ChangeRoute.CANCEL_FIRST: (
        "订单已变更：海关已接受其清单，已接受的清单不能变更，须先申报撤销（CEB605/CEB623），撤销后变更自动发送",
        "the order changed; customs has accepted its list, and an accepted list cannot be changed: cancel it "
        "(CEB605/CEB623) and the change is sent once customs confirms the cancellation",
    ),
    ChangeRoute.WAIT: (
        "订单已变更：清单（或其撤销、退货申请）尚待海关回执，回执到达后再处理变更",
        "the order changed; its list (or a request about it) waits for customs' receipt, and the change is "
        "decided once it arrives",
    ),
    ChangeRoute.CLOSED: (
        "订单已变更：其清单已结关、退运或退货，不能再变更；如需更正，请申报退货或新订单",
        "the order changed, but its list is closed, shipped back or returned and can no longer change; "
        "declare a return or a new order instead",
    ),
}


def change_route(list_states: list[State]) -> ChangeRoute:
    """The route for a changed order whose latest lists (one per split part) are in these states;
    no list at all (the builder refused it) is a modification."""
    routes = {CHANGE_ROUTE.get(s, ChangeRoute.WAIT) for s in list_states}
    for route in (ChangeRoute.CLOSED, ChangeRoute.WAIT, ChangeRoute.CANCEL_FIRST):
        if route in routes:
            return route
    return ChangeRoute.MODIFY


_REVISION = re.compile(r"R(\d)(-\d+)?$")


def revision_of(list_cop_no: str) -> int:
    """Which revision of its order a list's copNo is (1: as first declared; our copNos are a hex
    digest, so an ``R`` marks a revision unambiguously; builders.revised makes them)."""
    found = _REVISION.search(list_cop_no)
    return int(found.group(1)) if found else 1


def latest_lists(lists: Sequence[tuple[str, str, str, int]]) -> tuple[int, list[tuple[State, str, int]]]:
    """Of an order's declared lists ((copNo, status, invtNo, id) each), the latest revision and
    its lists ((state, invtNo, id) each, one per split part)."""
    revision = max((revision_of(cop) for cop, _, _, _ in lists), default=1)
    return revision, [(State(status), invt, i) for cop, status, invt, i in lists if revision_of(cop) == revision]
