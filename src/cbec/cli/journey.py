from __future__ import annotations

from typing import Annotated

import typer

from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.journey import service as journey
from cbec.journey.schemas import OrderJourneyRead
from cbec.unit_of_work import UnitOfWork

MARK = {"done": "[green]✓[/]", "waiting": "[yellow]…[/]", "failed": "[red]✗[/]", "not_tracked": "[dim]·[/]"}


def journey_command(
    number: Annotated[str, typer.Argument(help="order, waybill or list number, or copNo / 订单号、运单号或清单编号")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """An order's journey from upload to release, each step with its time and reason. / 订单全程轨迹。"""
    settings = settings_for(data_dir)

    def action() -> OrderJourneyRead:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return journey.order_journey(uow.session, None, number)

    def render(j: OrderJourneyRead) -> None:
        console.print(f"[bold]{j.order_no}[/] · {j.seller_code} · {j.direction}")
        for s in j.steps:
            when = s.at.isoformat(timespec="seconds") if s.at else "—"
            console.print(f"{MARK.get(s.state, s.state)} {when}  {s.title_zh} / {s.title_en}")
            if s.detail_en:
                console.print(f"      [dim]{s.detail_zh} / {s.detail_en}[/]")

    run(json_out, action, render)
