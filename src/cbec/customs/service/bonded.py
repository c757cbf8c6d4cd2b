"""The warehouse's part of declaring: a 1210 list draws its units from the bonded account book
before it is declared, and a declared 9810 list tells the warehouse area what to expect
(decision 0012). Steps of ``declaring``; they never commit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cbec.ceb.messages import Entity
from cbec.customs.schemas import DeclareReport
from cbec.warehouse import service as warehouse
from cbec.warehouse.schemas import BondedDraw, DeclaredShipment, ShipmentLine

if TYPE_CHECKING:
    from cbec.customs.service.declaring import Made

CHINA = ZoneInfo("Asia/Shanghai")


def list_keys(m: Made, message: str) -> list[str]:
    return [key[:60] for key, _ in m.declared.entities.get(message, [])]


def _lines(entity: Entity) -> tuple[ShipmentLine, ...]:
    return tuple(
        ShipmentLine(str(ln.get("itemNo") or ""), int(Decimal(str(ln.get("qty") or 0)))) for ln in entity.lines
    )


def draw_bonded(session: Session, made: list[Made], report: DeclareReport, at: datetime) -> list[Made]:
    """A 1210 list takes its goods out of the bonded warehouse's account book: its units are held
    on the book now, and a list the book cannot cover is refused here, before it is declared
    (海关总署公告2018年第194号; warehouse/rules.py ``overdraws``)."""
    draws = [
        BondedDraw(str(e.head.get("emsNo") or ""), m.seller, key[:60], _lines(e), m.order.doc_key)
        for m in made
        if m.declared.direction == "import" and m.declared.trade_mode == "1210"
        for key, e in m.declared.entities.get("CEB621", [])
    ]
    if not draws:
        return made
    refused = warehouse.bonded.draw(session, draws, at.astimezone(CHINA).date())
    going = []
    for m in made:
        errors = [refused[k] for k in list_keys(m, "CEB621") if k in refused]
        if errors:
            report.refused.append({"order": m.order.doc_key, **errors[0].as_dict()})
            warehouse.bonded.void(
                session, [k for k in list_keys(m, "CEB621") if k not in refused], at.astimezone(CHINA).date()
            )
        else:
            going.append(m)
    return going


def shipments_9810(m: Made, at: datetime) -> list[DeclaredShipment]:
    """A declared 9810 list, as the warehouse area expects its goods (decision 0012)."""
    if m.declared.trade_mode != "9810":
        return []
    return [
        DeclaredShipment(m.seller, key[:60], str(e.head.get("country") or ""), at.astimezone(CHINA).date(), _lines(e))
        for key, e in m.declared.entities.get("CEB603", [])
    ]
