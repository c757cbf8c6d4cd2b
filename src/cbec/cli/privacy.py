"""``cbec privacy``: erase one buyer's personal data, list the erasures, open what the law
requires to keep (docs/privacy.md). Thin: the work is cbec.pipeline's and cbec.privacy's."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cbec.cli.common import DataDir, JsonOut, console, ensure_database, rows_table, run, run_in_session, settings_for

app = typer.Typer(
    help="Personal data: erasure and the encrypted retention archive / 个人信息：删除与加密留存",
    no_args_is_help=True,
)

Reason = Annotated[
    str, typer.Option("--reason", help="why (the request and its date; kept) / 理由（将被记录）", show_default=False)
]


@app.command("erase")
def erase(
    buyer_id: Annotated[
        str,
        typer.Option("--buyer-id", help="the buyer's ID number on import orders / 订购人证件号码", show_default=False),
    ],
    reason: Reason,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Erase one buyer's ID number, name, phone and address everywhere; keep the encrypted copy
    the law requires. / 删除一位订购人的个人信息，仅加密留存法定需保存的部分。"""
    from cbec import pipeline

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        return pipeline.erase_buyer(settings, buyer_id, reason).model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        t = Table("where 位置", "erased 已删除")
        for where, n in r["counts"].items():
            t.add_row(where, str(n))
        console.print(t)
        console.print(
            f"[green]✓[/] erasure 删除编号 [bold]{r['token']}[/]; the encrypted copy is kept until 加密留存至 "
            f"{r['retain_until']} (key 密钥 {r['key_id']}); database 数据库: {r['compacted']}"
        )

    run(json_out, action, render)


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option(help="newest N / 最近 N 条")] = 50,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The erasures, newest first: token, when, why, until when the copy is kept. / 删除记录。"""
    from cbec.privacy import service as privacy

    columns = {"token 编号": "token", "erased 删除时间": "erased_at", "kept until 留存至": "retain_until",
               "reason 理由": "reason"}  # fmt: skip
    run_in_session(
        json_out,
        data_dir,
        lambda session: {"items": [x.model_dump(mode="json") for x in privacy.retained_records(session, limit)]},
        lambda r: console.print(rows_table(r["items"], columns)),
        commit=False,
    )


@app.command("open")
def open_(
    token: Annotated[str, typer.Argument(help="the erasure's token / 删除编号", show_default=False)],
    reason: Reason,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Decrypt a retained record with the key file (a customs audit, a court order); the
    opening is recorded in the audit trail. / 用密钥打开留存记录（记入审计日志）。"""
    from cbec import pipeline

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        return pipeline.open_retained(settings, token, reason).model_dump(mode="json")

    def render(r: dict[str, Any]) -> None:
        c = r["content"]
        console.print(f"erasure 删除编号 {r['token']} · buyer 订购人 {c['buyerIdNumber']} · reason 理由 {r['reason']}")
        console.print(
            f"{len(c['documents'])} documents 单证 · {len(c['declarations'])} declarations 申报 · "
            f"{len(c['messages'])} messages 报文 · {len(c['ledger'])} ledger entries 额度记录 (--json: all 全部)"
        )

    run(json_out, action, render)
