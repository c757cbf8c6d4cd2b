"""What the pages, the API and the reports read (issue 17, part 4)."""

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from cbec.errors import NotFound
from cbec.finance import repository
from cbec.finance.models import OrderMoney
from cbec.finance.rates import cny_quote
from cbec.finance.schemas import (
    ListMoneyRead,
    OrderMoneyRead,
    SettlementRowRead,
)
from cbec.finance.service.reconciling import quote_read


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
