"""Every query of the finance area."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from cbec.finance.models import FxReceipt, OrderMoney, Settlement, SettlementLine
from cbec.kit.chunks import in_chunks


def settlement_totals(session: Session, seller_code: str, source: str, references: Iterable[str]) -> dict[str, Any]:
    """Which of these settlements are stored already, with their totals."""
    found: dict[str, Any] = {}
    for part in in_chunks(list(references)):
        found.update(
            session.execute(
                select(Settlement.reference, Settlement.total).where(
                    Settlement.seller_code == seller_code, Settlement.source == source, Settlement.reference.in_(part)
                )
            ).all()
        )
    return found


def add_settlement(session: Session, **values: Any) -> int:
    return int(session.execute(insert(Settlement).values(**values).returning(Settlement.id)).scalar_one())


def insert_lines(session: Session, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(SettlementLine), rows[start : start + 5000])


def existing_receipts(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    by_provider: dict[str, list[str]] = {}
    for provider, txn in keys:
        by_provider.setdefault(provider, []).append(txn)
    found: set[tuple[str, str]] = set()
    for provider, txns in by_provider.items():
        for part in in_chunks(txns):
            found.update(
                (provider, t)
                for t in session.scalars(
                    select(FxReceipt.txn_id).where(FxReceipt.provider == provider, FxReceipt.txn_id.in_(part))
                )
            )
    return found


def insert_receipts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(FxReceipt), rows)


def settlements_of(session: Session, seller_code: str) -> Sequence[Settlement]:
    return session.scalars(
        select(Settlement).where(Settlement.seller_code == seller_code).order_by(Settlement.id)
    ).all()


def lines_of(session: Session, settlement_ids: Sequence[int]) -> list[tuple[int, int, str, str, Any, str]]:
    """(settlement, row, order number, category, amount, description) of these settlements."""
    out: list[tuple[int, int, str, str, Any, str]] = []
    for part in in_chunks(settlement_ids):
        out.extend(
            tuple(r)
            for r in session.execute(
                select(
                    SettlementLine.settlement_id,
                    SettlementLine.row,
                    SettlementLine.order_no,
                    SettlementLine.category,
                    SettlementLine.amount,
                    SettlementLine.amount_description,
                ).where(SettlementLine.settlement_id.in_(part))
            )
        )
    return out


def receipts_of(session: Session, seller_code: str) -> Sequence[FxReceipt]:
    return session.scalars(select(FxReceipt).where(FxReceipt.seller_code == seller_code).order_by(FxReceipt.id)).all()


def money_statuses(session: Session, seller_code: str) -> dict[str, str]:
    """Each order's status at the last reconciliation (order number → status)."""
    stmt = select(OrderMoney.order_no, OrderMoney.status).where(OrderMoney.seller_code == seller_code)
    return {o: s for o, s in session.execute(stmt).all()}


def replace_order_money(session: Session, seller_code: str, rows: list[dict[str, Any]]) -> None:
    session.execute(delete(OrderMoney).where(OrderMoney.seller_code == seller_code))
    for start in range(0, len(rows), 5000):
        session.execute(insert(OrderMoney), rows[start : start + 5000])


def order_money(
    session: Session, seller_code: str, *, start: date | None = None, end: date | None = None
) -> Sequence[OrderMoney]:
    stmt = select(OrderMoney).where(OrderMoney.seller_code == seller_code)
    if start is not None:
        stmt = stmt.where(OrderMoney.released_on >= start)
    if end is not None:
        stmt = stmt.where(OrderMoney.released_on <= end)
    return session.scalars(stmt.order_by(OrderMoney.released_on, OrderMoney.id)).all()


def order_money_of_list(session: Session, seller_codes: frozenset[str] | None, list_id: int) -> OrderMoney | None:
    stmt = select(OrderMoney).where(OrderMoney.list_id == list_id)
    if seller_codes is not None:
        stmt = stmt.where(OrderMoney.seller_code.in_(seller_codes))
    return session.scalars(stmt).first()


def rows_of_order(
    session: Session, settlement_ids: Sequence[int], order_no: str
) -> list[tuple[Settlement, SettlementLine]]:
    """The settlement rows of one order, with their settlement."""
    if not settlement_ids:
        return []
    return [
        (s, ln)
        for s, ln in session.execute(
            select(Settlement, SettlementLine)
            .join(SettlementLine, SettlementLine.settlement_id == Settlement.id)
            .where(Settlement.id.in_(settlement_ids), SettlementLine.order_no == order_no)
            .order_by(Settlement.deposit_date, SettlementLine.row)
        )
    ]


def order_money_of_order(
    session: Session, seller_codes: frozenset[str] | None, seller: str, order_no: str
) -> Sequence[OrderMoney]:
    stmt = select(OrderMoney).where(OrderMoney.seller_code == seller, OrderMoney.order_no == order_no)
    if seller_codes is not None:
        stmt = stmt.where(OrderMoney.seller_code.in_(seller_codes))
    return session.scalars(stmt).all()
