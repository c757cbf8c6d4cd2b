"""Money files in (issue 17, part 1): kept raw first, then read into settlements and receipts.
None of these commit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.config import Settings
from cbec.errors import CbecError, InvalidInput
from cbec.finance import repository
from cbec.finance import rules as r
from cbec.finance.parsers import MoneyFormat, Parsed, ReceiptIn, SettlementIn, detect, parse
from cbec.finance.schemas import (
    MoneyImportReport,
)
from cbec.intake import service as intake
from cbec.intake.models import InboxItem


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


def read_money_file(
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
