"""``cbec declare``, ``cbec worker``, ``cbec sandbox``, ``cbec summarise``: the declaration lifecycle."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from cbec import pipeline
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, progress_bar, run, settings_for
from cbec.customs.keys import signer_for
from cbec.unit_of_work import UnitOfWork


def declare(
    seller: Annotated[str | None, typer.Option(help="only this seller / 仅此电商企业")] = None,
    trade_mode: Annotated[str, typer.Option(help="9610 | 9710 | 9810 (export) · 9610 | 1210 (import)")] = "9610",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Declare matched orders: lists, orders and waybills queued in the outbox. / 申报已对碰订单。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with progress_bar("申报 declaring", not json_out) as bar:
            return pipeline.declare(settings, seller=seller, trade_mode=trade_mode, progress=bar)

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"{r['orders']} matched orders 已对碰订单 — declared 已申报: {r['declared']}, already 已申报过: "
            f"{r['already_declared']}, refused 未能申报: {r['refused']}, messages 报文: {r['messages']}"
        )
        if r.get("held"):
            console.print(
                f"  {r['held']} import orders refused before by the tax limits and unchanged since, not assessed "
                f"again / {r['held']} 笔进口订单此前因税收限值未能申报且未更新，未重复计税"
            )
        if r.get("held_for_review") or r.get("refused_in_review"):
            console.print(
                f"  risk review 风险审核: {r['held_for_review']} import orders held, waiting for a reviewer "
                f"(cbec risk hits) / 笔进口订单待审核; {r['refused_in_review']} refused by a reviewer / 笔审核拒绝; "
                f"{r['risk_hits']} new hits 新命中"
            )
        if r.get("changed"):
            console.print(f"  {r['changed']} changed orders sent as changes (appType 2) / 笔已申报订单的变更已发送")
        for c in r.get("changes_examples", [])[:10]:
            lists = ", ".join(f"{x['invt_no'] or x['id']} {x['status']}" for x in c["lists"])
            console.print(f"  [yellow]~[/] {c['order']} ({lists}): {c['message_zh']} / {c['message_en']}")
        for e in r["refused_examples"][:10]:
            console.print(f"  [red]✗[/] {e.get('order')}: {e.get('message_zh')} / {e.get('message_en')}")

    run(json_out, action, render)


def worker(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit / 只运行一次")] = False,
    interval: Annotated[float, typer.Option(help="seconds between passes / 轮询间隔（秒）")] = 2.0,
    pace: Annotated[float, typer.Option(help="seconds between two messages (signing-key limits) / 报文发送间隔")] = 0.0,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Send queued messages and apply receipts, through the message folders. / 发送报文、处理回执。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        total: dict[str, Any] = {"passes": 0, "sent": 0, "receipt_files": 0}
        try:
            while True:
                r = pipeline.work_once(settings, pace=pace)
                total["passes"] += 1
                total["sent"] += r["sent"]
                total["receipt_files"] += r["receipts"]["files"]
                if once:
                    total["last"] = r
                    return total
                time.sleep(interval)
        except KeyboardInterrupt:
            return total

    run(
        json_out,
        action,
        lambda r: console.print(f"sent 已发送 {r['sent']} messages, receipt files 回执文件 {r['receipt_files']}"),
    )


def sandbox(
    once: Annotated[bool, typer.Option("--once", help="one step, then exit / 只处理一次")] = False,
    seed: Annotated[int, typer.Option(help="random seed: same seed, same answers / 随机种子")] = 0,
    inspection_rate: Annotated[float, typer.Option(help="share of lists sent to inspection (500) / 查验比例")] = 0.0,
    interval: Annotated[float, typer.Option(help="seconds between steps / 间隔（秒）")] = 1.0,
    require_signatures: Annotated[
        bool,
        typer.Option("--require-signatures/--accept-unsigned", help="refuse unsigned 621/623/625/711 / 拒收未加签报文"),
    ] = True,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Run the customs simulator over the message folders. / 运行模拟海关。"""
    from cbec.sandbox import SandboxCustoms

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        customs = SandboxCustoms(
            pipeline.messages_dir(settings),
            seed=seed,
            inspection_rate=inspection_rate,
            require_signatures=require_signatures,
            lanes=pipeline.lanes_of(settings),
        )
        steps = 0
        last: Any = None
        try:
            while True:
                last = customs.step()
                steps += 1
                if once:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        return {"steps": steps, "last": last.as_dict() if hasattr(last, "as_dict") else last}

    run(json_out, action, lambda r: console.print(f"sandbox steps 模拟海关处理轮次: {r['steps']} {r['last']}"))


def summarise(
    period: Annotated[str, typer.Option(help="YYYY-MM, or YYYYMMDD-YYYYMMDD / 汇总期间")],
    seller: Annotated[str | None, typer.Option(help="only this seller")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Summary declaration (CEB701, 汇总申报) of released 9610 lists, per consignor and period."""
    from cbec.customs import service as customs

    settings = settings_for(data_dir)
    start, end = _period(period)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            r = customs.summarise(
                uow.session, period_start=start, period_end=end, seller_code=seller, at=datetime.now(UTC)
            )
            uow.commit()
            return {"period": [start, end], **r.as_dict()}

    run(
        json_out,
        action,
        lambda r: console.print(f"{r['orders']} lists 清单 → {r['declared']} ({r['messages']} messages)"),
    )


def _period(text: str) -> tuple[str, str]:
    import calendar

    if "-" in text and len(text) == 7:
        year, month = int(text[:4]), int(text[5:])
        return f"{year:04d}{month:02d}01", f"{year:04d}{month:02d}{calendar.monthrange(year, month)[1]:02d}"
    if "-" in text and len(text) == 17:
        return text[:8], text[9:]
    raise typer.BadParameter("period: YYYY-MM or YYYYMMDD-YYYYMMDD")


def customs_status(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Declarations by message type and status. / 申报单按报文类型和状态统计。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        return pipeline.customs_status(settings)

    def render(r: dict[str, Any]) -> None:
        t = Table("message 报文", "status 状态", "count 数量")
        for message, by in sorted(r.items()):
            for status, n in sorted(by.items()):
                t.add_row(message, status, str(n))
        console.print(t)

    run(json_out, action, render)


def cancel(
    invt_no: Annotated[str, typer.Argument(help="customs list number (invtNo) / 清单编号")],
    reason: Annotated[str, typer.Option(help="why / 撤销原因")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Ask customs to cancel an accepted list (CEB605 / CEB623). / 申请撤销清单。"""
    from cbec.customs import service as customs

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            r = customs.request_cancel(uow.session, invt_no, reason, signer=signer_for(settings))
            uow.commit()
            return {"invtNo": invt_no, **r.as_dict()}

    run(json_out, action, lambda r: console.print(f"cancellation queued 撤销申请已排队: {r['declared']}"))


def return_(
    invt_no: Annotated[str, typer.Argument(help="customs list number (invtNo) / 清单编号")],
    reason: Annotated[str, typer.Option(help="why / 退货原因")],
    bill_no: Annotated[str, typer.Option(help="return shipment bill (export) / 退运提运单号")] = "",
    voyage_no: Annotated[str, typer.Option(help="return voyage/flight (export) / 航班航次")] = "",
    traf_name: Annotated[str, typer.Option(help="conveyance name (export) / 运输工具名称")] = "",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Declare the return of a released list (CEB213 export / CEB625 import). / 申请退货。"""
    from cbec.customs import service as customs

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            r = customs.request_return(
                uow.session,
                invt_no,
                reason,
                bill_no=bill_no,
                voyage_no=voyage_no,
                traf_name=traf_name,
                signer=signer_for(settings),
            )
            uow.commit()
            return {"invtNo": invt_no, **r.as_dict()}

    run(json_out, action, lambda r: console.print(f"return queued 退货申请已排队: {r['declared']}"))


def timeline(
    ref: Annotated[str, typer.Argument(help="invtNo, orderNo or declaration id / 清单编号、订单编号或申报单号")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """A declaration's status history with the receipts' text. / 申报单状态时间线。"""
    from cbec.customs import service as customs

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return customs.timeline(uow.session, ref).model_dump()

    def render(r: dict[str, Any]) -> None:
        for d in r["declarations"]:
            console.print(f"[bold]{d['message_type']}[/] {d['cop_no']} invtNo={d['invt_no']} → [bold]{d['status']}[/]")
            for e in d["events"]:
                console.print(
                    f"   {e['at']}  {e['before'] or '·'} → {e['after']}  {e['return_status'] or ''} {e['return_info']}"
                )

    run(json_out, action, render)
