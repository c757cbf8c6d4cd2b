from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cbec.cli.common import DataDir, JsonOut, console, err_console, progress_bar, run, settings_for
from cbec.demo import ensure_demo_users, run_demo, with_sandbox_signing
from cbec.kit.codes import code_lists


def _render_counts(r: dict[str, Any]) -> None:
    t = Table("", "count 数量")
    t.add_row("invoices read 读取发票", str(r["invoices_read"]))
    t.add_row("export orders 出口订单", str(r["orders"]))
    t.add_row("order lines 订单行 (goods 商品行)", f"{r['order_lines']} ({r['goods_lines']})")
    t.add_row("cancellations 取消单 (lines 行)", f"{r['cancellations']} ({r['cancellation_lines']})")
    for k, v in r["not_orders"].items():
        t.add_row(f"not an order 非订单: {k}", str(v))
    t.add_row("invalid orders 不合规订单", str(r["invalid_orders"]))
    t.add_row("waybills 运单", str(r["waybills"]))
    t.add_row(
        "declared and released 已申报并放行 (of valid orders 占合规订单)",
        f"{r['declared_and_released']} / {r['valid_export_orders']} ({r['declared_and_released_share']:.1%})",
    )
    for k, v in r["matching"]["by_state"].items():
        t.add_row(f"match 对碰: {k}", str(v))
    for k, v in r["matching"]["by_reason"].items():
        t.add_row(f"  not matched because 原因: {k}", str(v))
    c = r["catalogue"]
    t.add_row("SKUs 商品 (confirmed 已确认)", f"{sum(c['by_status'].values())} ({c['by_status'].get('confirmed', 0)})")
    t.add_row(f"  accepted ≥ {c['accepted_at_or_above']} 接受高分建议", str(c["confirmed_by_seller"]))
    rv = c["review"]
    t.add_row(
        "  seller in a hurry 卖家快速确认 (SKUs holding orders 有订单等待的商品)",
        f"{rv['accepted_in_a_hurry']} / {rv['skus_holding_orders']}",
    )
    t.add_row("  orders released 放行订单", str(rv["orders_released"]))
    t.add_row("  orders still waiting on a code 仍等待编码", str(rv["orders_still_waiting_on_a_code"]))
    console.print(t)


def _render_destinations(r: dict[str, Any]) -> None:
    codes = code_lists()
    t = Table("destination 运抵国", "orders 订单", "goods value 货值 (GBP)")
    for row in r["value_by_destination"][:15]:
        name = codes.countries.get(row["country"] or "")
        label = f"{row['country']} {name.name_zh} {name.name_en}" if name else str(row["country"])
        t.add_row(label, str(row["orders"]), row["goods_value"])
    console.print(t)


def _render_customs(cu: dict[str, Any]) -> None:
    t = Table("message 报文", "status 状态", "count 数量")
    for message, by in sorted(cu["declarations"].items()):
        for status, n in sorted(by.items(), key=lambda kv: -kv[1]):
            t.add_row(message, status, str(n))
    console.print(t)
    console.print(
        f"declared 申报: {cu['declare']['declared']} · refused 未申报: {cu['declare']['refused']} · "
        f"messages built and XSD-checked 报文（均通过 XSD 校验）: {cu['messages_built_and_xsd_checked']} · "
        f"lists in the summary 汇总清单: {cu['summary_lists']}"
    )
    lg = cu.get("logistics") or {}
    if lg:
        console.print(
            f"logistics 物流: {lg['parcels']} parcels 包裹 on {lg['flights']} flights 航班 · departed 已离境 "
            f"{lg['departed']} · tracking events 轨迹 {lg['tracking_events']} · 507/509/607: {lg['movements']}"
        )
    rp = cu.get("refund_position") or {}
    if rp.get("claim_lines"):
        console.print(
            f"export refund position 出口退(免)税 (CNY, assumption 假设: {rp['assumption']}): "
            f"refundable 应退 {rp['refundable_cny']} · exempt 免税货值 {rp['exempt_value_cny']} · "
            f"flagged 需关注 {rp['flagged']}"
        )


def render_summary(r: dict[str, Any]) -> None:
    """The demo's summary as tables: what was read, matched and declared."""
    console.print(f"[bold]cbec demo[/] — data in {r['data_dir']} ({r['seconds']} s)")
    _render_counts(r)
    _render_destinations(r)
    if r.get("customs"):
        _render_customs(r["customs"])
    console.print(f"timings 用时 (s): {r['timings']}")


def demo(
    fresh: Annotated[bool, typer.Option("--fresh/--keep", help="start from an empty database / 从空库开始")] = True,
    customs: Annotated[
        bool, typer.Option("--customs/--no-customs", help="declare to the sandbox customs / 向模拟海关申报")
    ] = True,
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="serve the platform afterwards (Ctrl-C stops) / 完成后启动网页服务"),
    ] = True,
    host: Annotated[str, typer.Option(help="address to serve on / 监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on / 端口")] = 8000,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Run the main job on the embedded default (SQLite): the Online Retail year, end to end,
    then serve the platform on a local port (``--no-serve`` to exit instead)."""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        with progress_bar("working", not json_out) as bar:
            return run_demo(
                settings,
                fresh=fresh,
                customs=customs,
                step=(lambda s: None) if json_out else (lambda s: err_console.print(f"→ {s}")),
                progress=bar,
            )

    result = run(json_out, action, render_summary)
    users = ensure_demo_users(settings)
    if not serve:
        return
    from cbec.web.server import serve as run_server

    out = err_console if json_out else console
    url = f"http://{host}:{port}/"
    out.print(f"\n[bold]cbec is serving 平台已启动:[/] {url}   API: {url}docs")
    for u in users:
        out.print(f"  demo login 演示账号 ({u['role']}): {u['username']} / {u['password']}")
    out.print("Ctrl-C stops the server 按 Ctrl-C 停止服务")
    run_server(with_sandbox_signing(settings), host=host, port=port, worker=True, sandbox=bool(result and customs))
    out.print("stopped 已停止")
