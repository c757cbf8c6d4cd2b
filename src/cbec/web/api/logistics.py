"""Logistics over HTTP (issue 18): carriers push tracking events and physical flows; the operator
works the review queue; anyone with business data reads a parcel's track and the stalled parcels
of its own; figures (transit times) for the regulator too."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from cbec import pipeline
from cbec.accounts.rules import Forbidden, Principal, require_admin, require_business_data
from cbec.accounts.service import request_digest
from cbec.customs.schemas import MovementRead
from cbec.errors import InvalidInput
from cbec.logistics import service as logistics
from cbec.logistics.schemas import (
    EventsIn,
    FlowIn,
    IngestReport,
    ResolveIn,
    ReviewPage,
    ReviewRead,
    StalledRead,
    TrackRead,
    TransitRead,
)
from cbec.web import submit
from cbec.web.deps import Caller, Uow, settings_of
from cbec.web.present import json_response

router = APIRouter(tags=["logistics 物流"])


def carrier_of(p: Principal, named: str | None) -> str | None:
    """Whose events or flows these are: a logistics company's own (its key or its users), or the
    carrier the operator names; a seller or the regulator may not push them."""
    if p.is_admin:
        return named
    if p.enterprise_code and "logistics" in p.enterprise_roles:
        if named and named != p.enterprise_code:
            raise Forbidden(
                "a logistics company submits its own events and flows only", "物流企业只能提交本企业的轨迹与作业",
                field="carrier",
            )  # fmt: skip
        return p.enterprise_code
    raise Forbidden(
        "only a logistics company or the operator submits tracking events and flows",
        "只有物流企业或运营方可以提交物流轨迹与作业", field="role",
    )  # fmt: skip


@router.post("/logistics/events", status_code=201, response_model=IngestReport,
             summary="Push tracking events 推送物流轨迹")  # fmt: skip
async def push_events(
    request: Request,
    p: Caller,
    body: EventsIn,
    carrier: Annotated[str | None, Query(max_length=18, description="the carrier (operator only)")] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> Response:
    """Canonical tracking events (docs/logistics.md). The same event again is stored once; an
    ``Idempotency-Key`` replays the first answer to a retried request. Unknown codes are stored and
    queued for review, never dropped."""
    own = carrier_of(p, carrier)
    named = {e.carrier for e in body.events if e.carrier}
    if own and (named - {own}):
        raise Forbidden("a carrier submits its own events only", "只能提交本企业的轨迹", field="carrier")
    settings = settings_of(request)
    raw = json.dumps(body.model_dump(), sort_keys=True).encode()
    digest = request_digest(raw, str(request.url.path) + "?" + str(request.url.query))
    events = list(enumerate(body.events, start=1))
    status, result, replayed = await run_in_threadpool(
        submit.idempotent, settings, p, idempotency_key, digest,
        lambda: pipeline.track_events(settings, events, carrier=own, channel="api", raw=raw),
    )  # fmt: skip
    return json_response(result, status, {"Idempotent-Replayed": "true"} if replayed else None)


@router.post("/logistics/flows", status_code=201, response_model=MovementRead,
             summary="Declare a physical flow (arrival, departure, master bill …) 申报物流作业")  # fmt: skip
def push_flow(request: Request, p: Caller, body: FlowIn) -> MovementRead:
    """Arrival 507, departure 509, master bill 607, delivery 513, site entry 711 or returned-parcel
    tally 215, declared through customs; the same copNo again returns the first."""
    own = carrier_of(p, body.carrier)
    if not own:
        raise InvalidInput("name the carrier (carrier=CODE)", "请指定物流企业（carrier）", field="carrier")
    return pipeline.logistics_flow(settings_of(request), body, carrier=own)


@router.get("/logistics/review", response_model=ReviewPage, summary="Unknown event codes 待审事件代码")
def review(p: Caller, uow: Uow, state: Annotated[str | None, Query(max_length=10)] = "open") -> ReviewPage:
    require_admin(p)
    return logistics.review_queue(uow.session, state or None)


@router.post("/logistics/review/resolve", response_model=ReviewRead, summary="Resolve an unknown code 处理待审代码")
def resolve(p: Caller, uow: Uow, body: ResolveIn) -> ReviewRead:
    """Say which internal status a queued code means: its events take it, later ones too."""
    require_admin(p)
    result = logistics.resolve_review(uow.session, body.review_id, body.status, body.note, by=p.name)
    uow.commit()
    return result


@router.get("/logistics/track", response_model=TrackRead, summary="A parcel's track 包裹轨迹")
def track(p: Caller, uow: Uow, q: Annotated[str, Query(min_length=1, max_length=80)]) -> TrackRead:
    require_business_data(p)
    return logistics.track(uow.session, p.scope(), q)


@router.get("/logistics/stalled", response_model=StalledRead, summary="Stalled parcels 停滞包裹")
def stalled(
    request: Request,
    p: Caller,
    uow: Uow,
    hours: Annotated[float | None, Query(gt=0, le=24 * 365)] = None,
    unseen_hours: Annotated[float | None, Query(gt=0, le=24 * 365)] = None,
) -> StalledRead:
    require_business_data(p)
    settings = settings_of(request)
    return logistics.stalled_parcels(
        uow.session,
        p.scope(),
        hours=hours or settings.stalled_hours,
        unseen_hours=unseen_hours or settings.unseen_hours,
    )


@router.get("/logistics/transit", response_model=TransitRead, summary="Transit times 时效")
def transit(p: Caller, uow: Uow) -> TransitRead:
    """Days from dispatch to delivery by carrier and destination (median, 90th percentile): figures."""
    return logistics.transit_times(uow.session, p.scope())
