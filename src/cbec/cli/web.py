"""``cbec serve`` and ``cbec user``: the web platform over an existing database."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for

app = typer.Typer(help="web users / 网页用户", no_args_is_help=True)

Host = Annotated[str, typer.Option(help="address to listen on / 监听地址")]
Port = Annotated[int, typer.Option(help="port / 端口")]


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="send queued messages and apply receipts / 后台收发报文")
    ] = True,
    sandbox: Annotated[
        bool, typer.Option("--sandbox/--no-sandbox", help="the sandbox customs answers / 模拟海关回执")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Serve the web UI and the partner API over an existing database. / 启动网页与 API 服务。"""
    from cbec.demo import with_sandbox_signing
    from cbec.web.server import serve as run_server

    settings = settings_for(data_dir)
    ensure_database(settings)
    if sandbox:
        settings = with_sandbox_signing(settings)
    console.print(
        f"cbec serving 服务地址: http://{host}:{port}/  (API docs 接口文档: http://{host}:{port}/docs) — Ctrl-C 停止"
    )
    run_server(settings, host=host, port=port, worker=worker, sandbox=sandbox)
    console.print("stopped 已停止")


@app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="user name / 用户名")],
    role: Annotated[str, typer.Option(help="admin | seller | regulator / 角色")],
    enterprise: Annotated[str | None, typer.Option(help="a seller user's enterprise code / 所属企业")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="password / 密码")
    ] = "",
    name: Annotated[str, typer.Option(help="display name / 显示名称")] = "",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Create a web user. / 创建网页用户。"""
    from cbec.accounts import service as accounts
    from cbec.accounts.schemas import UserCreate
    from cbec.unit_of_work import UnitOfWork

    settings = settings_for(data_dir)
    ensure_database(settings)

    def action() -> dict[str, Any]:
        with UnitOfWork(settings) as uow:
            out = accounts.create_user(
                uow.session,
                UserCreate(
                    username=username, password=password, role=role, enterprise_code=enterprise, display_name=name
                ),
            )
            uow.commit()
            return out.model_dump()

    run(json_out, action, lambda r: console.print(f"user created 已创建用户: {r['username']} ({r['role']})"))


@app.command("list")
def list_users(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """List web users. / 列出网页用户。"""
    from rich.table import Table

    from cbec.accounts import service as accounts
    from cbec.unit_of_work import UnitOfWork

    settings = settings_for(data_dir)
    ensure_database(settings)

    def action() -> list[dict[str, Any]]:
        with UnitOfWork(settings) as uow:
            return [u.model_dump() for u in accounts.list_users(uow.session)]

    def render(rows: list[dict[str, Any]]) -> None:
        t = Table("user 用户", "role 角色", "enterprise 企业", "last login 最近登录")
        for u in rows:
            t.add_row(u["username"], u["role"], u["enterprise_code"] or "", str(u["last_login_at"] or ""))
        console.print(t)

    run(json_out, action, render)
