"""Webhooks over HTTP (issue 20, item 4; docs/sharing.md): a partner subscribes its receiver to
its own enterprise's events and reads its delivery log; the operator subscribes for any
enterprise, sees the dead letters and replays them. The regulator has no subscriptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from cbec import pipeline
from cbec.accounts.rules import Forbidden, Principal, require_admin, require_business_data
from cbec.errors import InvalidInput
from cbec.sharing import service as sharing
from cbec.sharing.schemas import (
    DeliveryPage,
    ReplayRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
)
from cbec.web.deps import Caller, Id, Paging, Uow, settings_of

router = APIRouter(tags=["webhooks 信息共享"])

Status = Annotated[str | None, Query(pattern="^(pending|delivered|dead|cancelled)$")]


def enterprise_for(p: Principal, named: str | None) -> str:
    """Whose events a subscription carries: the caller's own enterprise, or the one the operator names."""
    require_business_data(p)
    if p.is_admin:
        if not named:
            raise InvalidInput(
                "name the enterprise whose events to send (enterprise)", "请指定要订阅其事件的企业（enterprise）",
                field="enterprise",
            )  # fmt: skip
        return named
    if not p.enterprise_code or (named and named != p.enterprise_code):
        raise Forbidden(
            "a partner subscribes to its own enterprise's events only", "企业只能订阅本企业的事件", field="enterprise"
        )
    return p.enterprise_code


@router.post(
    "/subscriptions", status_code=201, response_model=SubscriptionCreated,
    summary="Subscribe a receiver to events; the secret is shown once 订阅事件回调（密钥仅显示一次）",
)  # fmt: skip
def subscribe(request: Request, body: SubscriptionCreate, p: Caller) -> SubscriptionCreated:
    enterprise = enterprise_for(p, body.enterprise)
    return pipeline.subscribe(settings_of(request), body, enterprise=enterprise, created_by=p.name)


@router.get("/subscriptions", response_model=SubscriptionList, summary="Your subscriptions 我的订阅")
def subscriptions(p: Caller, uow: Uow) -> SubscriptionList:
    require_business_data(p)
    return SubscriptionList(items=sharing.list_subscriptions(uow.session, p.scope()))


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionRead, summary="One subscription 订阅详情")
def subscription(subscription_id: Id, p: Caller, uow: Uow) -> SubscriptionRead:
    require_business_data(p)
    return sharing.get_subscription(uow.session, p.scope(), subscription_id)


@router.delete(
    "/subscriptions/{subscription_id}", response_model=SubscriptionRead, summary="Delete a subscription 删除订阅"
)
def unsubscribe(request: Request, subscription_id: Id, p: Caller) -> SubscriptionRead:
    require_business_data(p)
    return pipeline.unsubscribe(settings_of(request), p.scope(), subscription_id)


@router.get(
    "/subscriptions/{subscription_id}/deliveries", response_model=DeliveryPage,
    summary="A subscription's delivery log, newest first 投递记录",
)  # fmt: skip
def deliveries(subscription_id: Id, p: Caller, uow: Uow, paging: Paging, status: Status = None) -> DeliveryPage:
    require_business_data(p)
    return sharing.deliveries(uow.session, p.scope(), paging, subscription_id=subscription_id, status=status)


@router.get(
    "/deliveries", response_model=DeliveryPage, summary="Every delivery, e.g. the dead letters (operator) 全部投递"
)
def all_deliveries(p: Caller, uow: Uow, paging: Paging, status: Status = None) -> DeliveryPage:
    require_admin(p)
    return sharing.deliveries(uow.session, None, paging, status=status)


class ReplayCreate(BaseModel):
    delivery_ids: list[int] = Field(min_length=1, max_length=1000)


@router.post(
    "/deliveries/replay", response_model=ReplayRead, summary="Replay dead letters (operator) 重发死信"
)  # fmt: skip
def replay(request: Request, body: ReplayCreate, p: Caller) -> ReplayRead:
    require_admin(p)
    return ReplayRead(replayed=pipeline.replay_deliveries(settings_of(request), delivery_ids=body.delivery_ids))


@router.post(
    "/subscriptions/{subscription_id}/replay", response_model=ReplayRead,
    summary="Replay every dead letter of a subscription (operator) 重发该订阅的全部死信",
)  # fmt: skip
def replay_subscription(request: Request, subscription_id: Id, p: Caller) -> ReplayRead:
    require_admin(p)
    return ReplayRead(replayed=pipeline.replay_deliveries(settings_of(request), subscription_id=subscription_id))
