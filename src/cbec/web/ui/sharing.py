"""The webhooks page (docs/sharing.md): a partner's or a seller's user sees its enterprise's
subscriptions and their delivery log, subscribes (the secret shown once) and deletes; the
operator sees every subscription, the dead letters, and replays them. The regulator has none."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from cbec import pipeline
from cbec.accounts.rules import Principal, require_admin, require_business_data
from cbec.errors import CbecError
from cbec.kit.paging import PageRequest
from cbec.sharing import service as sharing
from cbec.sharing.schemas import EVENT_LABELS, EventType, SubscriptionCreate
from cbec.unit_of_work import UnitOfWork
from cbec.web.api.sharing import enterprise_for
from cbec.web.deps import Caller, Id, settings_of
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, p: Principal, status: int = 200, **context: Any) -> Response:
    require_business_data(p)  # the regulator sees figures, never a partner's receivers
    with UnitOfWork(settings_of(request)) as uow:
        subs = sharing.list_subscriptions(uow.session, p.scope())
        log = sharing.deliveries(uow.session, p.scope(), PageRequest(1, 50))
        dead = sharing.deliveries(uow.session, None, PageRequest(1, 100), status="dead") if p.is_admin else None
    labels = {t.value: (zh if p.language != "en" else en) for t, (zh, en) in EVENT_LABELS.items()}
    return render(request, "webhooks.html", p, status=status, subs=subs, log=log, dead=dead, labels=labels, **context)


@router.get("/webhooks")
def webhooks_page(request: Request, p: Caller) -> Response:
    require_business_data(p)
    return _page(request, p)


@router.post("/webhooks/subscribe")
def subscribe(
    request: Request,
    p: Caller,
    url: Annotated[str, Form(max_length=500)],
    events: Annotated[list[EventType], Form()],
    enterprise: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    require_business_data(p)
    try:
        code = enterprise_for(p, enterprise or None)
        made = pipeline.subscribe(
            settings_of(request), SubscriptionCreate(url=url, event_types=events), enterprise=code, created_by=p.name
        )
    except CbecError as exc:
        return _page(request, p, status=exc.http_status, form_error=exc)
    return _page(request, p, made=made)


@router.post("/webhooks/{subscription_id}/delete")
def delete(request: Request, p: Caller, subscription_id: Id) -> Response:
    require_business_data(p)
    pipeline.unsubscribe(settings_of(request), p.scope(), subscription_id)
    return _page(request, p)


@router.post("/webhooks/replay")
def replay(
    request: Request,
    p: Caller,
    delivery_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    subscription_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
) -> Response:
    require_admin(p)
    n = pipeline.replay_deliveries(
        settings_of(request), delivery_ids=[delivery_id] if delivery_id else None, subscription_id=subscription_id
    )
    return _page(request, p, replayed=n)
