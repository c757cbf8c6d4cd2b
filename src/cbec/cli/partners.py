from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cbec.cli.common import Cell, DataDir, JsonOut, console, rows_table, run_in_session
from cbec.partners import service
from cbec.partners.schemas import EnterpriseCreate

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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
    run_in_session(
        json_out,
        data_dir,
        lambda session: service.register_enterprise(
            session, EnterpriseCreate(code=code, name=name, roles=role, name_en=name_en, dxp_id=dxp_id)
        ),
        lambda e: console.print(f"登记成功 Registered {e.code} {e.name} ({', '.join(e.roles)})"),
    )


@app.command("set-platform")
def set_platform(
    seller: Annotated[str, typer.Option(help="the seller (ebc) / 电商企业代码")],
    platform: Annotated[str, typer.Option(help="its usual platform (ebp), 无 for a foreign one, '' for none")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Set the platform a seller's files are submitted on when they name none. / 设置默认电商平台。"""
    run_in_session(
        json_out,
        data_dir,
        lambda session: service.set_default_platform(session, seller, platform or None),
        lambda e: console.print(f"默认平台 Default platform of {e.code}: {e.default_platform or '—'}"),
    )


@app.command("list")
def list_(
    role: Annotated[str | None, typer.Option(help="only this role")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """List registered enterprises. / 企业列表。"""
    columns: dict[str, Cell] = {
        "code 代码": "code",
        "name 名称": "name",
        "roles 角色": lambda e: ", ".join(e["roles"]),
        "DXP": lambda e: e["dxp_id"] or "",
    }
    run_in_session(
        json_out,
        data_dir,
        lambda session: {"enterprises": [e.model_dump() for e in service.list_enterprises(session, role=role)]},
        lambda out: console.print(rows_table(out["enterprises"], columns)),
        commit=False,
    )


@app.command("key")
def key(
    code: Annotated[str, typer.Option(help="enterprise code")],
    label: Annotated[str, typer.Option(help="what the key is for")] = "",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Issue an API key (shown once; only its hash is stored). / 签发 API 密钥。"""
    run_in_session(
        json_out,
        data_dir,
        lambda session: service.issue_credential(session, code, label=label),
        lambda c: console.print(f"API key（仅显示一次 shown once）: {c.api_key}"),
    )


@app.command("revoke")
def revoke(key_id: str, data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """Revoke an API key by its id. / 吊销 API 密钥。"""

    def work(session: Session) -> dict[str, str]:
        service.revoke_credential(session, key_id)
        return {"revoked": key_id}

    run_in_session(json_out, data_dir, work, lambda r: console.print(f"已吊销 Revoked {r['revoked']}"))
