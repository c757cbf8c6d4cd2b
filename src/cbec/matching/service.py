"""Run the matching rule table over stored documents, in batches, and record every result."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cbec.errors import NotFound
from cbec.intake.documents import DocType
from cbec.kit.paging import PageRequest
from cbec.kit.read import Page
from cbec.matching import repository
from cbec.matching.models import MatchResult
from cbec.matching.rules import EXPORT, IMPORT, Doc, MatchInput, match, pick_candidate, unconfirmed_skus
from cbec.matching.schemas import MatchedOrder, MatchRead, RuleResultRead
from cbec.orm import utcnow
from cbec.sharing import service as sharing
from cbec.sharing.schemas import EventType, MatchDecided

Progress = Callable[[int, int | None], None]

_KINDS = {
    DocType.EXPORT_ORDER.value: ("export", DocType.EXPORT_WAYBILL.value, DocType.EXPORT_RECEIPT.value, EXPORT),
    DocType.IMPORT_ORDER.value: ("import", DocType.IMPORT_WAYBILL.value, DocType.IMPORT_PAYMENT.value, IMPORT),
}


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    """What a confirmation of HS codes did to the orders waiting on them."""

    rematched: int
    released: int  # matched now: ready to declare
    still_waiting: int


@dataclass
class MatchSummary:
    orders: int = 0
    by_state: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"orders": self.orders, "by_state": dict(self.by_state), "by_reason": dict(self.by_reason)}


def _as_doc(d: Any) -> Doc:
    """A waybill or payment for the rules, naming the seller it was filed under: documents of two
    sellers never pair, even under the same order number (rule waybill_seller / payment rules)."""
    head = d.head if d.head.get("ebcCode") else {**d.head, "ebcCode": d.seller_code}
    return Doc(d.id, head, (), d.is_valid)


def run_matching(
    session: Session,
    *,
    order_nos: Iterable[str] | None = None,
    seller_code: str | None = None,
    only_unmatched: bool = True,
    batch: int = 1000,
    progress: Progress | None = None,
) -> MatchSummary:
    """Match orders with their waybills (and payments). Does not commit.

    ``order_nos`` re-runs exactly those orders (a late document arrived for them), matched or
    not; without it, every current order that is not matched yet is (re)tried.
    """
    summary = MatchSummary()
    nos = sorted(set(order_nos)) if order_nos is not None else None
    chunks: list[list[str] | None] = [nos[i : i + 500] for i in range(0, len(nos), 500)] if nos is not None else [None]
    for chunk in chunks:
        if chunk is not None:  # named orders: a few index probes, then in batches
            named = repository.orders_named(session, list(_KINDS), chunk, seller_code)
            for start in range(0, len(named), batch):
                _match_batch(session, named[start : start + batch], summary)
                if progress:
                    progress(summary.orders, None)
            continue
        after = 0
        while True:
            orders = repository.order_batch(
                session,
                list(_KINDS),
                after_id=after,
                limit=batch,
                only_unmatched=only_unmatched,
                seller_code=seller_code,
            )
            if not orders:
                break
            after = orders[-1].id
            _match_batch(session, orders, summary)
            if progress:
                progress(summary.orders, None)
    return summary


def _match_batch(session: Session, orders: Sequence[Any], summary: MatchSummary) -> None:
    now = utcnow()
    rows: list[dict[str, Any]] = []
    waits: list[dict[str, Any]] = []
    skus = repository.confirmed_skus(session, {o.seller_code for o in orders})
    events: list[MatchDecided] | None = [] if sharing.listens(session, EventType.MATCH_RESULT) else None
    by_kind: dict[str, list[Any]] = {}
    for o in orders:
        by_kind.setdefault(o.doc_type, []).append(o)
    for doc_type, group in by_kind.items():
        kind, waybill_type, payment_type, table = _KINDS[doc_type]
        order_nos = [o.order_no for o in group if o.order_no]
        waybills: dict[str, list[Any]] = {}
        for w in repository.current_docs_by(session, waybill_type, "order_no", order_nos):
            waybills.setdefault(w.order_no, []).append(w)
        by_logistics: dict[str, Any] = {}
        linked = [o.logistics_no for o in group if o.logistics_no]
        if linked:
            for w in repository.current_docs_by(session, waybill_type, "logistics_no", linked):
                by_logistics[w.logistics_no] = w
        payments: dict[str, list[Any]] = {}
        for p in repository.current_docs_by(session, payment_type, "order_no", order_nos):
            payments.setdefault(p.order_no, []).append(p)
        for o in group:
            ebp = o.head.get("ebpCode", "")
            w = by_logistics.get(o.logistics_no) if o.logistics_no else None
            if w is None:
                w = pick_candidate(waybills.get(o.order_no, []), ebp, o.seller_code)
            p = pick_candidate(payments.get(o.order_no, []), ebp, o.seller_code)
            confirmed = skus.get(o.seller_code, frozenset())
            outcome = match(
                MatchInput(
                    order=Doc(o.id, o.head, o.lines, o.is_valid),
                    waybill=_as_doc(w) if w is not None else None,
                    payment=_as_doc(p) if p is not None else None,
                    confirmed_skus=confirmed,
                ),
                table,
            )
            waits.extend(
                {"order_key": o.doc_key, "order_no": o.order_no, "seller_code": o.seller_code, "sku": sku[:30]}
                for sku in unconfirmed_skus(o.lines, confirmed)
            )
            if events is not None:  # the platform and the logistics company are told too
                others = (ebp, str(w.head.get("logisticsCode") or "") if w is not None else "")
                events.append(MatchDecided(
                    seller=o.seller_code, others=others, order_no=o.order_no or o.doc_key, direction=kind,
                    state=outcome.state.value, reasons=(outcome.reason,) if outcome.reason else (),
                ))  # fmt: skip
            summary.orders += 1
            summary.by_state[outcome.state.value] += 1
            if outcome.reason:
                summary.by_reason[outcome.reason] += 1
            rows.append(
                {
                    "kind": kind,
                    "order_key": o.doc_key,
                    "seller_code": o.seller_code,
                    "order_doc_id": o.id,
                    "waybill_doc_id": w.id if w is not None else None,
                    "payment_doc_id": p.id if p is not None else None,
                    "state": outcome.state.value,
                    "reason": outcome.reason,
                    "rules": [r.as_dict() for r in outcome.rules],
                    "is_current": True,
                    "created_at": now,
                }
            )
    repository.replace_results(session, [r["order_key"] for r in rows], rows)
    repository.replace_waits(session, [r["order_key"] for r in rows], waits)
    sharing.publish_many(session, events or ())


# --- read side -------------------------------------------------------------------------------


def state_counts(session: Session, seller_code: str | None = None) -> dict[str, dict[str, int]]:
    """Current match results by kind (export, import) and state."""
    out: dict[str, dict[str, int]] = {}
    for kind, state, n in repository.state_counts(session, seller_code):
        out.setdefault(kind, {})[state] = n
    return out


def reason_counts(session: Session, seller_code: str | None = None) -> dict[str, dict[str, int]]:
    """Current results not matched, by state and the first rule that failed."""
    out: dict[str, dict[str, int]] = {}
    for state, reason, n in repository.reason_counts(session, seller_code):
        out.setdefault(state, {})[reason] = n
    return out


def match_read(r: MatchResult) -> MatchRead:
    return MatchRead(
        id=r.id,
        kind=r.kind,
        order_key=r.order_key,
        seller_code=r.seller_code,
        order_doc_id=r.order_doc_id,
        waybill_doc_id=r.waybill_doc_id,
        payment_doc_id=r.payment_doc_id,
        state=r.state,
        reason=r.reason,
        rules=[RuleResultRead.model_validate(x) for x in r.rules],
        created_at=r.created_at,
    )


def list_matches(
    session: Session,
    scope: frozenset[str] | None,
    req: PageRequest,
    *,
    state: str | None = None,
    kind: str | None = None,
    reason: str | None = None,
) -> Page[MatchRead]:
    total, rows = repository.list_results(
        session, scope, state=state, kind=kind, reason=reason, offset=req.offset, limit=req.page_size
    )
    return Page[MatchRead].of([match_read(r) for r in rows], total, req)


def get_match(session: Session, scope: frozenset[str] | None, result_id: int) -> MatchRead:
    r = repository.get_result(session, scope, result_id)
    if r is None:
        raise NotFound(f"match result {result_id} not found", f"对碰结果 {result_id} 不存在", field="id")
    return match_read(r)


def current_match_for_order(session: Session, order_doc_id: int) -> MatchRead | None:
    """The order's current match result, each rule with its reason."""
    r = repository.current_for_order_doc(session, order_doc_id)
    return match_read(r) if r else None


# --- orders waiting on the catalogue ---------------------------------------------------------


def waiting_by_sku(session: Session, seller_code: str) -> dict[str, int]:
    """How many of the seller's orders wait on each SKU's HS code being confirmed."""
    return repository.waiting_by_sku(session, seller_code)


def orders_waiting(session: Session, seller_code: str) -> int:
    """The seller's orders waiting on at least one SKU's HS code."""
    return repository.orders_waiting(session, seller_code)


def release_waiting(session: Session, seller_code: str, skus: Iterable[str]) -> ReleaseReport:
    """Re-match the seller's orders that waited on ``skus`` (their HS codes were just confirmed):
    how many were re-matched, how many are matched now (released to declaration), and how many
    still wait (on another SKU, or for a waybill)."""
    order_nos = repository.waiting_order_nos(session, seller_code, skus)
    if not order_nos:
        return ReleaseReport(0, 0, 0)
    summary = run_matching(session, order_nos=order_nos, seller_code=seller_code)
    return ReleaseReport(
        rematched=summary.orders,
        released=summary.by_state.get("matched", 0),
        still_waiting=summary.orders - summary.by_state.get("matched", 0),
    )


def skus_waited_on(session: Session, order_key: str) -> list[str]:
    """The SKUs whose HS code the order waits on (none once its codes are confirmed)."""
    return repository.skus_waited_on(session, order_key)


def matched_orders(session: Session, order_nos: Iterable[str]) -> list[MatchedOrder]:
    """The orders among ``order_nos`` whose current result is matched, with what routes them
    to declaring on the bus (the platform and order number; the buyer of an import)."""
    return [
        MatchedOrder(
            order_key=key,
            kind=kind,
            platform_code=str(head.get("ebpCode") or ""),
            order_no=str(head.get("orderNo") or ""),
            buyer_id_number=str(head.get("buyerIdNumber") or "").upper() if kind == "import" else "",
        )
        for key, kind, head in repository.matched_orders(session, order_nos)
    ]
