"""``cbec stats``: the zone's cross-border e-commerce indicators (issue 20, docs/statistics.md);
``cbec stats report`` the monthly zone report (XLSX or CSV); ``cbec stats exports`` the released
export lists a tax or FX bureau asks for, recorded in the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.errors import InvalidInput
from cbec.statistics import rules, workbook
from cbec.statistics import service as stats
from cbec.statistics.schemas import IndicatorsRead, RefreshRead
from cbec.unit_of_work import UnitOfWork

app = typer.Typer(help="Statistics and monitoring / 统计监测", invoke_without_command=True)

PeriodOpt = Annotated[
    str | None,
    typer.Option("--period", help="month YYYY-MM or year YYYY; none: all time / 统计期间", show_default=False),
]


def _figures(settings_dir: Path | None, period: str | None, by: str) -> IndicatorsRead:
    settings = settings_for(settings_dir)
    ensure_database(settings)
    p, dims = rules.parse_period(period), rules.parse_dimensions(by)
    with UnitOfWork(settings) as uow:
        stats.refresh(uow.session)
        uow.commit()
        return stats.indicators(uow.session, None, p, dims)


@app.callback()
def indicators(
    ctx: typer.Context,
    period: PeriodOpt = None,
    by: Annotated[str, typer.Option("--by", help="breakdowns, e.g. mode,country / 统计维度")] = "mode",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The indicators: lists, orders, parcels and CNY value by the named breakdowns, with the total,
    growth, active and new sellers and the top-10 share. / 跨境电商统计指标。"""
    if ctx.invoked_subcommand is not None:
        return

    def render(f: IndicatorsRead) -> None:
        table = Table(title=f"{f.period} · {' × '.join(f.by)}")
        for col in ("名称 name", "清单 lists", "订单 orders", "件数 parcels", "金额 CNY", "占比 share"):
            table.add_column(col, justify="left" if col.startswith("名称") else "right")
        for c in f.rows:
            share = "" if c.share is None else f"{c.share:.2%}"
            table.add_row(c.name_zh, str(c.lists), str(c.orders), str(c.parcels), f"{c.value_cny:,}", share)
        t = f.total
        table.add_row("合计 Total", str(t.lists), str(t.orders), str(t.parcels), f"{t.value_cny:,}", "")
        console.print(table)
        g = f.growth
        console.print(f"环比 MoM {g.value_mom if g.value_mom is not None else '—'} · 同比 YoY "
                      f"{g.value_yoy if g.value_yoy is not None else '—'} · 活跃/新增企业 active/new "
                      f"{f.enterprises.active}/{f.enterprises.new} · CR10 {f.top10_seller_share or '—'}")  # fmt: skip

    run(json_out, lambda: _figures(data_dir, period, by), render)


@app.command("report")
def report(
    period: Annotated[str, typer.Option("--period", help="month YYYY-MM / 月份")],
    out: Annotated[Path, typer.Option("--out", help="FILE.xlsx or FILE.csv / 输出文件")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The monthly zone report: XLSX (a sheet per breakdown, totals, growth, definitions) or CSV,
    the same bytes for the same data. / 月度统计报表。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, str | int]:
        suffix = out.suffix.lower()
        if suffix not in (".xlsx", ".csv"):
            raise InvalidInput("--out must end in .xlsx or .csv", "--out 须以 .xlsx 或 .csv 结尾", field="out")
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            stats.refresh(uow.session)
            uow.commit()
            zone = stats.zone_report(uow.session, None, rules.parse_period(period))
        data = workbook.xlsx(zone) if suffix == ".xlsx" else workbook.csv_bytes(zone)
        out.write_bytes(data)
        return {"out": str(out), "bytes": len(data), "period": zone.summary.period, "lists": zone.summary.total.lists}

    run(json_out, action, lambda r: console.print(f"{r['out']} · {r['lists']} lists 清单 · {r['bytes']} bytes"))


@app.command("exports")
def exports(
    period: Annotated[str, typer.Option("--period", help="month YYYY-MM or year YYYY / 统计期间")],
    recipient: Annotated[str, typer.Option("--for", help="tax | fx (the bureau asking) / 税务或外汇")],
    out: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.xlsx / 输出文件")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Released export lists with values per seller for a tax or FX bureau; audited. / 向税务、外汇部门提供的出口清单。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, str | int]:
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx") or recipient not in stats.RECIPIENTS:
            raise InvalidInput(
                "--for is tax or fx and --out ends in .csv or .xlsx", "--for 为 tax 或 fx，--out 以 .csv 或 .xlsx 结尾",
                field="for" if recipient not in stats.RECIPIENTS else "out",
            )  # fmt: skip
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            stats.refresh(uow.session)
            data = stats.released_exports(uow.session, None, rules.parse_period(period), recipient=recipient, fmt=fmt)
            uow.commit()
        out.write_bytes(workbook.released_csv(data) if fmt == "csv" else workbook.released_xlsx(data))
        return {"out": str(out), "lists": len(data.lists), "sellers": len(data.sellers)}

    run(json_out, action, lambda r: console.print(f"{r['out']} · {r['lists']} lists 清单 · {r['sellers']} sellers"))


@app.command("refresh")
def refresh(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Count the lists declared since the last run (the figures do it themselves too). / 更新统计明细。"""
    settings = settings_for(data_dir)

    def action() -> RefreshRead:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            done = stats.refresh(uow.session)
            uow.commit()
            return done

    run(json_out, action, lambda r: console.print(f"{r.lists} lists 清单 · {r.lines} lines 商品项"))
