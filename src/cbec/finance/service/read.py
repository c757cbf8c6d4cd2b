"""What the pages, the API and the reports read (issue 17, part 4)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from cbec.errors import NotFound
from cbec.finance import repository
from cbec.finance.models import OrderMoney
from cbec.finance.rates import cny_quote
from cbec.finance.rules import CENT
from cbec.finance.schemas import (
    AgeingRead,
    BridgeStep,
    FinancePageRead,
    ListMoneyRead,
    MonthRead,
    OrderMoneyRead,
    SettlementRowRead,
)
from cbec.finance.service.reconciling import quote_read


def _fen(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def order_money_read(m: OrderMoney) -> OrderMoneyRead:
    return OrderMoneyRead(
        platform=m.platform, order_no=m.order_no, list_id=m.list_id, invt_no=m.invt_no, currency=m.currency,
        declared=_fen(m.declared), principal=_fen(m.principal), net_settled=_fen(m.net_settled),
        received_net=_fen(m.received_net), restored_gross=_fen(m.restored_gross),
        bridge={k: _fen(v) for k, v in m.bridge.items()}, status=m.status, released_on=m.released_on,
        settlements=list(m.settlements),
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
    q = cny_quote(m.currency, m.as_of)
    return ListMoneyRead(
        order=order_money_read(m), rows=rows, quote=quote_read(q),
        declared_cny=q.to_cny(Decimal(str(m.declared))) if q else None,
        received_cny=q.to_cny(Decimal(str(m.received_net))) if q else None,
    )  # fmt: skip


def money_of_order(session: Session, scope: frozenset[str] | None, seller: str, order_no: str) -> list[OrderMoneyRead]:
    """The reconciled money of one order (one per platform it was sold on), in the caller's scope."""
    return [order_money_read(m) for m in repository.order_money_of_order(session, scope, seller, order_no)]


def orders_money(
    session: Session, seller: str, *, start: date | None = None, end: date | None = None
) -> list[OrderMoneyRead]:
    return [order_money_read(m) for m in repository.order_money(session, seller, start=start, end=end)]


#: the bridge's steps, in order, from the declared value to what was received
BRIDGE_STEPS = ("shipping", "refund", "promotion", "commission", "fulfilment", "storage", "logistics", "tax",
                "advertising", "account", "other")  # fmt: skip
#: ageing buckets of lists not fully received: days since release (upper bounds, inclusive)
AGEING = ((30, "0-30"), (90, "31-90"), (180, "91-180"), (None, ">180"))
PAGE_ROWS = 200


def page_figures(
    session: Session, seller: str, *, start: date | None = None, end: date | None = None, status: str = ""
) -> FinancePageRead:
    """The 收汇对账 page of the last reconciliation: declared against received by month, the
    bridge as a waterfall, the ageing of lists not fully received, and the lists themselves."""
    rows = repository.order_money(session, seller, start=start, end=end)
    declared_by: dict[str, Decimal] = defaultdict(Decimal)
    for m in rows:
        declared_by[m.currency] += Decimal(str(m.declared))
    currency = max(declared_by, key=lambda c: declared_by[c]) if declared_by else None
    mine = [m for m in rows if m.currency == currency]
    as_of = max((m.as_of for m in rows), default=None)
    shown = [m for m in mine if not status or m.status == status]
    return FinancePageRead(
        seller=seller, currency=currency, currencies=sorted(declared_by), as_of=as_of,
        months=_months(mine), bridge=_bridge(mine), ageing=_ageing(mine, as_of),
        by_status=dict(Counter(m.status for m in mine)),
        orders=[order_money_read(m) for m in sorted(shown, key=lambda m: (m.released_on or date.min), reverse=True)[:PAGE_ROWS]],
        orders_total=len(shown),
        quote=quote_read(cny_quote(currency, as_of)) if currency and as_of else None,
    )  # fmt: skip


def _months(rows: Sequence[OrderMoney]) -> list[MonthRead]:
    by: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for m in rows:
        key = m.released_on.strftime("%Y-%m") if m.released_on else "-"
        by[key][0] += Decimal(str(m.declared))
        by[key][1] += Decimal(str(m.received_net))
    currency = rows[0].currency if rows else ""
    return [MonthRead(month=k, currency=currency, declared=v[0], received=v[1]) for k, v in sorted(by.items())]


def _bridge(rows: Sequence[OrderMoney]) -> list[BridgeStep]:
    """declared → not settled → each category → net settled → not yet received → received."""
    declared = sum((Decimal(str(m.declared)) for m in rows), Decimal(0))
    principal = sum((Decimal(str(m.principal)) for m in rows), Decimal(0))
    steps = [
        BridgeStep(key="declared", amount=declared, total=True),
        BridgeStep(key="not_settled", amount=principal - declared),
    ]
    for key in BRIDGE_STEPS:
        steps.append(BridgeStep(key=key, amount=sum((Decimal(m.bridge.get(key, "0")) for m in rows), Decimal(0))))
    net = sum((Decimal(str(m.net_settled)) for m in rows), Decimal(0))
    received = sum((Decimal(str(m.received_net)) for m in rows), Decimal(0))
    steps += [
        BridgeStep(key="net_settled", amount=net, total=True),
        BridgeStep(key="not_received", amount=received - net),
        BridgeStep(key="received", amount=received, total=True),
    ]
    return steps


def _ageing(rows: Sequence[OrderMoney], as_of: date | None) -> list[AgeingRead]:
    lists = dict.fromkeys((label for _, label in AGEING), 0)
    value = dict.fromkeys((label for _, label in AGEING), Decimal(0))
    for m in rows:
        if m.status == "received" or m.released_on is None or as_of is None:
            continue
        days = (as_of - m.released_on).days
        label = next(lb for bound, lb in AGEING if bound is None or days <= bound)
        lists[label] += 1
        value[label] += Decimal(str(m.declared)) - Decimal(str(m.received_net))
    currency = rows[0].currency if rows else ""
    return [AgeingRead(bucket=k, lists=lists[k], value=value[k], currency=currency) for k in lists]
