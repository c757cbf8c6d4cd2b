"""``cbec risk``: the review queue of risk screening (RULES.md §7.1) — list the hits, clear or
refuse one. Thin: the rules and the decisions are cbec.risk.service's."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.kit.paging import PageRequest
from cbec.unit_of_work import UnitOfWork

app = typer.Typer(
    help="Risk screening: hits held for review, and the reviewer's decisions / 风险防控：命中与审核",
    no_args_is_help=True,
)

HitId = Annotated[int, typer.Argument(help="the hit's id (cbec risk hits) / 命中编号", show_default=False)]
Note = Annotated[str, typer.Option("--note", help="why (kept with the decision) / 审核理由", show_default=False)]
By = Annotated[str, typer.Option("--by", help="who decides / 审核人")]


@app.command("hits")
def hits(
    status: Annotated[
        str | None, typer.Option(help="open | cleared | refused (default: all) / 状态", show_default=False)
    ] = None,
    seller: Annotated[str | None, typer.Option(help="only this seller / 仅此电商企业", show_default=False)] = None,
    page: Annotated[int, typer.Option(help="page / 页码")] = 1,
    page_size: Annotated[int, typer.Option(help="hits a page (≤ 200) / 每页条数")] = 50,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Risk hits, each explained, with its decision. / 风险命中及审核结果。"""
    from cbec.risk import service as risk

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            hits = risk.list_hits(uow.session, None, PageRequest(page, page_size), status=status, seller_code=seller)
            return hits.model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        t = Table("id", "order 订单", "rule 规则", "why 原因", "status 状态", "decided 审核")
        for h in r["items"]:
            decided = f"{h['decided_by']}: {h['note']}" if h["decided_by"] else ""
            t.add_row(
                str(h["id"]), h["order_no"], h["rule"], f"{h['message_zh']}\n{h['message_en']}", h["status"], decided
            )
        console.print(t)
        console.print(f"{r['total']} hits 命中 · page 页 {r['page']}/{r['pages']}")

    run(json_out, action, render)


def _decide(decision: str, hit_id: int, note: str, by: str, data_dir: Any, json_out: bool) -> None:
    from cbec.risk import service as risk

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            out = risk.decide(uow.session, hit_id, decision, by=by, note=note)
            uow.commit()
            return out.model_dump(mode="json")

    def render(h: dict[str, Any]) -> None:
        console.print(
            f"hit 命中 {h['id']} ({h['order_no']}, {h['rule']}) → [bold]{h['status']}[/] by {h['decided_by']}"
        )

    run(json_out, action, render)


@app.command("clear")
def clear(hit_id: HitId, note: Note, by: By = "cli", data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Clear a hit: once none of its hits is open, the order is declared. / 放行：订单可继续申报。"""
    _decide("clear", hit_id, note, by, data_dir, json_out)


@app.command("refuse")
def refuse(hit_id: HitId, note: Note, by: By = "cli", data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Refuse a hit: the order is not declared. / 拒绝：订单不予申报。"""
    _decide("refuse", hit_id, note, by, data_dir, json_out)


@app.command("screen")
def screen(
    seller: Annotated[str, typer.Option(help="the seller's code / 电商企业代码", show_default=False)],
    limit: Annotated[int, typer.Option(help="orders at most / 最多筛查订单数")] = 500,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Screen a seller's received orders before declaring: the orders hit, each rule with its
    evidence; nothing is kept. / 申报前筛查：列出命中的订单、规则与依据，不保存。"""
    from cbec.customs import service as customs

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:  # never committed: screening keeps nothing
            return customs.screen_seller(uow.session, seller, limit=limit).model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        t = Table("order 订单", "rule 规则", "why 原因")
        for h in r["hits"]:
            t.add_row(h["order_no"], h["rule"], f"{h['message_zh']}\n{h['message_en']}")
        console.print(t)
        console.print(f"{r['orders_screened']} orders screened 筛查订单, {r['orders_hit']} hit 命中")

    run(json_out, action, render)


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v:.2%}"


@app.command("lanes")
def lanes(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Lanes of the declared lists against their configured rates, and hits by rule, seller and
    day. / 布控通道占比与命中统计。"""
    from cbec.risk import service as risk

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return risk.overview(uow.session, None).model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        t = Table("lane 通道", "lists 清单", "share 占比", "expected 预期", "floor 随机下限")
        for ln in r["lanes"]:
            t.add_row(ln["lane"], str(ln["count"]), _pct(ln["share"]), _pct(ln["expected"]), _pct(ln["floor"]))
        console.print(t)
        console.print(
            f"{r['lists']} lists 清单; hits by rule 命中: {[(h['key'], h['count']) for h in r['hits_by_rule']]}"
        )

    run(json_out, action, render)
