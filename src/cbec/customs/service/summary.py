"""The summary declaration (汇总申报, CEB701) of released 9610 export lists with statisticsFlag B,
per consignor (ebcCode) and period (清单核放、汇总申报)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from cbec.ceb.messages import Entity
from cbec.ceb.signing import Signer
from cbec.customs import builders, repository
from cbec.customs.models import Declaration
from cbec.customs.rules import State
from cbec.customs.schemas import DeclareReport
from cbec.customs.service.outbox import build_messages

#: the list states a summary takes in: released, and what follows release
SUMMARISABLE = (State.RELEASED.value, State.CONCLUDED.value, State.CLOSED.value)


def summarise(
    session: Session,
    *,
    period_start: str,
    period_end: str,
    at: datetime | None = None,
    seller_code: str | None = None,
    signer: Signer | None = None,
) -> DeclareReport:
    """CEB701 for released/closed 9610 export lists with statisticsFlag B, per consignor and period.

    ``period_start``/``period_end`` are YYYYMMDD (inclusive) of the lists' export date (ieDate).
    """
    report = DeclareReport()
    groups: dict[str, list[Declaration]] = {}
    for d in repository.summarisable_lists(session, SUMMARISABLE, seller_code):
        if builders.in_summary(d.entity.get("head", {}), period_start, period_end):
            groups.setdefault(d.seller_code, []).append(d)
    items: list[tuple[Declaration, Entity]] = []
    for seller, lists in sorted(groups.items()):
        entity = builders.summary_application(
            seller, lists[0].entity["head"], [d.invt_no for d in lists], period_start, period_end
        )
        summary = Declaration(
            message_type="CEB701",
            direction="export",
            trade_mode="9610",
            cop_no=str(entity.head["copNo"]),
            guid="",
            seller_code=seller,
            entity={},
            status=State.QUEUED.value,
            total_value=sum((d.total_value or Decimal(0) for d in lists), Decimal(0)),
        )
        items.append((summary, entity))
        report.orders += len(lists)
    if items:
        stored = dict(build_messages(session, "CEB701", items, report, at=at or datetime.now(UTC), signer=signer))
        for (summary, _), lists in zip(items, [groups[s] for s in sorted(groups)], strict=True):
            for d in lists:  # a list's summary, so that it is summarised once and CEB792 finds it
                d.summary_id = stored.get(summary)
    session.flush()
    return report
