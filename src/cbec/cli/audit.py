"""``cbec audit``: the hash-chained audit trail (issue 21, part 2) — verify it, list it."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cbec.audit import service as audit
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.errors import RuleViolation
from cbec.kit.paging import PageRequest
from cbec.unit_of_work import UnitOfWork

app = typer.Typer(help="The audit trail: who changed what, when, from where / 审计日志", no_args_is_help=True)


@app.command("verify")
def verify(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Recompute the whole chain; name the first entry changed, removed or reordered (exit 1). / 校验审计链。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            out = audit.verify(uow.session)
        if not out.intact:
            raise RuleViolation(
                f"the audit trail is broken at entry {out.broken_at}: {out.message_en}",
                f"审计链在第 {out.broken_at} 条断开：{out.message_zh}",
                field="audit_entry",
            )
        return out.model_dump()

    def render(r: dict[str, Any]) -> None:
        console.print(f"[green]✓[/] audit trail intact 审计链完整: {r['entries']} entries 条")

    run(json_out, action, render)


@app.command("list")
def list_(
    action: Annotated[str | None, typer.Option(help="only this action, e.g. submission / 仅此操作")] = None,
    enterprise: Annotated[str | None, typer.Option(help="only this enterprise's actors / 仅此企业")] = None,
    limit: Annotated[int, typer.Option(help="newest N entries / 最近 N 条")] = 50,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The newest entries: when, who, from where, what. / 最近的审计记录。"""
    settings = settings_for(data_dir)

    def action_() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return audit.entries(uow.session, PageRequest(1, limit), action=action, enterprise=enterprise).model_dump(
                mode="json"
            )

    def render(r: dict[str, Any]) -> None:
        table = Table(title=f"{r['total']} entries 条")
        for col in ("#", "at 时间", "who 操作人", "from 来源", "action 操作", "target 对象"):
            table.add_column(col)
        for e in r["items"]:
            who = f"{e['actor_kind']}:{e['actor']}" + (f" ({e['enterprise_code']})" if e["enterprise_code"] else "")
            table.add_row(str(e["id"]), e["at"], who, e["origin"], e["action"], e["target"])
        console.print(table)

    run(json_out, action_, render)
