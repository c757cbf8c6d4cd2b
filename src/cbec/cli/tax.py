"""``cbec tax``: retail import tax, export refund and returned-goods relief from a JSON file.

Thin: read the file, parse it (cbec.tax.schemas), call the pure computation, print the result as
JSON (``--json``) or as Rich tables. No database: the buyer's earlier purchases this year come
from the input's ``priorPurchases``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cbec.cli.common import JsonOut, console, run
from cbec.errors import InvalidInput
from cbec.tax import schemas
from cbec.tax.export_refund import assess_export_refund
from cbec.tax.import_tax import StaticLedger, assess_with_ledger
from cbec.tax.rates import tax_tables
from cbec.tax.return_relief import assess_return_relief

app = typer.Typer(
    help="Cross-border e-commerce taxes: retail import, export refund, returned goods / 跨境电商税款计算",
    no_args_is_help=True,
)

InputFile = Annotated[Path, typer.Argument(help="input JSON file / 输入 JSON 文件", show_default=False)]
TablesDir = Annotated[
    Path | None,
    typer.Option(
        "--tables",
        help="folder with the operator's rate tables (same file names as cbec/tax/data) / 运营方税率表目录",
        show_default=False,
    ),
]


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc.strerror or exc}", f"无法读取 {path}：{exc.strerror or exc}", document=str(path)
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            f"{path} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}",
            document=str(path),
        ) from None


@app.command("import")
def import_(file: InputFile, tables: TablesDir = None, json_out: JsonOut = False) -> None:
    """Retail import tax of one order (9610/1210). / 跨境电商零售进口税款。"""

    def action() -> dict[str, Any]:
        request = schemas.parse_import_order(_read_json(file))
        assessment = assess_with_ledger(request.order, tax_tables(tables), StaticLedger(request.prior_purchases))
        return schemas.import_assessment_dict(assessment, date_source=request.date_source)

    def render(out: dict[str, Any]) -> None:
        t = Table(
            "gnum 项号",
            "gcode 商品编码",
            "taxPrice 完税价格",
            "customsTax 关税",
            "valueAddedTax 增值税",
            "consumptionTax 消费税",
            "taxTotal 合计",
            title=f"订单 Order {out['orderNo']} · {out['on']}",
        )
        for line in out["lines"]:
            t.add_row(
                str(line["gnum"]),
                line["gcode"],
                line["taxPrice"],
                line["customsTax"],
                line["valueAddedTax"],
                line["consumptionTax"],
                line["taxTotal"],
            )
        t.add_row(
            "",
            "合计 Total",
            out["taxPrice"],
            out["customsTax"],
            out["valueAddedTax"],
            out["consumptionTax"],
            out["taxTotal"],
            style="bold",
        )
        console.print(t)
        limits = out["limits"]
        console.print(f"{out['treatmentZh']}\n{out['treatmentEn']}")
        console.print(
            f"年度额度 Annual: {limits['afterOrder']} / {limits['annualLimit']} "
            f"(剩余 remaining {limits['remaining']}) · 规则 rule set {out['basis']['ruleSet']['id']}"
        )

    run(json_out, action, render)


@app.command("refund")
def refund(file: InputFile, tables: TablesDir = None, json_out: JsonOut = False) -> None:
    """Export refund or exemption of a claim, and the deemed-profit income tax. / 出口退(免)税。"""

    def action() -> dict[str, Any]:
        claim = schemas.parse_export_claim(_read_json(file))
        return schemas.export_assessment_dict(assess_export_refund(claim, tax_tables(tables)))

    def render(out: dict[str, Any]) -> None:
        t = Table(
            "gnum",
            "gcode",
            "exportDate 出口日期",
            "fobCny 离岸价",
            "treatment 处理",
            "refund 应退",
            "costTransfer 转成本",
            "nonCreditable 不得免抵",
            "deadline 期限",
            title=f"出口退(免)税 Export refund · {out['enterpriseKind']} · {out['claimDate']}",
        )
        for line in out["lines"]:
            t.add_row(
                str(line["gnum"]),
                line["gcode"],
                line["exportDate"],
                line["fobCny"],
                line["treatmentZh"],
                line["refund"],
                line["costTransfer"],
                line["nonCreditable"],
                line["deadline"] + (" ⚠" if line["pastDeadline"] else ""),
            )
        console.print(t)
        console.print(f"应退税额 Refund: {out['refundTotal']}")
        if out["manufacturer"]:
            m = out["manufacturer"]
            console.print(
                f"免抵退 exempt-credit-refund {m['exemptCreditRefund']} · 期末留抵 ending credit {m['endingCredit']} · "
                f"应退 refund {m['refund']} · 免抵 offset {m['offset']} · 结转 carry forward {m['carryForwardCredit']}"
            )
        if out["incomeTax"]:
            it = out["incomeTax"]
            console.print(f"核定征收企业所得税 Deemed-profit CIT {it['year']}: {it['incomeTax']}")
        for flag in out["flags"]:
            console.print(f"[yellow]⚠ {flag['gnum']}: {flag['message_zh']}\n   {flag['message_en']}[/]")

    run(json_out, action, render)


@app.command("return-relief")
def return_relief(file: InputFile, tables: TablesDir = None, json_out: JsonOut = False) -> None:
    """Import-tax relief on returned CBEC exports. / 跨境电商出口退货税收政策。"""

    def action() -> dict[str, Any]:
        goods = schemas.parse_returned_goods(_read_json(file))
        return schemas.return_assessment_dict(assess_return_relief(goods, tax_tables(tables)))

    def render(out: dict[str, Any]) -> None:
        verdict = "[green]符合 Eligible[/]" if out["eligible"] else "[red]不符合 Not eligible[/]"
        console.print(
            f"{verdict} · 出口 export {out['exportDate']} · 退运 return {out['returnDate']} · 期限 deadline {out['deadline']}"
        )
        for c in out["failedConditions"]:
            console.print(f"[red]✗ {c['message_zh']}\n  {c['message_en']}[/]")
        t = Table(
            "gnum",
            "gcode",
            "value 完税价格",
            "customsTax 关税",
            "valueAddedTax 增值税",
            "consumptionTax 消费税",
            "relieved 免征",
        )
        for line in out["lines"]:
            t.add_row(
                str(line["gnum"]),
                line["gcode"],
                line["value"],
                line["customsTax"],
                line["valueAddedTax"],
                line["consumptionTax"],
                "✓" if line["relieved"] else "✗",
            )
        console.print(t)
        console.print(f"免征 Relieved: {out['relieved']['taxTotal']} · 应征 Due: {out['due']['taxTotal']}")
        for i, step in enumerate(out["steps"], start=1):
            console.print(f"{i}. {step['message_zh']}\n   {step['message_en']}")

    run(json_out, action, render)
