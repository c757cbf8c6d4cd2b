"""An order's journey, read from every area that has touched it, in the caller's scope: its
documents as received (each version), matching, the SKUs it waits on, risk, tax, each
declaration and receipt, release, and for an export the money received as the last
reconciliation found it (finance). Departure shows once customs accepted a departure (CEB509) of
the parcel (logistics); the per-order export refund is not followed yet (refunds are assessed by
period): shown as not tracked, never guessed. Reads only; no query of its own (each area's read services answer)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cbec.customs import service as customs
from cbec.customs.schemas import TimelineEntryRead
from cbec.errors import InvalidInput, NotFound
from cbec.finance import service as finance
from cbec.finance.rules import STATUS_TEXT
from cbec.finance.rules import Status as FxStatus
from cbec.intake import service as intake
from cbec.intake.schemas import DocumentSummaryRead
from cbec.journey.schemas import JourneyStep, OrderJourneyRead
from cbec.kit.paging import PageRequest
from cbec.matching import service as matching
from cbec.risk import service as risk
from cbec.tax import service as tax

ORDER_TYPES = {"export_order": "export", "import_order": "import"}
DOC_STEPS = {
    "export_order": ("received", "收到订单", "order received"),
    "import_order": ("received", "收到订单", "order received"),
    "export_waybill": ("waybill", "收到运单", "waybill received"),
    "import_waybill": ("waybill", "收到运单", "waybill received"),
    "import_payment": ("payment", "收到支付单", "payment received"),
    "export_receipt": ("payment", "收到收款单", "receipt of payment received"),
    "order_cancel": ("received", "收到取消单", "cancellation received"),
}
#: what later areas will add; shown as not tracked until they do
NOT_TRACKED = (
    (
        "departure",
        "离境",
        "departure",
        "物流离境信息尚未接入（物流与海外仓模块）",
        "departures are not tracked yet (logistics)",
    ),
    (
        "refund",
        "出口退税",
        "export refund",
        "退税按期间汇总，尚未按单跟踪（金融模块）",
        "refunds are assessed by period, not yet per order (finance)",
    ),
)
RELEASED = {"released", "closed"}
#: customs accepted a departure (CEB509) of the parcel: it has left (customs.service.movements)
DEPARTED = {"stored", "concluded"}
#: the movements of parcels, declared by the carrier or the site (the seller reads their timeline)
MOVEMENTS = {"CEB507", "CEB509", "CEB607", "CEB513", "CEB711", "CEB215"}
FAILED = {"rejected", "cancelled", "send_failed"}


def order_journey(session: Session, scope: frozenset[str] | None, query: str) -> OrderJourneyRead:
    """The journey of the order named by ``query``: its order number, a waybill number, or a
    list's number (invtNo) or copNo."""
    number = query.strip()
    if not number:
        raise InvalidInput("give an order, waybill or list number", "请输入订单号、运单号或清单编号", field="q")
    docs = intake.documents_of_order(session, scope, number)
    declarations = _declarations(session, scope, number)
    if not docs and declarations:
        docs = intake.documents_of_order(session, scope, declarations[0].order_no)
    orders = [d for d in docs if d.type in ORDER_TYPES]
    if not orders:
        raise NotFound(
            "no order of yours has this order, waybill or list number (or copNo)",
            "没有与此订单号、运单号、清单编号或企业内部编号对应的订单",
            field="q",
        )
    current = next((d for d in reversed(orders) if d.is_current), orders[-1])
    by_id = {d.id: d for d in [*_declarations(session, scope, current.order_no or ""), *declarations]}
    declarations = [by_id[i] for i in sorted(by_id)]
    steps = [*_document_steps(docs), *_matching_steps(session, current), *_risk_and_tax(session, scope, current)]
    steps += _declaration_steps(declarations)
    steps.sort(key=lambda s: s.at.timestamp() if s.at else float("inf"))  # stable: ties keep their order
    later = {k: JourneyStep(kind=k, at=None, state="not_tracked", title_zh=zh, title_en=en, detail_zh=dz, detail_en=de)
             for k, zh, en, dz, de in NOT_TRACKED}  # fmt: skip
    if not any(s.kind == "departure" and s.state == "done" for s in steps):
        steps.append(later["departure"])
    if ORDER_TYPES[current.type] == "export":
        steps += _money_steps(session, scope, current)
    steps.append(later["refund"])
    return OrderJourneyRead(
        query=number,
        order_no=current.order_no or "",
        seller_code=current.seller_code,
        direction=ORDER_TYPES[current.type],
        steps=steps,
    )


FX_STATE = {"received": "done", "partial": "waiting", "not_received": "waiting", "overdue": "failed"}


def _money_steps(session: Session, scope: frozenset[str] | None, order: DocumentSummaryRead) -> list[JourneyStep]:
    """The FX receipt as the last reconciliation (收汇对账) found it; not reconciled: not tracked."""
    found = finance.money_of_order(session, scope, order.seller_code, order.order_no or "")
    if not found:
        return [
            JourneyStep(kind="fx_receipt", at=None, state="not_tracked", title_zh="收汇", title_en="FX receipt",
                        detail_zh="尚未对账：上传平台结算与收汇流水后运行收汇对账", detail_en="not reconciled yet: import the settlements and receipts, then reconcile")
        ]  # fmt: skip
    steps = []
    for m in found:
        zh, en = STATUS_TEXT[FxStatus(m.status)]
        steps.append(
            JourneyStep(
                kind="fx_receipt",
                at=None,
                state=FX_STATE.get(m.status, "waiting"),
                title_zh=f"收汇：{zh}",
                title_en=f"FX receipt: {en}",
                detail_zh=f"申报 {m.currency} {m.declared:.2f}，结算净额 {m.net_settled:.2f}，已收 {m.received_net:.2f}",
                detail_en=f"declared {m.currency} {m.declared:.2f}, net settled {m.net_settled:.2f}, received {m.received_net:.2f}",
                link=f"/finance/lists/{m.list_id}" if m.list_id else None,
            )
        )
    return steps


def _declarations(session: Session, scope: frozenset[str] | None, ref: str) -> list[TimelineEntryRead]:
    if not ref:
        return []
    try:
        return customs.timeline(session, ref, scope).declarations
    except NotFound:
        return []


def _document_steps(docs: list[DocumentSummaryRead]) -> list[JourneyStep]:
    steps = []
    for d in docs:
        kind, zh, en = DOC_STEPS.get(d.type, ("received", d.type, d.type))
        problems = "; ".join(f"{e.get('field')}: {e.get('message_en')}" for e in d.errors[:3])
        problems_zh = "；".join(f"{e.get('field')}：{e.get('message_zh')}" for e in d.errors[:3])
        steps.append(
            JourneyStep(
                kind=kind,
                at=d.received_at,
                state="done" if d.is_valid else "failed",
                title_zh=f"{zh}（第 {d.version} 版）",
                title_en=f"{en} (version {d.version})",
                detail_zh=problems_zh or f"校验通过 · {d.sender_code}",
                detail_en=problems or f"valid · sent by {d.sender_code}",
                link=f"/api/v1/documents/{d.id}",
            )
        )
    return steps


def _matching_steps(session: Session, order: DocumentSummaryRead) -> list[JourneyStep]:
    match = matching.current_match_for_order(session, order.id)
    if match is None:
        return []
    failed = [r for r in match.rules if not r.passed]
    state = {"matched": "done", "held": "waiting"}.get(match.state, "failed")
    steps = [
        JourneyStep(
            kind="matching",
            at=match.created_at,
            state=state,
            title_zh=f"三单对碰：{match.state}",
            title_en=f"matching: {match.state}",
            detail_zh="；".join(r.reason_zh for r in failed) or "各项规则通过",
            detail_en="; ".join(r.reason_en for r in failed) or "every rule passed",
        )
    ]
    waiting = matching.skus_waited_on(session, match.order_key)
    if waiting:
        steps.append(
            JourneyStep(
                kind="waiting",
                at=match.created_at,
                state="waiting",
                title_zh="等待确认商品编码",
                title_en="waiting for HS codes to be confirmed",
                detail_zh="商品备案中待确认：" + "、".join(waiting),
                detail_en="to confirm in the catalogue: " + ", ".join(waiting),
                link="/catalogue?state=unconfirmed&waiting=1",
            )
        )
    return steps


def _risk_and_tax(session: Session, scope: frozenset[str] | None, order: DocumentSummaryRead) -> list[JourneyStep]:
    steps = []
    for h in risk.hits_for_order(session, scope, order.order_no or ""):
        steps.append(
            JourneyStep(
                kind="risk",
                at=h.decided_at or h.created_at,
                state={"open": "waiting", "cleared": "done"}.get(h.status, "failed"),
                title_zh=f"风险规则 {h.rule}：{h.status}",
                title_en=f"risk rule {h.rule}: {h.status}",
                detail_zh=h.message_zh + (f"（{h.decided_by}：{h.note}）" if h.decided_by else ""),
                detail_en=h.message_en + (f" ({h.decided_by}: {h.note})" if h.decided_by else ""),
                link="/risk",
            )
        )
    page = tax.list_assessments(session, scope, PageRequest(1, 20), reference=order.order_no or "")
    for a in page.items:
        steps.append(
            JourneyStep(
                kind="tax",
                at=a.created_at,
                state="failed" if a.is_refused else "done",
                title_zh=f"税款计算（{a.kind}）：{a.tax_total} 元",
                title_en=f"tax assessed ({a.kind}): CNY {a.tax_total}",
                detail_zh=f"规则 {a.rule_set or ''}" + ("，超限未申报" if a.is_refused else ""),
                detail_en=f"rule set {a.rule_set or ''}" + (", refused: over a limit" if a.is_refused else ""),
                link=f"/api/v1/tax/assessments/{a.id}",
            )
        )
    return steps


def _declaration_steps(declarations: list[TimelineEntryRead]) -> list[JourneyStep]:
    steps = []
    for d in declarations:
        for e in d.events:
            info = f"{e.return_status} {e.return_info}".strip() if e.return_status is not None else e.source
            released = d.message_type in ("CEB603", "CEB621") and e.after in RELEASED and e.before not in RELEASED
            departed = d.message_type == "CEB509" and e.after in DEPARTED
            steps.append(
                JourneyStep(
                    kind="released" if released else "departure" if departed else "declaration",
                    at=datetime.fromisoformat(e.at),
                    state="failed" if e.after in FAILED else "done",
                    title_zh=f"{d.message_type} {e.before or '—'} → {e.after}",
                    title_en=f"{d.message_type} {e.before or '—'} → {e.after}",
                    detail_zh=info,
                    detail_en=info,
                    link=None if d.message_type in MOVEMENTS else f"/declarations/{d.id}",
                )
            )
    return steps
