from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cbec import pipeline
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, progress_bar, run, run_in_session, settings_for
from cbec.matching import service as matching

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FORMATS = "auto|json|ceb|csv|xlsx|amazon-orders|shopify-orders|online-retail"


def import_(
    path: Annotated[Path, typer.Argument(help="file to import / 导入文件")],
    seller: Annotated[str, typer.Option(help="seller (ebc) code / 电商企业代码")],
    format: Annotated[str, typer.Option("--format", help=FORMATS)] = "auto",
    platform: Annotated[str | None, typer.Option(help="platform (ebp) code / 电商平台代码")] = None,
    sender: Annotated[str | None, typer.Option(help="enterprise sending the file, if not the seller")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Import partner documents (一点接入): stored raw, read, validated, matched."""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        ctx = pipeline.context_for(settings, seller, platform, sender)
        with progress_bar("导入 importing", not json_out) as bar:
            return pipeline.import_path(settings, path, ctx, fmt=format, progress=bar)

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"[bold]{path.name}[/] ({r['format']}): {r['documents']} documents 单证 — new 新增 {r['new']}, "
            f"duplicates 重复 {r['duplicates']}, new versions 新版本 {r['new_versions']}, invalid 不合规 {r['invalid']}"
        )
        if r["parser"]:
            t = Table("parser 解析", "count 数量")
            for k, v in r["parser"].items():
                t.add_row(k, str(v))
            console.print(t)
        for d in r["invalid_documents"][:10]:
            console.print(f"[red]✗[/] {d['type']} {d['document']} ({d['source']})")
            for e in d["errors"][:3]:
                console.print(f"    [{e['field']}] {e['message_zh']} / {e['message_en']}")
        for e in r["row_errors"][:10]:
            console.print(f"[red]✗[/] {e['document']} [{e['field']}] {e['message_zh']} / {e['message_en']}")
        if "matching" in r:
            console.print(f"matching 对碰: {r['matching']['by_state']}")

    run(json_out, action, render)


def match(
    seller: Annotated[str | None, typer.Option(help="only this seller")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Match every pending order with its waybill and payment (三单对碰)."""

    def work(session: Session) -> dict[str, Any]:
        with progress_bar("对碰 matching", not json_out) as bar:
            return matching.run_matching(session, seller_code=seller, progress=bar).as_dict()

    run_in_session(
        json_out,
        data_dir,
        work,
        lambda s: console.print(f"{s['orders']} orders 订单: {s['by_state']} {s['by_reason']}"),
    )


def status(
    seller: Annotated[str | None, typer.Option(help="only this seller")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Counts by document type and match state. / 单证与对碰状态统计。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        return pipeline.status(settings, seller)

    def render(s: dict[str, Any]) -> None:
        t = Table("document 单证", "valid 合规", "invalid 不合规")
        for k, v in sorted(s["documents"].items()):
            t.add_row(k, str(v["valid"]), str(v["invalid"]))
        console.print(t)
        t = Table("kind 类型", "state 状态", "count 数量")
        for kind, states in s["matching"].items():
            for st, n in sorted(states.items()):
                t.add_row(kind, st, str(n))
        console.print(t)
        for st, reasons in s["not_matched_reasons"].items():
            console.print(f"{st}: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
        console.print(f"catalogue 商品备案: {s['catalogue']}")

    run(json_out, action, render)
