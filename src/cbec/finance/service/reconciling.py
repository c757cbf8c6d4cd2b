"""Reconciliation on stored data (issue 17, part 3): the pure rules over the seller's declared
exports, settlements and receipts; each order's figures stored, the period reported. Does not
commit."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.customs import service as customs
from cbec.errors import CbecError
from cbec.finance import repository
from cbec.finance import rules as r
from cbec.finance.models import FxReceipt
from cbec.finance.rates import Quote, cny_quote
from cbec.finance.schemas import (
    CurrencyTotals,
    OrderMoneyRead,
    QuoteRead,
    ReconcileReport,
    UnmatchedRead,
)
from cbec.finance.workbook import workbook
from cbec.intake import service as intake
from cbec.intake.documents import DocType
from cbec.kit.codes import code_lists
from cbec.sharing import service as sharing
from cbec.sharing.schemas import EventType, FxReconciled

MAX_UNMATCHED = 500


def _iso(code: str) -> str:
    try:
        return code_lists().currency_iso(code)
    except CbecError:
        return code  # already ISO (a currency converted at intake keeps its ISO code)


def _receipt_charges(session: Session, seller: str) -> dict[tuple[str, str], tuple[Decimal, str]]:
    """(ebpCode, orderNo) → (the charges its CEB403 收款单 declare, their currency ISO)."""
    out: dict[tuple[str, str], tuple[Decimal, str]] = {}
    for order_no, head, _ in intake.current_order_heads(session, DocType.EXPORT_RECEIPT, seller):
        key = (str(head.get("ebpCode") or ""), str(order_no or ""))
        try:
            charge = Decimal(str(head.get("charge")))
        except (ArithmeticError, ValueError):
            continue
        before = out.get(key, (Decimal(0), ""))[0]
        out[key] = (before + charge, _iso(str(head.get("currency") or "")))
    return out


def declared_orders(session: Session, seller: str) -> list[r.OrderIn]:
    """The seller's declared export orders: one per (platform, order number), the goods value of
    its lists added up (a split order has several), released on the first part's day."""
    by_order: dict[tuple[str, str], r.OrderIn] = {}
    for d in customs.declared_exports(session, seller):
        key = (d.ebp_code, d.order_no)
        value = d.total_value or Decimal(0)
        seen = by_order.get(key)
        if seen is None:
            by_order[key] = r.OrderIn(
                d.ebp_code, d.order_no, d.id, d.invt_no, d.status, value, _iso(d.currency), d.released_on, d.trade_mode
            )
        else:
            by_order[key] = r.OrderIn(
                seen.platform, seen.order_no, seen.list_id, seen.invt_no, seen.list_status,
                seen.declared_value + value, seen.currency, seen.released_on or d.released_on, seen.trade_mode,
            )  # fmt: skip
    charges = _receipt_charges(session, seller)
    return [
        replace(o, receipt_charge=charges[(o.platform, o.order_no)][0])
        if (o.platform, o.order_no) in charges and charges[(o.platform, o.order_no)][1] == o.currency
        else o
        for o in by_order.values()
    ]


def reconcile(
    session: Session,
    seller: str,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    policy: r.Policy | None = None,
) -> ReconcileReport:
    """Reconcile every declared export order of the seller against its settlements and receipts,
    store each order's figures (replacing the last run), and report the period's."""
    as_of = as_of or datetime.now(UTC).date()
    result, settlements, receipts = run(session, seller, as_of, policy)
    before = repository.money_statuses(session, seller) if sharing.listens(session, EventType.FX_RECONCILED) else None
    repository.replace_order_money(session, seller, [_money_row(seller, m, as_of) for m in result.orders])
    if before is not None:  # partners hear of an order whose money status changed, not of every re-run
        sharing.publish_many(
            session, [_told(seller, m, as_of) for m in result.orders if before.get(m.order.order_no) != m.status.value]
        )
    audit.record(
        session, "finance.reconcile", f"seller:{seller}", {"as_of": as_of.isoformat(), "orders": len(result.orders)}
    )
    return _report(seller, result, start, end, as_of, settlements, receipts)


def reconcile_workbook(
    session: Session, seller: str, *, start: date | None = None, end: date | None = None, as_of: date | None = None
) -> bytes:
    """The period's reconciliation as an XLSX workbook (computed, nothing stored)."""
    as_of = as_of or datetime.now(UTC).date()
    result, settlements, receipts = run(session, seller, as_of, None)
    report = _report(seller, result, start, end, as_of, settlements, receipts)
    orders = [_money_read(seller, m, as_of) for m in result.orders if _in_period(m, start, end)]
    return workbook(report, orders)


def _money_read(seller: str, m: r.OrderMoney, as_of: date) -> OrderMoneyRead:
    row = _money_row(seller, m, as_of)
    fields = {k: v for k, v in row.items() if k in OrderMoneyRead.model_fields and k != "bridge"}
    return OrderMoneyRead(**fields, bridge=dict(m.bridge))


def run(session: Session, seller: str, as_of: date, policy: r.Policy | None) -> tuple[r.Reconciled, int, int]:
    """The pure reconciliation over what is stored: (result, settlements, receipts)."""
    orders = declared_orders(session, seller)
    settlements = repository.settlements_of(session, seller)
    rows = [
        r.SettlementRow(sid, row, order_no, category, Decimal(str(amount)), desc)
        for sid, row, order_no, category, amount, desc in repository.lines_of(session, [s.id for s in settlements])
    ]
    payouts = [
        r.PayoutIn(s.id, s.reference, s.platform, s.currency, Decimal(str(s.total)), s.deposit_date)
        for s in settlements
    ]
    receipts = repository.receipts_of(session, seller)
    result = r.reconcile(orders, rows, payouts, [_receipt_row(x) for x in receipts], as_of=as_of, policy=policy)
    return result, len(settlements), len(receipts)


def _receipt_row(x: FxReceipt) -> r.ReceiptRow:
    return r.ReceiptRow(
        x.id, x.txn_id, x.currency, Decimal(str(x.gross)), Decimal(str(x.net)),
        Decimal(str(x.cny_amount)) if x.cny_amount is not None else None, x.value_date, (x.payout_ref, x.settlement_ref),
    )  # fmt: skip


def _money_row(seller: str, m: r.OrderMoney, as_of: date) -> dict[str, Any]:
    o = m.order
    return {
        "seller_code": seller, "platform": o.platform, "order_no": o.order_no, "list_id": o.list_id,
        "invt_no": o.invt_no, "currency": o.currency, "declared": o.declared_value, "principal": m.bridge["principal"],
        "net_settled": m.net_settled, "received_net": m.received_net, "restored_gross": m.restored_gross,
        "bridge": {k: str(v) for k, v in m.bridge.items() if v}, "settlements": sorted(m.settlements),
        "status": m.status.value, "released_on": o.released_on, "as_of": as_of,
    }  # fmt: skip


def _told(seller: str, m: r.OrderMoney, as_of: date) -> FxReconciled:
    o = m.order
    return FxReconciled(
        seller=seller, others=(o.platform,), order_no=o.order_no, currency=o.currency, declared=o.declared_value,
        received=m.received_net, status=m.status.value, as_of=as_of,
    )  # fmt: skip


def _in_period(m: r.OrderMoney, start: date | None, end: date | None) -> bool:
    day = m.order.released_on
    if start is None and end is None:
        return True
    return day is not None and (start is None or day >= start) and (end is None or day <= end)


def _report(
    seller: str,
    result: r.Reconciled,
    start: date | None,
    end: date | None,
    as_of: date,
    settlements: int,
    receipts: int,
) -> ReconcileReport:
    chosen = [m for m in result.orders if _in_period(m, start, end)]
    period_totals = r.totals_of(chosen, [], {})
    for currency, figures in result.totals.items():  # deposits and receipts are the whole history's
        t = period_totals.setdefault(currency, dict.fromkeys(figures, r.ZERO))
        for k in ("deposits", "received_gross", "received_cny"):
            t[k] = figures[k]
    totals = [_currency_totals(c, f, end or as_of) for c, f in sorted(period_totals.items())]
    return ReconcileReport(
        seller=seller, as_of=as_of, period_from=start, period_to=end, orders=len(chosen),
        orders_settled=sum(1 for m in chosen if m.settlements),
        orders_refunded=sum(1 for m in chosen if m.bridge["refund"] < 0),
        settlements=settlements, receipts=receipts,
        by_status=dict(Counter(m.status.value for m in chosen)),
        totals=totals,
        unmatched=[UnmatchedRead.model_validate(u, from_attributes=True) for u in result.unmatched[:MAX_UNMATCHED]],
        unmatched_count=len(result.unmatched),
    )  # fmt: skip


def quote_read(q: Quote | None) -> QuoteRead | None:
    return QuoteRead(**q.as_dict()) if q else None


def _currency_totals(currency: str, figures: dict[str, Decimal], on: date) -> CurrencyTotals:
    """One currency's figures and the same in CNY at the quote of ``on`` (the period's end)."""
    q = cny_quote(currency, on)
    cny = {k: q.to_cny(v) for k, v in figures.items() if k != "received_cny"} if q else None
    if cny is not None:
        cny["received_cny"] = figures.get("received_cny", r.ZERO)
    return CurrencyTotals(currency=currency, figures=figures, quote=quote_read(q), cny=cny)
