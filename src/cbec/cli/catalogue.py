from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cbec.catalogue import service
from cbec.catalogue.schemas import ProductFilter
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
    seller: Annotated[str, typer.Option(help="seller (ebc) code")],
    refresh: Annotated[
        bool, typer.Option(help="suggest again for unconfirmed SKUs, learning from the confirmed / 重新建议")
    ] = False,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Suggest HS codes for SKUs that have none (marked "suggested", never declared unconfirmed);
    suggestions learn from the SKUs you confirmed."""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow, progress_bar("HS 建议 suggesting", not json_out) as bar:
            n = service.suggest_codes(uow.session, seller, refresh=refresh, progress=bar)
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

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            p = service.confirm_code(uow.session, seller, sku, hs, by="seller")
            report = matching.release_waiting(uow.session, seller, [sku])
            uow.commit()
            return {**p.model_dump(), "released": report.released, "still_waiting": report.still_waiting}

    run(
        json_out,
        action,
        lambda p: console.print(
            f"已确认 Confirmed {p['sku']} → {p['hs_code']} ({p['hs_status']}); "
            f"放行 released {p['released']}, 仍等待 still waiting {p['still_waiting']}"
        ),
    )


@app.command("accept")
def accept(
    seller: Annotated[str, typer.Option(help="seller (ebc) code")],
    min_score: Annotated[float, typer.Option(help="accept every suggestion scoring at least this / 最低分数")],
    waiting: Annotated[bool, typer.Option(help="only SKUs that orders wait on")] = False,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Accept every suggestion at or above a score (your decision, recorded); releases the orders."""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            waits = matching.waiting_by_sku(uow.session, seller) if waiting else None
            flt = ProductFilter(
                state="suggested", min_score=min_score, only_skus=frozenset(waits) if waits is not None else None
            )
            decision = service.confirm_filtered(uow.session, seller, flt, by="seller")
            report = matching.release_waiting(uow.session, seller, decision.confirmed)
            uow.commit()
            return decision.model_copy(
                update={
                    "rematched": report.rematched,
                    "released": report.released,
                    "still_waiting": report.still_waiting,
                }
            ).model_dump()

    run(
        json_out,
        action,
        lambda r: console.print(
            f"已确认 confirmed {len(r['confirmed'])}; 放行 released {r['released']}, 仍等待 still waiting {r['still_waiting']}"
        ),
    )


@app.command("import")
def import_(
    seller: Annotated[str, typer.Option(help="seller (ebc) code")],
    file: Annotated[
        Path, typer.Argument(help="CSV or XLSX: SKU, HS code, 中文品名, units, origin", exists=True, dir_okay=False)
    ],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Import your catalogue file (商品备案表); bad rows are named, the others recorded."""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            report, changed = service.import_catalogue(
                uow.session, seller, file.read_bytes(), filename=file.name, by="seller"
            )
            release = matching.release_waiting(uow.session, seller, changed)
            uow.commit()
            return report.model_copy(update={"rematched": release.rematched, "released": release.released}).model_dump()

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"rows 行 {r['rows']}: created 新建 {r['created']}, updated 更新 {r['updated']}, "
            f"unchanged 未变 {r['unchanged']}; released 放行 {r['released']}"
        )
        for e in r["errors"]:
            console.print(f"[red]{e['message_zh']} / {e['message_en']}[/]")

    run(json_out, action, render)


@app.command("search")
def search(
    words: Annotated[str, typer.Argument(help="Chinese or English words, or a code / 中英文词或编码")],
    limit: Annotated[int, typer.Option(help="at most this many")] = 10,
    json_out: JsonOut = False,
) -> None:
    """Search HS2022 subheadings by words or code. / 查询 HS 编码。"""

    def action() -> dict[str, Any]:
        return {"query": words, "hits": [h.model_dump() for h in service.search_hs(words, limit=limit)]}

    def render(out: dict[str, Any]) -> None:
        t = Table("HS", "description 描述", "score 分数", "matched 匹配词")
        for h in out["hits"]:
            t.add_row(h["cn_code"], h["description"][:70], f"{h['score']:.3f}", " ".join(h["matched_words"]))
        console.print(t)

    run(json_out, action, render)
