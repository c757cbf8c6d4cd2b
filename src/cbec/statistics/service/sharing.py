"""Information sharing with other departments (issue 20, item 5): the released export lists of a
period with their values, per seller, as a tax bureau asks for export refunds (出口退税) and an
FX bureau for receipts verification (收汇核查). Every export is written to the audit trail."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.statistics import repository
from cbec.statistics import rules as r
from cbec.statistics.repository import Scope
from cbec.statistics.schemas import ReleasedExportRead, ReleasedExportsRead, SellerTotalRead
from cbec.statistics.service.indicators import iso_currency

#: who asked: a tax bureau or an FX bureau
RECIPIENTS = ("tax", "fx")


def released_exports(
    session: Session, scope: Scope, period: r.Period, *, recipient: str, fmt: str
) -> ReleasedExportsRead:
    """The period's released export lists per seller, recorded in the audit trail as an export
    to ``recipient`` in format ``fmt`` (the caller's unit of work commits it with the answer)."""
    rows = repository.released_exports(session, scope, period.first, period.last)
    lists = [
        ReleasedExportRead(
            seller=seller,
            day=day,
            released_at=at.isoformat() if at else "",
            trade_mode=mode,
            country=country,
            platform=platform,
            order_no=order_no,
            invt_no=invt_no,
            currency=iso_currency(currency),
            value=value,
            value_cny=value_cny,
            rate=rate,
            rate_on=rate_on.isoformat() if rate_on else "",
            rate_source=source,
        )
        for seller, day, at, mode, country, platform, order_no, invt_no, currency, value, value_cny, rate, rate_on, source in rows
    ]
    sellers: dict[str, SellerTotalRead] = {}
    for x in lists:
        s = sellers.setdefault(x.seller, SellerTotalRead(seller=x.seller, lists=0, value_cny=Decimal(0), unconverted=0))
        s.lists += 1
        if x.value_cny is None:
            s.unconverted += 1
        else:
            s.value_cny += x.value_cny
    audit.record(
        session,
        "statistics.export",
        f"released-exports/{period.label}",
        {"recipient": recipient, "format": fmt, "period": period.label, "lists": len(lists), "sellers": len(sellers)},
    )
    return ReleasedExportsRead(period=period.label, sellers=list(sellers.values()), lists=lists)
