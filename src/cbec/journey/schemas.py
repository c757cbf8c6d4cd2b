"""An order's journey: the steps it went through, each with its time, state and reason."""

from __future__ import annotations

from pydantic import BaseModel

from cbec.kit.read import Timestamp


class JourneyStep(BaseModel):
    """One step: what happened (or did not yet), when, and why, in both languages.

    ``kind``: received, waybill, payment, matching, waiting, risk, tax, declaration, released,
    departure, fx_receipt, refund. ``state``: done, waiting, failed, not_tracked (an area the
    platform does not follow yet: nothing is invented for it)."""

    kind: str
    at: Timestamp | None
    state: str
    title_zh: str
    title_en: str
    detail_zh: str = ""
    detail_en: str = ""
    link: str | None = None


class OrderJourneyRead(BaseModel):
    query: str
    order_no: str
    seller_code: str
    direction: str  # export | import
    steps: list[JourneyStep]
