"""``cbec generate``: a deterministic, realistic load of partner files for benchmarks and tests.

``cbec generate --orders 100000 --seed 1 --out load/`` writes half the orders as 9610 exports
shaped like the Online Retail data (orders and their waybills) and half as retail imports
(orders, payments, waybills), as numbered JSON files, and ``manifest.json`` with what intake
and matching should make of them. See docs/generate.md.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cbec.cli.common import JsonOut, console, err_console, progress_bar, run
from cbec.generate.basics import GenerateOptions, Mix, Parties
from cbec.generate.service import generate as generate_files

_DEFAULTS = Parties()


def _render(r: dict[str, Any]) -> None:
    t = Table("file 文件", "documents 单证")
    for f in r["files"]:
        t.add_row(f["name"], str(f["documents"]))
    console.print(t)
    t = Table("", "export 出口", "import 进口")
    ex, im = r["export"], r["import"]
    t.add_row("orders 订单", str(ex["orders"]), str(im["orders"]))
    t.add_row("goods lines 商品项", str(ex["goods_lines"]), str(im["goods_lines"]))
    t.add_row(
        "expected matched 预期对碰成功",
        str(ex["expected_matching"]["by_state"].get("matched", 0)),
        str(im["expected_matching"]["by_state"].get("matched", 0)),
    )
    for side, data in (("export", ex), ("import", im)):
        for reason, n in data["expected_matching"]["by_reason"].items():
            t.add_row(f"  unmatched 未对碰: {reason}", *((str(n), "") if side == "export" else ("", str(n))))
    t.add_row("buyers 订购人 (over the annual limit 超年度限值)", "", f"{im['buyers']} ({im['over_limit_buyers']})")
    t.add_row("split purchases 拆单 (orders 订单)", "", f"{im['split_purchases']} ({im['split_orders']})")
    console.print(t)
    err_console.print(
        f"{r['orders']} orders in {r['seconds']} s ({r['orders_per_second']} orders/s) → {r['out']}/manifest.json"
    )


def generate(
    orders: Annotated[int, typer.Option("--orders", min=1, help="orders to generate, half export and half import")],
    out: Annotated[Path, typer.Option("--out", help="folder to write the files into / 输出目录")],
    seed: Annotated[int, typer.Option("--seed", min=0, help="same seed and options, same bytes")] = 0,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="documents per file at most")] = 10_000,
    marketplace: Annotated[
        bool, typer.Option("--marketplace/--no-marketplace", help="send some export orders as an Amazon order report")
    ] = False,
    marketplace_share: Annotated[
        float, typer.Option("--marketplace-share", min=0.0, max=1.0, help="share of export orders, with --marketplace")
    ] = 0.2,
    mismatch_share: Annotated[
        float, typer.Option("--mismatch-share", min=0.0, max=1.0, help="orders whose documents disagree")
    ] = 0.01,
    cancel_share: Annotated[
        float | None,
        typer.Option("--cancel-share", min=0.0, max=1.0, help="export orders cancelled (default: the data set's)"),
    ] = None,
    invalid_share: Annotated[
        float, typer.Option("--invalid-share", min=0.0, max=1.0, help="orders that fail intake validation")
    ] = 0.002,
    over_quota_share: Annotated[
        float,
        typer.Option("--over-quota-share", min=0.0, max=1.0, help="import buyers over the CNY 26,000 annual limit"),
    ] = 0.01,
    split_share: Annotated[
        float, typer.Option("--split-share", min=0.0, max=1.0, help="import purchases split into several orders")
    ] = 0.03,
    start: Annotated[
        datetime, typer.Option("--start", formats=["%Y-%m-%d"], help="first day of the orders (Beijing time)")
    ] = datetime(2026, 1, 1),  # noqa: DTZ001 - a calendar date, read as one
    days: Annotated[int, typer.Option("--days", min=1, help="days the orders are spread over")] = 30,
    platform: Annotated[str, typer.Option(help="platform (ebp) code")] = _DEFAULTS.platform.code,
    seller: Annotated[str, typer.Option(help="seller (ebc) code")] = _DEFAULTS.seller.code,
    logistics: Annotated[str, typer.Option(help="logistics company code")] = _DEFAULTS.logistics.code,
    payer: Annotated[str, typer.Option(help="payment company code")] = _DEFAULTS.payer.code,
    mix: Annotated[
        Mix,
        typer.Option(
            "--mix",
            help="export orders shaped as the Online Retail invoices (wholesale, ~26 lines) or as national "
            "B2C parcels (1–3 lines; docs/generate.md)",
        ),
    ] = Mix.ONLINE_RETAIL,
    force: Annotated[bool, typer.Option("--force", help="replace files of an earlier run in --out")] = False,
    json_out: JsonOut = False,
) -> None:
    """Generate partner files: exports like the Online Retail data, imports with buyers (生成压测数据)."""
    parties = Parties(
        platform=replace(_DEFAULTS.platform, code=platform),
        seller=replace(_DEFAULTS.seller, code=seller),
        logistics=replace(_DEFAULTS.logistics, code=logistics),
        payer=replace(_DEFAULTS.payer, code=payer),
    )
    options = GenerateOptions(
        orders=orders,
        seed=seed,
        start=start.date(),
        days=days,
        mismatch_share=mismatch_share,
        cancel_share=cancel_share,
        invalid_share=invalid_share,
        over_quota_share=over_quota_share,
        split_share=split_share,
        marketplace_share=marketplace_share if marketplace else 0.0,
        parties=parties,
        mix=mix,
    )

    def action() -> dict[str, Any]:
        with progress_bar("生成 generating", not json_out) as bar:
            return generate_files(options, out, batch_size=batch_size, overwrite=force, progress=bar)

    run(json_out, action, _render)
