"""Money files in, reconciliation out (issue 17). None of these commit: the edge's unit of work
does, and it commits the raw file (``keep``) before reading it (``read``), so a file that cannot be
read is never lost."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.config import Settings
from cbec.customs import service as customs
from cbec.errors import CbecError, InvalidInput, NotFound
from cbec.finance import repository
from cbec.finance import rules as r
from cbec.finance.models import FxReceipt, OrderMoney
from cbec.finance.parsers import MoneyFormat, Parsed, ReceiptIn, SettlementIn, detect, parse
from cbec.finance.rates import Quote, cny_quote
from cbec.finance.schemas import (
    CurrencyTotals,
    ListMoneyRead,
    MoneyImportReport,
    OrderMoneyRead,
    QuoteRead,
    ReconcileReport,
    SettlementRowRead,
    UnmatchedRead,
)
from cbec.intake import service as intake
from cbec.intake.models import InboxItem
from cbec.kit.codes import code_lists

MAX_UNMATCHED = 500


def money_format(name: str, data: bytes, filename: str) -> MoneyFormat:
    if name in ("", "auto"):
        return detect(data, filename)
    try:
        return MoneyFormat(name)
    except ValueError:
        raise InvalidInput(
            f"unknown money file format {name!r}; one of {', '.join(f.value for f in MoneyFormat)}",
            f"未知的资金文件格式 {name!r}；可选 {'、'.join(f.value for f in MoneyFormat)}",
            field="format",
        ) from None


def keep(
    session: Session, settings: Settings, data: bytes, *, seller: str, fmt: MoneyFormat, filename: str, channel: str
) -> InboxItem:
    """The file exactly as received, in the inbox (the edge commits before ``read``)."""
    return intake.keep_raw(
        session, settings, data, seller_code=seller, sender_code=seller, format_name=fmt.value,
        filename=filename, channel=channel,
    )  # fmt: skip


def read(
    session: Session, settings: Settings, item: InboxItem, *, seller: str, platform: str, fmt: MoneyFormat
) -> MoneyImportReport:
    """Read a kept money file into settlements or receipts; a settlement or receipt stored before
    is a duplicate and changes nothing. Never raises for bad input: the report says what failed."""
    report = MoneyImportReport(inbox_id=item.id, format=fmt.value)
    try:
        parsed = parse(intake.raw_bytes(settings, item), fmt, item.filename)
    except CbecError as exc:
        report.failure = exc
        intake.record_run(session, item.id, status="failed", stats={}, errors=[exc.as_dict()])
        return report
    report.rows = parsed.rows
    report.errors = [e.as_dict() for e in parsed.errors]
    _check_payouts(session, seller, parsed, report)
    _store_settlements(session, parsed.settlements, item, seller, platform, report)
    _store_receipts(session, parsed.receipts, item, seller, report)
    stats = {k: v for k, v in report.as_dict().items() if isinstance(v, int)}
    intake.record_run(session, item.id, status="done", stats=stats, errors=report.errors)
    return report


def _check_payouts(session: Session, seller: str, parsed: Parsed, report: MoneyImportReport) -> None:
    """A Shopify payouts summary is checked against the payouts already imported from the
    transactions export (the payout of the same day, same currency): each that differs is an
    error naming both totals; the summary itself stores nothing."""
    if not parsed.payout_totals:
        return
    stored = {
        (s.deposit_date.isoformat(), s.currency): s
        for s in repository.settlements_of(session, seller)
        if s.source == "shopify" and s.deposit_date is not None
    }
    for day, (total, currency, _) in parsed.payout_totals.items():
        s = stored.get((day, currency))
        if s is None:
            report.payouts_not_imported += 1
        elif Decimal(str(s.total)).quantize(r.CENT) == total.quantize(r.CENT):
            report.payouts_agreeing += 1
        else:
            report.errors.append(
                {
                    "code": "arithmetic", "document": f"payout {day}", "line": None, "field": "Total",
                    "message_zh": f"{day} 的结算总额 {total} {currency} 与已导入交易的净额之和 {s.total} 不符",
                    "message_en": f"the payout of {day}: total {total} {currency}, but its imported transactions net {s.total}",
                }
            )  # fmt: skip


def _store_settlements(
    session: Session, settlements: list[SettlementIn], item: InboxItem, seller: str, platform: str,
    report: MoneyImportReport,
) -> None:  # fmt: skip
    for source in {s.source for s in settlements}:
        mine = [s for s in settlements if s.source == source]
        stored = repository.settlement_totals(session, seller, source, [s.settlement_id for s in mine])
        for s in mine:
            if s.settlement_id in stored:
                report.duplicate_settlements += 1
                if Decimal(str(stored[s.settlement_id])).quantize(r.CENT) != s.total.quantize(r.CENT):
                    report.errors.append(_conflict(s, stored[s.settlement_id]))
                continue
            sid = repository.add_settlement(
                session, seller_code=seller, platform=platform, source=s.source, reference=s.settlement_id,
                currency=s.currency, total=s.total, deposit_date=s.deposit_date, start_date=s.start,
                end_date=s.end, marketplace=s.marketplace[:60], inbox_id=item.id,
            )  # fmt: skip
            repository.insert_lines(session, [_line_row(sid, ln) for ln in s.lines])
            report.settlements += 1
            report.settlement_lines += len(s.lines)
            report.deposits[s.currency] = report.deposits.get(s.currency, Decimal(0)) + s.total


def _line_row(settlement_id: int, ln: Any) -> dict[str, Any]:
    return {
        "settlement_id": settlement_id, "row": ln.row, "transaction_type": ln.transaction_type[:40],
        "order_no": ln.order_id[:60], "sku": ln.sku[:60], "quantity": ln.quantity, "amount_type": ln.amount_type[:60],
        "amount_description": ln.amount_description[:100], "category": ln.category, "amount": ln.amount,
        "posted": ln.posted,
    }  # fmt: skip


def _conflict(s: SettlementIn, stored: Any) -> dict[str, Any]:
    return {
        "code": "conflict", "document": f"settlement {s.settlement_id}", "line": None, "field": "total-amount",
        "message_zh": f"结算 {s.settlement_id} 已导入（总额 {stored}），本文件总额为 {s.total}；保留已导入的版本",
        "message_en": f"settlement {s.settlement_id} was imported before with total {stored}; this file says {s.total}; the first is kept",
    }  # fmt: skip


def _store_receipts(
    session: Session, receipts: list[ReceiptIn], item: InboxItem, seller: str, report: MoneyImportReport
) -> None:
    existing = repository.existing_receipts(session, {(x.provider, x.txn_id) for x in receipts})
    rows = []
    for x in receipts:
        if (x.provider, x.txn_id) in existing:
            report.duplicate_receipts += 1
            continue
        existing.add((x.provider, x.txn_id))
        rows.append(
            {
                "seller_code": seller, "provider": x.provider[:60], "account": x.account[:60], "txn_id": x.txn_id[:80],
                "value_date": x.value_date, "currency": x.currency, "gross": x.gross, "fee": x.fee, "net": x.net,
                "cny_amount": x.cny_amount, "rate": str(x.rate or ""), "store_id": x.store_id[:60],
                "payout_ref": x.payout_ref[:60], "settlement_ref": x.settlement_ref[:60], "inbox_id": item.id,
            }
        )  # fmt: skip
    repository.insert_receipts(session, rows)
    report.receipts += len(rows)


# --- reconciliation ----------------------------------------------------------------------------


def _iso(code: str) -> str:
    try:
        return code_lists().currency_iso(code)
    except CbecError:
        return code  # already ISO (a currency converted at intake keeps its ISO code)


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
    return list(by_order.values())


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
    repository.replace_order_money(session, seller, [_money_row(seller, m, as_of) for m in result.orders])
    return _report(seller, result, start, end, as_of, len(settlements), len(receipts))


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


def order_money_read(m: OrderMoney) -> OrderMoneyRead:
    return OrderMoneyRead(
        platform=m.platform, order_no=m.order_no, list_id=m.list_id, invt_no=m.invt_no, currency=m.currency,
        declared=m.declared, principal=m.principal, net_settled=m.net_settled, received_net=m.received_net,
        restored_gross=m.restored_gross, bridge={k: Decimal(v) for k, v in m.bridge.items()}, status=m.status,
        released_on=m.released_on, settlements=list(m.settlements),
    )  # fmt: skip


def list_money(session: Session, scope: frozenset[str] | None, list_id: int) -> ListMoneyRead:
    """One declared list's bridge and the settlement rows behind it (the page's drill-down)."""
    m = repository.order_money_of_list(session, scope, list_id)
    if m is None:
        raise NotFound(
            f"no reconciled money for list {list_id}: run the reconciliation first",
            f"清单 {list_id} 尚无对账结果：请先运行收汇对账",
            field="list_id",
        )
    rows = [
        SettlementRowRead(
            settlement=s.reference,
            deposit_date=s.deposit_date,
            row=ln.row,
            transaction_type=ln.transaction_type,
            amount_type=ln.amount_type,
            amount_description=ln.amount_description,
            category=ln.category,
            sku=ln.sku,
            quantity=ln.quantity,
            amount=ln.amount,
            currency=s.currency,
        )
        for s, ln in repository.rows_of_order(session, list(m.settlements), m.order_no)
    ]
    return ListMoneyRead(order=order_money_read(m), rows=rows, quote=quote_read(cny_quote(m.currency, m.as_of)))


def orders_money(
    session: Session, seller: str, *, start: date | None = None, end: date | None = None
) -> list[OrderMoneyRead]:
    return [order_money_read(m) for m in repository.order_money(session, seller, start=start, end=end)]
