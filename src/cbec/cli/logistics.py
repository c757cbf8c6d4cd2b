"""``cbec logistics``: carriers' tracking events (file in, review queue), the physical CEB flows
(运抵 507, 离境 509, 清单总分单 607, 签收 513, 入库 711, 退运理货 215), stalled parcels, a parcel's
track and transit times (issue 18). Thin: the pipeline and the logistics service do the work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cbec import pipeline
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.logistics import service as logistics
from cbec.logistics.schemas import FLOW_MESSAGES, FlowIn
from cbec.unit_of_work import UnitOfWork

app = typer.Typer(help="Tracking, physical flows and transit times / 物流轨迹、物流作业与时效", no_args_is_help=True)
events_app = typer.Typer(help="Carriers' tracking events / 物流轨迹事件", no_args_is_help=True)
flows_app = typer.Typer(
    help="Arrival, departure, master bill … declared to customs / 物流作业申报", no_args_is_help=True
)
app.add_typer(events_app, name="events")
app.add_typer(flows_app, name="flows")

Carrier = Annotated[
    str, typer.Option("--carrier", help="the logistics company's code / 物流企业代码", show_default=False)
]


def _errors(r: dict[str, Any]) -> None:
    for e in r.get("errors", [])[:20]:
        console.print(f"  [red]✗[/] line {e['line']} {e['field']}: {e['message_zh']} / {e['message_en']}")


@events_app.command("import")
def events_import(path: Annotated[Path, typer.Argument(help="tracking CSV / 轨迹 CSV")], carrier: Carrier,
                  data_dir: DataDir = None, json_out: JsonOut = False) -> None:  # fmt: skip
    """Import a carrier's tracking CSV (waybill_no, time with zone, event_code, location, description). / 导入轨迹文件。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        data = pipeline.read_input(path)
        return pipeline.track_file(settings, data, carrier=carrier, filename=path.name).model_dump()

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"received 收到 {r['received']}, stored 入库 {r['stored']}, duplicates 重复 {r['duplicates']}, "
            f"in review 待审 {r['in_review']}; by status 按状态: {r['by_status']}"
        )
        _errors(r)

    run(json_out, action, render)


@events_app.command("review")
def events_review(all_: Annotated[bool, typer.Option("--all", help="resolved ones too / 含已处理")] = False,
                  data_dir: DataDir = None, json_out: JsonOut = False) -> None:  # fmt: skip
    """Codes no mapping knows, waiting for the operator. / 待审的未知事件代码。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return logistics.review_queue(uow.session, None if all_ else "open").model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        for i in r["items"]:
            console.print(
                f"#{i['id']} {i['carrier']} {i['code_system']}:{i['code']} ×{i['events']} {i['state']} {i['status']} — {i['example']}"
            )
        if not r["items"]:
            console.print("nothing to review 无待审代码")

    run(json_out, action, render)


@events_app.command("resolve")
def events_resolve(review_id: Annotated[int, typer.Argument(help="review entry id")],
                   status: Annotated[str, typer.Option("--status", help="internal status / 内部状态")],
                   note: Annotated[str, typer.Option("--note")] = "", data_dir: DataDir = None,
                   json_out: JsonOut = False) -> None:  # fmt: skip
    """Say which internal status an unknown code means; its events take it. / 指定未知代码的内部状态。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            result = logistics.resolve_review(uow.session, review_id, status, note, by="cli")
            uow.commit()
            return result.model_dump(mode="json")

    run(json_out, action, lambda r: console.print(f"#{r['id']} {r['code']} → {r['status']}"))


@flows_app.command("declare")
def flows_declare(
    kind: Annotated[str, typer.Argument(help=" | ".join(FLOW_MESSAGES))],
    carrier: Carrier,
    parcels: Annotated[str, typer.Option("--parcels", help="waybill numbers, comma-separated / 运单号")] = "",
    parcels_file: Annotated[Path | None, typer.Option("--parcels-file", help="one waybill number a line")] = None,
    bill_no: Annotated[str, typer.Option("--bill-no")] = "",
    voyage_no: Annotated[str, typer.Option("--voyage-no")] = "",
    traf_name: Annotated[str, typer.Option("--traf-name")] = "",
    traf_mode: Annotated[str, typer.Option("--traf-mode")] = "5",
    gross_weight: Annotated[str | None, typer.Option("--gross-weight")] = None,
    domestic_traf_no: Annotated[str, typer.Option("--domestic-traf-no")] = "",
    invt_no: Annotated[str, typer.Option("--invt-no", help="the original export list (CEB215)")] = "",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Declare a physical flow through customs (arrival 507, departure 509, master_bill 607, delivery 513,
    site_entry 711, refund_tally 215). / 申报物流作业。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        numbers = [p.strip() for p in parcels.split(",") if p.strip()]
        if parcels_file is not None:
            numbers += [n.strip() for n in parcels_file.read_text("utf-8").splitlines() if n.strip()]
        flow = FlowIn.model_validate(
            {"kind": kind, "parcels": numbers, "bill_no": bill_no, "voyage_no": voyage_no, "traf_name": traf_name,
             "traf_mode": traf_mode, "gross_weight": gross_weight, "domestic_traf_no": domestic_traf_no, "invt_no": invt_no}
        )  # fmt: skip
        return pipeline.logistics_flow(settings, flow, carrier=carrier).model_dump()

    def render(r: dict[str, Any]) -> None:
        new = "declared 已申报" if r["created"] else "declared before 已申报过"
        console.print(
            f"{r['message_type']} {r['cop_no']}: {r['parcels']} parcels 运单, {new}, status 状态 {r['status']}"
        )

    run(json_out, action, render)


@flows_app.command("derive")
def flows_derive(carrier: Carrier, data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Arrival and departure from the carrier's events at the site (EXA → 507, EMC → 509). / 由轨迹生成运抵、离境。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            out = logistics.derive_flows(uow.session, carrier)
            uow.commit()
        return {"declared": [m.model_dump() for m in out]}

    def render(r: dict[str, Any]) -> None:
        for m in r["declared"]:
            console.print(f"{m['message_type']} {m['cop_no']} ×{m['parcels']}")
        if not r["declared"]:
            console.print("nothing new to declare 无新的运抵或离境")

    run(json_out, action, render)


@app.command("stalled")
def stalled(
    hours: Annotated[float | None, typer.Option("--hours", help="no news for this long / 停滞小时数")] = None,
    unseen_hours: Annotated[float | None, typer.Option("--unseen-hours", help="not seen after release")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Parcels stalled, or never seen online after release. / 停滞或放行后未上网的包裹。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return logistics.stalled_parcels(
                uow.session,
                None,
                hours=hours or settings.stalled_hours,
                unseen_hours=unseen_hours or settings.unseen_hours,
            ).model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"stalled 停滞 (> {r['hours']} h): {len(r['stalled'])}; never seen 未上网 (> {r['unseen_hours']} h): {len(r['never_seen'])}"
        )
        for s in [*r["stalled"], *r["never_seen"]][:30]:
            console.print(f"  {s['waybill_no']} {s['carrier']} {s['reason']} {s['last_status']} {s['hours']} h")

    run(json_out, action, render)


@app.command("track")
def track(waybill: Annotated[str, typer.Argument(help="waybill number / 运单号")], data_dir: DataDir = None,
          json_out: JsonOut = False) -> None:  # fmt: skip
    """A parcel's tracking events and customs flows on one timeline. / 包裹轨迹。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return logistics.track(uow.session, None, waybill).model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        console.print(f"{r['waybill_no']} {r['carrier']}: {r['status_zh']} {r['status_en']}")
        for s in r["steps"]:
            console.print(f"  {s['at']} [{s['kind']}] {s['title_zh']} / {s['title_en']} {s['location']} {s['detail']}")

    run(json_out, action, render)


@app.command("transit")
def transit(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Days from dispatch to delivery by carrier and destination: median and 90th percentile. / 时效。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return logistics.transit_times(uow.session, None).model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        for row in r["rows"]:
            console.print(
                f"{row['carrier']} {row['country'] or '-'}: {row['parcels']} parcels, median {row['median_days']} d, p90 {row['p90_days']} d"
            )

    run(json_out, action, render)
