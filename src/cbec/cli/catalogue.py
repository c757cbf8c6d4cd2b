from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cbec.catalogue import service
from cbec.catalogue.schemas import ProductRead
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, progress_bar, run, settings_for
from cbec.matching import service as matching
from cbec.unit_of_work import UnitOfWork

app = typer.Typer(help="Product catalogue and HS codes / 商品备案与 HS 编码", no_args_is_help=True)


@app.command("list")
def list_(
    seller: Annotated[str, typer.Option(help="seller (ebc) code")],
    status: Annotated[str | None, typer.Option(help="none | suggested | confirmed")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """List SKUs with their HS code, status, score and matched words."""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            return {
                "counts": service.status_counts(uow.session, seller),
                "products": [
                    p.model_dump() for p in service.list_products(uow.session, seller, status=status, limit=limit)
                ],
            }

    def render(out: dict[str, Any]) -> None:
        t = Table("SKU", "name 名称", "HS", "status 状态", "score 分数", "matched 匹配词")
        for p in out["products"]:
            t.add_row(
                p["sku"],
                p["name_en"][:40],
                p["hs_code"] or "",
                p["hs_status"],
                p["hs_score"] or "",
                " ".join(p["hs_matched_words"]),
            )
        console.print(t)
        console.print(f"counts 统计: {out['counts']}")

    run(json_out, action, render)


@app.command("suggest")
def suggest(
    seller: Annotated[str, typer.Option(help="seller (ebc) code")], data_dir: DataDir = None, json_out: JsonOut = False
) -> None:
    """Suggest HS codes for SKUs that have none (marked "suggested", never declared unconfirmed)."""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow, progress_bar("HS 建议 suggesting", not json_out) as bar:
            n = service.suggest_codes(uow.session, seller, progress=bar)
            uow.commit()
            return {"suggested": n, "counts": service.status_counts(uow.session, seller)}

    run(json_out, action, lambda r: console.print(f"suggested 已建议 {r['suggested']}; {r['counts']}"))


@app.command("confirm")
def confirm(
    seller: Annotated[str, typer.Option(help="seller (ebc) code")],
    sku: Annotated[str, typer.Option(help="the SKU")],
    hs: Annotated[str | None, typer.Option("--hs", help="10-digit code to use instead of the suggestion")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Confirm a SKU's suggested HS code, or correct it with --hs; re-matches held orders."""
    settings = settings_for(data_dir)

    def action() -> ProductRead:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            p = service.confirm_code(uow.session, seller, sku, hs, by="seller")
            matching.run_matching(uow.session, seller_code=seller)
            uow.commit()
            return p

    run(json_out, action, lambda p: console.print(f"已确认 Confirmed {p.sku} → {p.hs_code}"))
