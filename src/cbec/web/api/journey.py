"""An order's journey over HTTP: every step from upload to release, in the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cbec.accounts.rules import require_business_data
from cbec.journey import service as journey
from cbec.journey.schemas import OrderJourneyRead
from cbec.web.deps import Caller, Uow

router = APIRouter(tags=["journey 订单轨迹"])


@router.get("/journey", response_model=OrderJourneyRead, summary="An order's journey 订单全程轨迹")
def order_journey(
    p: Caller,
    uow: Uow,
    q: Annotated[str, Query(min_length=1, max_length=60, description="order, waybill or list number, or copNo")],
) -> OrderJourneyRead:
    require_business_data(p)
    return journey.order_journey(uow.session, p.scope(), q)
