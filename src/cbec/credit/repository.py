"""Queries of the credit area: its own facts, grades and objections, and the counts of an
enterprise's history read from what the areas below recorded (declarations, risk reviews, tax
assessments, documents), by month."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cbec.credit.models import CreditFact, CreditGrade, CreditObjection
from cbec.customs.models import Declaration
from cbec.finance.models import OrderMoney
from cbec.intake.models import Document
from cbec.logistics.models import TrackingEvent
from cbec.risk.models import RiskHit
from cbec.tax.models import TaxAssessment

LISTS = ("CEB603", "CEB621")


def list_rows(session: Session, code: str, since: datetime, until: datetime) -> list[tuple[str, datetime, datetime]]:
    """(status, created_at, updated_at) of the enterprise's lists declared in the window."""
    stmt = select(Declaration.status, Declaration.created_at, Declaration.updated_at).where(
        Declaration.seller_code == code,
        Declaration.message_type.in_(LISTS),
        Declaration.created_at >= since,
        Declaration.created_at < until,
    )
    return [(s, c, u) for s, c, u in session.execute(stmt)]


def confirmed_hits(session: Session, code: str, since: datetime, until: datetime) -> list[datetime]:
    """When each risk hit on the enterprise's orders was refused (confirmed) by a reviewer."""
    stmt = select(RiskHit.decided_at).where(
        RiskHit.seller_code == code,
        RiskHit.status == "refused",
        RiskHit.decided_at >= since,
        RiskHit.decided_at < until,
    )
    return [at for (at,) in session.execute(stmt) if at is not None]


def tax_refusals(session: Session, code: str, since: datetime, until: datetime) -> list[datetime]:
    stmt = select(TaxAssessment.created_at).where(
        TaxAssessment.seller_code == code,
        TaxAssessment.is_refused.is_(True),
        TaxAssessment.created_at >= since,
        TaxAssessment.created_at < until,
    )
    return [at for (at,) in session.execute(stmt)]


def document_counts(session: Session, code: str, since: datetime, until: datetime) -> tuple[int, int]:
    """(documents, invalid documents) the enterprise sent in the window (current versions)."""
    stmt = (
        select(Document.is_valid, func.count())
        .where(
            Document.seller_code == code,
            Document.is_current.is_(True),
            Document.received_at >= since,
            Document.received_at < until,
        )
        .group_by(Document.is_valid)
    )
    counts = {bool(v): int(n) for v, n in session.execute(stmt)}
    return counts.get(True, 0) + counts.get(False, 0), counts.get(False, 0)


#: carriers' statuses that mean the delivery went wrong (logistics/rules.py ``Status``)
DELIVERY_EXCEPTIONS = ("delivery_failed", "exception", "returning", "returned", "expired")


def delivery_counts(session: Session, code: str, since: datetime, until: datetime) -> tuple[int, int]:
    """(parcels of the enterprise's export lists that carriers reported on in the window, of them
    parcels with a failed delivery, an exception, a return or an expiry)."""
    parcels = (
        select(Declaration.logistics_no)
        .where(Declaration.seller_code == code, Declaration.message_type == "CEB603", Declaration.logistics_no != "")
        .scalar_subquery()
    )
    in_window = (
        TrackingEvent.waybill_no.in_(parcels),
        TrackingEvent.occurred_at >= since,
        TrackingEvent.occurred_at < until,
    )
    tracked = session.scalar(select(func.count(func.distinct(TrackingEvent.waybill_no))).where(*in_window)) or 0
    failed = (
        session.scalar(
            select(func.count(func.distinct(TrackingEvent.waybill_no))).where(
                *in_window, TrackingEvent.status.in_(DELIVERY_EXCEPTIONS)
            )
        )
        or 0
    )
    return int(tracked), int(failed)


def fx_counts(session: Session, code: str, since: datetime, until: datetime) -> tuple[int, int]:
    """(export orders reconciled, of them overdue) among those released in the window, as
    finance's last reconciliation left them."""
    stmt = (
        select(OrderMoney.status, func.count())
        .where(
            OrderMoney.seller_code == code,
            OrderMoney.released_on >= since.date(),
            OrderMoney.released_on < until.date(),
        )
        .group_by(OrderMoney.status)
    )
    counts = {s: int(n) for s, n in session.execute(stmt)}
    return sum(counts.values()), counts.get("overdue", 0)


def facts(session: Session, code: str) -> Sequence[CreditFact]:
    return session.scalars(
        select(CreditFact).where(CreditFact.enterprise_code == code).order_by(CreditFact.valid_from, CreditFact.id)
    ).all()


def add_facts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(CreditFact), rows)


def add_grade(session: Session, row: CreditGrade) -> None:
    session.add(row)


def grades(session: Session, code: str, limit: int = 50) -> Sequence[CreditGrade]:
    return session.scalars(
        select(CreditGrade).where(CreditGrade.enterprise_code == code).order_by(CreditGrade.id.desc()).limit(limit)
    ).all()


def latest_grade(session: Session, code: str) -> CreditGrade | None:
    return session.scalars(
        select(CreditGrade).where(CreditGrade.enterprise_code == code).order_by(CreditGrade.id.desc()).limit(1)
    ).first()


def latest_grades(session: Session, scope: frozenset[str] | None) -> Sequence[CreditGrade]:
    """The latest grade of every enterprise graded (in the scope)."""
    last = select(CreditGrade.enterprise_code, func.max(CreditGrade.id).label("id")).group_by(
        CreditGrade.enterprise_code
    )
    if scope is not None:
        last = last.where(CreditGrade.enterprise_code.in_(scope))
    sub = last.subquery()
    return session.scalars(
        select(CreditGrade).join(sub, CreditGrade.id == sub.c.id).order_by(CreditGrade.enterprise_code)
    ).all()


def objections(session: Session, code: str) -> Sequence[CreditObjection]:
    return session.scalars(
        select(CreditObjection).where(CreditObjection.enterprise_code == code).order_by(CreditObjection.id.desc())
    ).all()


def objection(session: Session, objection_id: int) -> CreditObjection | None:
    return session.get(CreditObjection, objection_id)


def add_objection(session: Session, row: CreditObjection) -> None:
    session.add(row)
