from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.partners import service
from cbec.partners.schemas import CredentialIssued, EnterpriseCreate, EnterpriseRead
from cbec.unit_of_work import UnitOfWork

app = typer.Typer(help="Enterprise registry / 企业备案", no_args_is_help=True)


@app.command("add")
def add(
    code: Annotated[str, typer.Option(help="10-char customs code or 18-char USCC / 海关编码或统一社会信用代码")],
    name: Annotated[str, typer.Option(help="registered name / 企业名称")],
    role: Annotated[list[str], typer.Option(help="ebp, ebc, pay, logistics, agent, operator, warehouse")],
    name_en: Annotated[str, typer.Option(help="English name")] = "",
    dxp_id: Annotated[str | None, typer.Option(help="DXP id issued by the China E-port")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Register an enterprise. / 登记企业。"""
    settings = settings_for(data_dir)

    def action() -> EnterpriseRead:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            e = service.register_enterprise(
                uow.session, EnterpriseCreate(code=code, name=name, roles=role, name_en=name_en, dxp_id=dxp_id)
            )
            uow.commit()
            return e

    run(json_out, action, lambda e: console.print(f"登记成功 Registered {e.code} {e.name} ({', '.join(e.roles)})"))


@app.command("set-platform")
def set_platform(
    seller: Annotated[str, typer.Option(help="the seller (ebc) / 电商企业代码")],
    platform: Annotated[str, typer.Option(help="its usual platform (ebp), 无 for a foreign one, '' for none")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Set the platform a seller's files are submitted on when they name none. / 设置默认电商平台。"""
    settings = settings_for(data_dir)

    def action() -> EnterpriseRead:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            e = service.set_default_platform(uow.session, seller, platform or None)
            uow.commit()
            return e

    run(
        json_out, action, lambda e: console.print(f"默认平台 Default platform of {e.code}: {e.default_platform or '—'}")
    )


@app.command("list")
def list_(
    role: Annotated[str | None, typer.Option(help="only this role")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """List registered enterprises. / 企业列表。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, object]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return {"enterprises": [e.model_dump() for e in service.list_enterprises(uow.session, role=role)]}

    def render(out: dict[str, object]) -> None:
        t = Table("code 代码", "name 名称", "roles 角色", "DXP")
        for e in out["enterprises"]:  # type: ignore[attr-defined]
            t.add_row(e["code"], e["name"], ", ".join(e["roles"]), e["dxp_id"] or "")
        console.print(t)

    run(json_out, action, render)


@app.command("key")
def key(
    code: Annotated[str, typer.Option(help="enterprise code")],
    label: Annotated[str, typer.Option(help="what the key is for")] = "",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Issue an API key (shown once; only its hash is stored). / 签发 API 密钥。"""
    settings = settings_for(data_dir)

    def action() -> CredentialIssued:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            issued = service.issue_credential(uow.session, code, label=label)
            uow.commit()
            return issued

    run(json_out, action, lambda c: console.print(f"API key（仅显示一次 shown once）: {c.api_key}"))


@app.command("revoke")
def revoke(key_id: str, data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Revoke an API key by its id. / 吊销 API 密钥。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, str]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            service.revoke_credential(uow.session, key_id)
            uow.commit()
        return {"revoked": key_id}

    run(json_out, action, lambda r: console.print(f"已吊销 Revoked {r['revoked']}"))
