"""``cbec tax``: retail import tax, export refund and returned-goods relief from a JSON file.

Thin: read the file, parse it (cbec.tax.schemas), call the computation, print the result as
JSON (``--json``) or as Rich tables. Without ``--record`` no database is touched: the buyer's
earlier purchases this year come from the input's ``priorPurchases``. With ``--record --seller
CODE`` the assessment is stored (cbec.tax.service) and the buyer's annual total comes from the
database ledger; ``cbec tax explain ID`` shows a stored assessment's basis.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from cbec.cli.common import (
    Cell,
    DataDir,
    JsonOut,
    console,
    ensure_database,
    in_session,
    rows_table,
    run,
    run_in_session,
    settings_for,
)
from cbec.errors import InvalidInput, RuleViolation
from cbec.tax import present, reader, service
from cbec.tax.export_refund import assess_export_refund
from cbec.tax.import_tax import StaticLedger, assess_with_ledger
from cbec.tax.rates import tax_tables
from cbec.tax.return_relief import assess_return_relief
from cbec.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

X = TypeVar("X")

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
Record = Annotated[
    bool,
    typer.Option(
        "--record",
        help="store the assessment in the database (import: the buyer's annual ledger is used) / 保存计算记录",
    ),
]
Seller = Annotated[
    str | None,
    typer.Option(
        "--seller", help="seller's code, with --record / 电商企业代码（与 --record 同用）", show_default=False
    ),
]


def _seller_for(record: bool, seller: str | None) -> str | None:
    """The seller code when recording; --record and --seller go together."""
    if record and not seller:
        raise InvalidInput(
            "--record needs --seller CODE (the seller the assessment is stored for)",
            "--record 须同时指定 --seller 电商企业代码",
            field="seller",
        )
    if seller and not record:
        raise InvalidInput(
            "--seller is used with --record; add --record to store the assessment",
            "--seller 须与 --record 同用；如需保存计算记录请加 --record",
            field="seller",
        )
    return seller


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


def _assessed(
    record: bool,
    seller: str | None,
    data_dir: Path | None,
    parse: Callable[[], X],
    computed: Callable[[X], dict[str, Any]],
    stored: Callable[[Session, X, str], Any],
) -> dict[str, Any]:
    """An assessment of what ``parse`` reads: ``computed`` alone, with no database, or with
    ``--record --seller`` ``stored`` for the seller in one unit of work (its ``as_dict()``)."""
    seller_code = _seller_for(record, seller)
    parsed = parse()
    if seller_code is None:
        return computed(parsed)
    out: dict[str, Any] = in_session(settings_for(data_dir), lambda s: stored(s, parsed, seller_code).as_dict())
    return out


def _render_import(out: dict[str, Any]) -> None:
    """An import assessment as a table of its lines, its treatment and the buyer's year."""
    t = rows_table(
        out["lines"],
        {
            "gnum 项号": "gnum",
            "gcode 商品编码": "gcode",
            "taxPrice 完税价格": "taxPrice",
            "customsTax 关税": "customsTax",
            "valueAddedTax 增值税": "valueAddedTax",
            "consumptionTax 消费税": "consumptionTax",
            "taxTotal 合计": "taxTotal",
        },
        title=f"订单 Order {out['orderNo']} · {out['on']}",
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
    _print_recorded(out)


@app.command("import")
def import_(
    file: InputFile,
    tables: TablesDir = None,
    record: Record = False,
    seller: Seller = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Retail import tax of one order (9610/1210). / 跨境电商零售进口税款。"""

    def action() -> dict[str, Any]:
        seller_code = _seller_for(record, seller)
        data = _read_json(file)
        if seller_code is None:
            request = reader.parse_import_order(data)
            assessment = assess_with_ledger(request.order, tax_tables(tables), StaticLedger(request.prior_purchases))
            return present.import_assessment_dict(assessment, date_source=request.date_source)
        if isinstance(data, dict) and "priorPurchases" in data:
            raise InvalidInput(
                "with --record the buyer's annual total comes from the database ledger: remove priorPurchases "
                "from the input (an order counted elsewhere must be recorded, not typed in)",
                "使用 --record 时个人年度已用额度取自数据库台账：请从输入中删除 priorPurchases"
                "（其他订单须经记录计入台账，不能手工填写）",
                field="priorPurchases",
                document=str(file),
            )
        request = reader.parse_import_order(data)
        body = data.get("Order", data) if isinstance(data, dict) else {}
        head = body.get("OrderHead") if isinstance(body, dict) else None
        ebp = str(head.get("ebpCode") or "") if isinstance(head, dict) else ""
        settings = settings_for(data_dir)
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            try:
                out = service.assess_import(
                    uow.session, request, seller_code=seller_code, ebp_code=ebp or None, tables_dir=tables
                ).as_dict()
            except RuleViolation:
                uow.commit()  # keep the record of the refusal
                raise
            uow.commit()
            return out

    run(json_out, action, _render_import)


def _render_refund(out: dict[str, Any]) -> None:
    columns: dict[str, Cell] = {
        "gnum": "gnum",
        "gcode": "gcode",
        "exportDate 出口日期": "exportDate",
        "fobCny 离岸价": "fobCny",
        "treatment 处理": "treatmentZh",
        "refund 应退": "refund",
        "costTransfer 转成本": "costTransfer",
        "nonCreditable 不得免抵": "nonCreditable",
        "deadline 期限": lambda line: line["deadline"] + (" ⚠" if line["pastDeadline"] else ""),
    }
    title = f"出口退(免)税 Export refund · {out['enterpriseKind']} · {out['claimDate']}"
    console.print(rows_table(out["lines"], columns, title=title))
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
    _print_recorded(out)


def _render_relief(out: dict[str, Any]) -> None:
    verdict = "[green]符合 Eligible[/]" if out["eligible"] else "[red]不符合 Not eligible[/]"
    console.print(
        f"{verdict} · 出口 export {out['exportDate']} · 退运 return {out['returnDate']} · 期限 deadline {out['deadline']}"
    )
    for c in out["failedConditions"]:
        console.print(f"[red]✗ {c['message_zh']}\n  {c['message_en']}[/]")
    columns: dict[str, Cell] = {
        "gnum": "gnum",
        "gcode": "gcode",
        "value 完税价格": "value",
        "customsTax 关税": "customsTax",
        "valueAddedTax 增值税": "valueAddedTax",
        "consumptionTax 消费税": "consumptionTax",
        "relieved 免征": lambda line: "✓" if line["relieved"] else "✗",
    }
    console.print(rows_table(out["lines"], columns))
    console.print(f"免征 Relieved: {out['relieved']['taxTotal']} · 应征 Due: {out['due']['taxTotal']}")
    for i, step in enumerate(out["steps"], start=1):
        console.print(f"{i}. {step['message_zh']}\n   {step['message_en']}")
    _print_recorded(out)


def _assessment_command(
    name: str,
    doc: str,
    parse: Callable[[Any], X],
    computed: Callable[[X, Path | None], dict[str, Any]],
    stored: Callable[[Session, X, str, Path | None], Any],
    render: Callable[[dict[str, Any]], None],
) -> None:
    """Adds ``cbec tax NAME FILE [--tables] [--record --seller]``: what ``parse`` reads from the
    JSON file assessed by ``computed`` alone, or with ``--record`` by ``stored`` for the seller."""

    def command(
        file: InputFile,
        tables: TablesDir = None,
        record: Record = False,
        seller: Seller = None,
        data_dir: DataDir = None,
        json_out: JsonOut = False,
    ) -> None:
        def action() -> dict[str, Any]:
            return _assessed(
                record,
                seller,
                data_dir,
                lambda: parse(_read_json(file)),
                lambda parsed: computed(parsed, tables),
                lambda session, parsed, code: stored(session, parsed, code, tables),
            )

        run(json_out, action, render)

    command.__doc__ = doc
    app.command(name)(command)


_assessment_command(
    "refund",
    "Export refund or exemption of a claim, and the deemed-profit income tax. / 出口退(免)税。",
    reader.parse_export_claim,
    lambda claim, tables: present.export_assessment_dict(assess_export_refund(claim, tax_tables(tables))),
    lambda session, claim, code, tables: service.assess_refund(session, claim, seller_code=code, tables_dir=tables),
    _render_refund,
)
_assessment_command(
    "return-relief",
    "Import-tax relief on returned CBEC exports. / 跨境电商出口退货税收政策。",
    reader.parse_returned_goods,
    lambda goods, tables: present.return_assessment_dict(assess_return_relief(goods, tax_tables(tables))),
    lambda session, goods, code, tables: service.assess_return_relief(
        session, goods, seller_code=code, tables_dir=tables
    ),
    _render_relief,
)


def _print_recorded(out: dict[str, Any]) -> None:
    if out.get("assessmentId") is not None:
        console.print(f"已保存 Recorded: assessment {out['assessmentId']} (cbec tax explain {out['assessmentId']})")


@app.command("explain")
def explain(
    assessment_id: Annotated[int, typer.Argument(help="stored assessment id / 计算记录编号", show_default=False)],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The basis of a stored assessment, its figures recomputed from the stored rates. / 计税依据。"""

    def work(session: Session) -> dict[str, Any]:
        return service.explain(session, assessment_id).model_dump()

    def render(out: dict[str, Any]) -> None:
        state = "[red]拒绝 Refused[/]" if out["refused"] else f"税额 Total {out['taxTotal']}"
        console.print(
            f"#{out['assessmentId']} {out['assessmentKind']} · {out['reference']} · {out['on']} · "
            f"规则 rule set {out['ruleSet'] or '—'} · {state}"
        )
        if out["reason"]:
            console.print(f"{out['reason']['message_zh']}\n{out['reason']['message_en']}")
        basis = out["basis"] or {}
        rates = Table("gnum", "rate 税目", "value 税率", "source 依据", "table/row 表/行", title="依据 Basis")
        for line in basis.get("lines", []):
            for key in ("tariffRate", "vatRate", "consumptionTaxRate", "refundRate"):
                applied = line.get(key)
                if applied:
                    where = f"{applied['table']}:{applied['row']}" if applied.get("table") else applied["origin"]
                    rates.add_row(str(line["gnum"]), key, applied["rate"], applied["source"], where)
        console.print(rates)
        checks = Table("figure 项目", "stored 存储值", "recomputed 重算值", "✓", title=out["reproduced"]["method"])
        for f in out["reproduced"]["figures"]:
            checks.add_row(f["figure"], f["stored"] or "", f["recomputed"], "✓" if f["matches"] else "[red]✗[/]")
        console.print(checks)
        tables = basis.get("tables") or {}
        if tables:
            console.print(f"tables sha256 {tables.get('sha256')}")

    run_in_session(json_out, data_dir, work, render, commit=False)
