"""Risk screening of retail-import orders before they are declared, and the review of its hits.

``screen_imports`` is the hook the declaration path calls for every batch of matched import
orders (customs.service.declare, before the tax step): each order version is screened once by
the pure rules (cbec.risk.rules) against the orders screened before it and beside it; its trace
(digests of buyer, phone and address, time, value) is kept for the orders after it, and its hits
are stored. An order with an open hit is held; a person clears each hit (the order then goes on
to tax and declaration) or refuses it (the order is not declared). ``decide`` records that
decision with who made it and why. Nothing here commits; the caller's unit of work does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.errors import InvalidInput, NotFound, RuleViolation
from cbec.kit.paging import PageRequest
from cbec.kit.read import Page
from cbec.orm import utcnow
from cbec.risk import repository, rules
from cbec.risk.models import RiskHit, RiskTrace
from cbec.risk.schemas import ImportToScreen, RiskHitRead
from cbec.sharing import service as sharing
from cbec.sharing.schemas import EventType, RiskHitFound

THRESHOLDS_FILE = Path(__file__).parent.parent / "data" / "thresholds.json"
DECISIONS = {"clear": "cleared", "refuse": "refused"}


@lru_cache(maxsize=8)
def thresholds(path: Path | None = None) -> rules.Thresholds:
    """The rules' thresholds from ``path`` (the operator's file) or the shipped illustrative ones."""
    file = path or THRESHOLDS_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return rules.Thresholds.from_mapping(data, source=str(file))
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"risk thresholds {file} cannot be used: {exc}",
            f"风险规则阈值文件 {file} 无法使用：{exc}",
            document=str(file),
        ) from None


@dataclass
class Screening:
    """What screening a batch decided: order versions held (an open hit) or refused by a
    reviewer; ``hits`` new hits stored."""

    held: set[int] = field(default_factory=set)
    refused: set[int] = field(default_factory=set)
    screened: int = 0
    hits: int = 0


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def facts_of(order: ImportToScreen) -> rules.OrderFacts:
    return rules.OrderFacts(
        order_no=order.order_no,
        buyer=rules.digest("id", order.buyer_id_number.strip().upper()),
        phone=rules.digest("phone", rules.normalise_phone(order.telephone)),
        address=rules.digest("address", rules.normalise_address(order.address)),
        at=rules.order_time({"orderTime": order.order_time}, {"payTime": order.pay_time}, order.received_at),
        value=_amount(order.goods_value) + _amount(order.freight) + _amount(order.insured_fee),
    )


def _facts_of_trace(t: RiskTrace) -> rules.OrderFacts:
    return rules.OrderFacts(t.order_no, t.buyer_key, t.phone_key, t.address_key, t.ordered_at, t.value)


Pools = dict[str, dict[str, list[rules.OrderFacts]]]


def screen_imports(
    session: Session, orders: Sequence[ImportToScreen], *, limits: rules.Thresholds | None = None
) -> Screening:
    """Screen matched import orders, each version once. Returns the versions held (open hits)
    and refused (a reviewer refused a hit)."""
    limits = limits or thresholds()
    out = Screening()
    if not orders:
        return out
    before = _screened_before(session, [o.order_doc_id for o in orders], out)
    fresh = [(o, facts_of(o)) for o in orders if o.order_doc_id not in before]
    if not fresh:
        return out
    pools = _pools(session, [f for _, f in fresh], limits)
    traces: list[dict[str, Any]] = []
    hits: list[dict[str, Any]] = []
    now = utcnow()
    for order, f in fresh:
        out.screened += 1
        traces.append(_trace_row(order, f, now))
        found = rules.screen(
            f,
            pools["buyer"].get(f.buyer, []),
            pools["phone"].get(f.phone, []),
            pools["address"].get(f.address, []),
            limits,
        )
        hits.extend(_hit_row(order, f, hit, now) for hit in found)
        if found:
            out.held.add(order.order_doc_id)
    repository.add_traces(session, traces)
    repository.add_hits(session, hits)
    sharing.publish_many(session, [told(h) for h in hits] if sharing.listens(session, EventType.RISK_HIT) else ())
    out.hits += len(hits)
    return out


def _screened_before(session: Session, ids: list[int], out: Screening) -> set[int]:
    """The versions screened before; their stored hits decide whether they are held or refused."""
    before = repository.screened(session, ids)
    if before:
        for doc_id, states in repository.hit_states(session, before).items():
            if "refused" in states:
                out.refused.add(doc_id)
            elif "open" in states:
                out.held.add(doc_id)
    return before


def _pools(session: Session, fresh: list[rules.OrderFacts], limits: rules.Thresholds) -> Pools:
    """The orders near in time sharing a buyer, phone or address with one of ``fresh``: those
    stored, and the orders of this batch, which see each other in either order."""
    start = min(f.at for f in fresh) - limits.look_back
    end = max(f.at for f in fresh) + limits.look_back
    pools: Pools = {"buyer": {}, "phone": {}, "address": {}}
    for kind, pool in pools.items():
        keys = {getattr(f, kind) for f in fresh} - {""}
        for t in repository.traces_near(session, f"{kind}_key", keys, start, end):
            facts = _facts_of_trace(t)
            pool.setdefault(getattr(facts, kind), []).append(facts)
    for f in fresh:
        for kind, pool in pools.items():
            pool.setdefault(getattr(f, kind), []).append(f)
    return pools


def _trace_row(order: ImportToScreen, f: rules.OrderFacts, now: datetime) -> dict[str, Any]:
    return {
        "order_doc_id": order.order_doc_id,
        "seller_code": order.seller_code,
        "order_no": f.order_no[:60],
        "buyer_key": f.buyer,
        "phone_key": f.phone,
        "address_key": f.address,
        "ordered_at": f.at,
        "value": f.value,
        "created_at": now,
    }


def _hit_row(order: ImportToScreen, f: rules.OrderFacts, hit: rules.Hit, now: datetime) -> dict[str, Any]:
    return {
        "order_doc_id": order.order_doc_id,
        "seller_code": order.seller_code,
        "ebp_code": order.ebp_code[:18],
        "order_no": f.order_no[:60],
        "rule": hit.rule,
        "field": hit.field,
        "message_zh": hit.message_zh[:1000],
        "message_en": hit.message_en[:1000],
        "detail": hit.detail,
        "status": "open",
        "decided_by": "",
        "note": "",
        "created_at": now,
    }


def told(hit: dict[str, Any]) -> RiskHitFound:
    """A hit as partners hear of it: the rule and its explanation, never the buyer, phone or
    address behind it (the hit's ``detail`` stays on the platform)."""
    return RiskHitFound(
        seller=hit["seller_code"], others=(hit["ebp_code"],), order_no=hit["order_no"], rule=hit["rule"],
        status=hit["status"], message_en=hit["message_en"][:500], message_zh=hit["message_zh"][:500],
    )  # fmt: skip


def hit_read(h: RiskHit) -> RiskHitRead:
    return RiskHitRead(
        id=h.id,
        order_no=h.order_no,
        seller_code=h.seller_code,
        ebp_code=h.ebp_code,
        rule=h.rule,
        field=h.field,
        message_zh=h.message_zh,
        message_en=h.message_en,
        detail=h.detail,
        status=h.status,
        decided_by=h.decided_by,
        decided_at=h.decided_at,
        note=h.note,
        created_at=h.created_at,
    )


def list_hits(
    session: Session,
    scope: frozenset[str] | None,
    req: PageRequest,
    *,
    status: str | None = None,
    seller_code: str | None = None,
) -> Page[RiskHitRead]:
    if status and status not in ("open", "query", "cleared", "refused"):
        raise InvalidInput(
            f"status must be open, query, cleared or refused, not {status!r}",
            f"状态须为 open、query、cleared 或 refused，而不是 {status!r}",
            field="status",
        )
    total, rows = repository.list_hits(
        session, scope, status=status, seller_code=seller_code, offset=req.offset, limit=req.page_size
    )
    return Page[RiskHitRead].of([hit_read(h) for h in rows], total, req)


def decide(
    session: Session,
    hit_id: int,
    decision: str,
    *,
    by: str,
    note: str,
    scope: frozenset[str] | None = None,
    at: datetime | None = None,
) -> RiskHitRead:
    """Clear (``clear``: the order may be declared once none of its hits is open) or refuse
    (``refuse``: it is not declared) one open hit, with who decided and why."""
    if decision not in DECISIONS:
        raise InvalidInput(
            f"decision must be clear or refuse, not {decision!r}",
            f"决定须为 clear（放行）或 refuse（拒绝），而不是 {decision!r}",
            field="decision",
        )
    if not note.strip():
        raise InvalidInput("a decision needs its reason (note)", "审核决定须填写理由（note）", field="note")
    if not by.strip():
        raise InvalidInput("a decision needs who made it (by)", "审核决定须注明审核人（by）", field="by")
    hit = repository.get_hit(session, scope, hit_id)
    if hit is None:
        raise NotFound(f"risk hit {hit_id} not found", f"风险命中 {hit_id} 不存在", field="id")
    if hit.status not in ("open", "query"):
        raise RuleViolation(
            f"risk hit {hit_id} was {hit.status} already by {hit.decided_by}; a decision is not changed",
            f"风险命中 {hit_id} 已由 {hit.decided_by} 处理（{hit.status}），决定不可更改",
            field="id",
        )
    hit.status = DECISIONS[decision]
    hit.decided_by = by.strip()[:60]
    hit.note = note.strip()[:500]
    hit.decided_at = at or utcnow()
    session.flush()
    audit.record(
        session,
        "risk.decide",
        f"hit:{hit.id}",
        {"order": hit.order_no, "rule": hit.rule, "decision": hit.status, "by": hit.decided_by, "note": hit.note},
    )
    return hit_read(hit)


def hits_for_order(session: Session, scope: frozenset[str] | None, order_no: str) -> list[RiskHitRead]:
    """The risk hits of an order, in the scope, oldest first."""
    return [hit_read(h) for h in repository.hits_for_order(session, scope, order_no)]


def refused_hits_since(session: Session, seller_code: str, since: datetime) -> int:
    """How many of the seller's orders a reviewer refused on a risk hit since ``since`` (credit
    and financing read it)."""
    return repository.refused_hits_since(session, seller_code, since)
