"""``cbec finance``: settlements, payouts and receipts in; the reconciliation of declared exports
with the money received out (收汇对账, issue 17). Thin: the pipeline does the work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cbec import pipeline
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, parse_day, run, settings_for
from cbec.errors import InvalidInput
from cbec.finance.rules import STATUS_TEXT, Status

app = typer.Typer(help="Settlements, FX receipts and their reconciliation / 结算、收汇与对账", no_args_is_help=True)

Seller = Annotated[str, typer.Option("--seller", help="the seller (ebcCode) / 电商企业代码", show_default=False)]


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(help="settlement, payouts or receipts file / 结算或收汇文件", show_default=False)
    ],
    seller: Seller,
    platform: Annotated[
        str | None, typer.Option(help="platform (ebpCode) the orders were declared under / 平台代码")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", help="auto | amazon-settlement | shopify-transactions | shopify-payouts | receipts"),
    ] = "auto",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Import a money file: kept raw first, then read (a settlement must add up to its total). / 导入资金文件。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        data = pipeline.read_input(path)
        return pipeline.import_money(settings, data, seller=seller, platform=platform, fmt=fmt, filename=path.name)

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"{r['format']}: settlements 结算 {r['settlements']} ({r['settlement_lines']} rows 行, "
            f"{r['duplicate_settlements']} already imported 已导入过), receipts 收汇 {r['receipts']} "
            f"({r['duplicate_receipts']} already 已导入过); deposits 存入: {r['deposits'] or '-'}"
        )
        if r["payouts_agreeing"] or r["payouts_not_imported"]:
            console.print(
                f"  payouts summary 结算汇总: {r['payouts_agreeing']} agree 一致, {r['payouts_not_imported']} not imported yet 尚未导入"
            )
        for e in r["errors"][:20]:
            console.print(
                f"  [red]✗[/] {e['document']} row {e.get('line') or '-'} {e['field']}: {e['message_zh']} / {e['message_en']}"
            )

    run(json_out, action, render)


@app.command("reconcile")
def reconcile(
    seller: Seller,
    start: Annotated[str | None, typer.Option("--from", help="released on or after / 放行日期起")] = None,
    end: Annotated[str | None, typer.Option("--to", help="released on or before / 放行日期止")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="the day ageing is counted to (default today)")] = None,
    overdue_days: Annotated[
        int | None, typer.Option(help="days after release a list is overdue (default 180) / 超期天数")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Reconcile declared exports with settlements and receipts: the bridge, statuses, unmatched. / 收汇对账。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        return pipeline.reconcile(
            settings, seller, start=parse_day(start, "from"), end=parse_day(end, "to"), as_of=parse_day(as_of, "as-of"),
            overdue_days=overdue_days,
        )  # fmt: skip

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"{r['orders']} declared orders 已申报订单: settled 已结算 {r['orders_settled']}, refunded 有退款 "
            f"{r['orders_refunded']}; {r['settlements']} settlements 结算, {r['receipts']} receipts 收汇"
        )
        console.print(
            "  "
            + ", ".join(
                f"{STATUS_TEXT[Status(k)][0]} {STATUS_TEXT[Status(k)][1]}: {v}"
                for k, v in sorted(r["by_status"].items())
            )
        )
        for t in r["totals"]:
            table = Table(
                title=f"{t['currency']}"
                + (
                    f" → CNY @ {t['quote']['rate']} ({t['quote']['date']}, {t['quote']['source']})"
                    if t["quote"]
                    else " (no CNY rate 无汇率)"
                )
            )
            table.add_column("figure 项目")
            table.add_column(t["currency"], justify="right")
            table.add_column("CNY", justify="right")
            for k, v in t["figures"].items():
                table.add_row(k, str(v), str((t["cny"] or {}).get(k, "")))
            console.print(table)
        if r["unmatched_count"]:
            console.print(f"  unmatched 未对上: {r['unmatched_count']}")
            for u in r["unmatched"][:10]:
                console.print(
                    f"  [yellow]~[/] {u['kind']} {u['reference']} {u['amount']} {u['currency']}: {u['reason_zh']} / {u['reason_en']}"
                )

    run(json_out, action, render)


@app.command("prequalify")
def prequalify(
    seller: Seller,
    out: Annotated[Path | None, typer.Option("--out", help="write the signed package to this file / 输出文件")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="the day the history is counted to (default today)")
    ] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Financing pre-qualification: a transparent score and a suggested limit, as a data package
    signed by the platform (not a lending decision). / 融资预审数据包（预审参考，非授信决定）。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        sealed = pipeline.prequalify(settings, seller, as_of=parse_day(as_of, "as-of"))
        if out is not None:
            out.write_text(json.dumps(sealed, ensure_ascii=False, indent=2), encoding="utf-8")
        return sealed

    def render(s: dict[str, Any]) -> None:
        p = s["package"]
        console.print(
            f"score 评分 {p['score']} / 100, suggested limit 建议额度 CNY {p['suggested_limit_cny']} — {p['not_a_lending_decision']}"
        )
        table = Table()
        for col in ("factor 因素", "value 值", "score 得分", "weight 权重", "contribution 贡献"):
            table.add_column(col)
        for f in p["factors"]:
            table.add_row(f["factor"], str(f["value"]), f["score"], f["weight"], f["contribution"])
        console.print(table)
        if out is not None:
            console.print(f"signed package 已签名数据包: {out}")

    run(json_out, action, render)


@app.command("verify")
def verify(
    path: Annotated[Path, typer.Argument(help="a signed data package / 已签名数据包", show_default=False)],
    public_key: Annotated[Path | None, typer.Option(help="the platform's public key (PEM) to trust / 平台公钥")] = None,
    json_out: JsonOut = False,
) -> None:
    """Check a data package's signature (a bank runs this with the platform's public key). / 验证数据包签名。"""
    from cbec.kit import seal

    def action() -> dict[str, Any]:
        try:
            sealed = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read {path}: {exc}", f"无法读取 {path}：{exc}", field="path") from None
        trusted = public_key.read_bytes() if public_key else None
        package = seal.verify(sealed, trusted)
        return {
            "valid": True,
            "seller": package.get("seller"),
            "score": package.get("score"),
            "as_of": package.get("as_of"),
        }

    def render(r: dict[str, Any]) -> None:
        console.print(f"[green]✓[/] signature valid 签名有效: {r['seller']} score {r['score']} as of {r['as_of']}")

    run(json_out, action, render)
