"""``cbec sharing``: webhook subscriptions, their delivery log, dead letters and their replay, and
the dispatcher (信息共享, issue 20 item 4; docs/sharing.md). The command line is the operator's."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import typer
from rich.table import Table

from cbec import pipeline
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.kit.paging import PageRequest
from cbec.sharing.schemas import DeliveryPage, DispatchRead, EventType, SubscriptionCreate, SubscriptionCreated
from cbec.unit_of_work import UnitOfWork

app = typer.Typer(help="Webhooks out: subscriptions, deliveries, replay / 事件回调（信息共享）", no_args_is_help=True)

TYPES = ", ".join(t.value for t in EventType)


@app.command("subscribe")
def subscribe(
    enterprise: Annotated[str, typer.Option(help="whose events (enterprise code) / 企业代码", show_default=False)],
    url: Annotated[str, typer.Option(help="https URL of the receiver / 接收地址", show_default=False)],
    event: Annotated[
        list[EventType], typer.Option("--event", help=f"event type, repeatable: {TYPES} / 事件类型", show_default=False)
    ],
    description: Annotated[str, typer.Option(help="a note / 说明")] = "",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Subscribe a receiver; prints the signing secret once. / 新建订阅（密钥只显示一次）。"""
    settings = settings_for(data_dir)

    def action() -> SubscriptionCreated:
        ensure_database(settings)
        data = SubscriptionCreate(url=url, event_types=event, description=description)
        return pipeline.subscribe(settings, data, enterprise=enterprise, created_by="cli")

    def render(s: SubscriptionCreated) -> None:
        console.print(f"subscription 订阅 {s.id}: {s.enterprise_code} → {s.url} ({', '.join(s.event_types)})")
        console.print(f"secret 密钥 (shown once 仅显示一次): [bold]{s.secret}[/]")

    run(json_out, action, render)


@app.command("list")
def list_(
    enterprise: Annotated[str | None, typer.Option(help="one enterprise's only / 仅某企业")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The subscriptions, with their deliveries pending, delivered and dead. / 订阅列表。"""
    from cbec.sharing import service as sharing

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            scope = frozenset({enterprise}) if enterprise else None
            return {"items": [s.model_dump(mode="json") for s in sharing.list_subscriptions(uow.session, scope)]}

    def render(r: dict[str, Any]) -> None:
        table = Table("id", "enterprise 企业", "url", "events 事件", "pending 待发", "delivered 已送达", "dead 死信")
        for s in r["items"]:
            table.add_row(
                str(s["id"]), s["enterprise_code"], s["url"], ", ".join(s["event_types"]),
                str(s["pending"]), str(s["delivered"]), str(s["dead"]),
            )  # fmt: skip
        console.print(table)

    run(json_out, action, render)


@app.command("deliveries")
def deliveries(
    subscription: Annotated[int | None, typer.Option(help="one subscription's log / 某订阅")] = None,
    status: Annotated[str | None, typer.Option(help="pending | delivered | dead | cancelled")] = None,
    limit: Annotated[int, typer.Option(help="newest first, at most / 最多条数")] = 50,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The delivery log, newest first (``--status dead``: the dead letters). / 投递记录。"""
    from cbec.sharing import service as sharing

    settings = settings_for(data_dir)

    def action() -> DeliveryPage:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            req = PageRequest(1, min(max(limit, 1), 200))
            return sharing.deliveries(uow.session, None, req, subscription_id=subscription, status=status)

    def render(page: DeliveryPage) -> None:
        table = Table("id", "delivery id", "sub", "event 事件", "key", "status 状态", "attempts 次数", "last 最近")
        for d in page.items:
            last = f"{d.last_status_code or ''} {d.last_error}".strip()
            table.add_row(
                str(d.id), d.delivery_id, str(d.subscription_id), d.event_type, d.ordering_key, d.status,
                str(d.attempts), last[:60],
            )  # fmt: skip
        console.print(table)
        console.print(f"{page.total} deliveries 条投递")

    run(json_out, action, render)


@app.command("replay")
def replay(
    ids: Annotated[list[int] | None, typer.Argument(help="delivery ids (row ids) / 投递编号")] = None,
    subscription: Annotated[
        int | None, typer.Option(help="every dead letter of a subscription / 某订阅全部死信")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Put dead letters back in the queue, same delivery id. / 重发死信。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, int]:
        ensure_database(settings)
        n = pipeline.replay_deliveries(settings, delivery_ids=list(ids) if ids else None, subscription_id=subscription)
        return {"replayed": n}

    run(json_out, action, lambda r: console.print(f"replayed 已重新排队 {r['replayed']} dead letters 条死信"))


@app.command("unsubscribe")
def unsubscribe(
    subscription: Annotated[int, typer.Argument(help="subscription id / 订阅编号")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Delete a subscription; what waited for it is cancelled, its log stays. / 删除订阅。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        return pipeline.unsubscribe(settings, None, subscription).model_dump(mode="json")

    run(json_out, action, lambda r: console.print(f"deleted 已删除 subscription 订阅 {r['id']}"))


@app.command("dispatch")
def dispatch(
    once: Annotated[bool, typer.Option("--once", help="post what is due now, then exit / 只运行一次")] = False,
    interval: Annotated[float, typer.Option(help="seconds between passes / 轮询间隔（秒）")] = 1.0,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Post due deliveries to the receivers, retrying with backoff. / 投递事件回调。"""
    from cbec.sharing.dispatcher import Dispatcher

    settings = settings_for(data_dir)

    def action() -> DispatchRead:
        ensure_database(settings)
        total = DispatchRead()
        stop = threading.Event()
        with Dispatcher(settings) as d:
            try:
                while not stop.is_set():
                    r = d.dispatch_once()
                    for k in ("passes", "attempted", "delivered", "failed", "dead"):
                        setattr(total, k, getattr(total, k) + getattr(r, k))
                    if once:
                        break
                    stop.wait(interval)
            except KeyboardInterrupt:
                pass
        return total

    run(
        json_out,
        action,
        lambda r: console.print(
            f"attempted 尝试 {r.attempted}, delivered 送达 {r.delivered}, to retry 待重试 {r.failed}, dead 死信 {r.dead}"
        ),
    )
