"""``cbec report``: reports from stored records, written as XLSX for the accountant.

``cbec report refunds --seller CODE --period 2025-Q1 --out refunds.xlsx``: one row per exported
line of the period, from the stored refund assessments (``cbec tax refund --record``), with a
totals row and a second sheet of the rates and their sources.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from rich.table import Table

from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.errors import InvalidInput
from cbec.tax import service
from cbec.unit_of_work import UnitOfWork

app = typer.Typer(help="Reports / 报表", no_args_is_help=True)

MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00%"

#: (key, header 中文 / English, kind, width): kind "money" | "rate" | "text" | "flag" | "int"
REFUND_COLUMNS: tuple[tuple[str, str, str, int], ...] = (
    ("invtNo", "清单编号 / invtNo", "text", 22),
    ("exportDate", "出口日期 / Export date", "text", 13),
    ("gnum", "项号 / gnum", "int", 7),
    ("gcode", "商品编码 / HS code", "text", 13),
    ("gname", "商品名称 / Goods name", "text", 24),
    ("treatmentZh", "处理 / Treatment", "text", 22),
    ("fobCny", "离岸价(人民币) / FOB CNY", "money", 16),
    ("invoiceAmount", "发票金额 / Invoice amount", "money", 16),
    ("vatRate", "征税率 / VAT rate", "rate", 10),
    ("refundRate", "退税率 / Refund rate", "rate", 10),
    ("refundRateSource", "退税率依据 / Refund rate source", "text", 36),
    ("refund", "应退税额 / Refund", "money", 14),
    ("exemptCreditRefund", "免抵退税额 / Exempt-credit-refund", "money", 16),
    ("nonCreditable", "不得免征和抵扣税额 / Non-creditable tax", "money", 18),
    ("costTransfer", "转入成本 / To cost", "money", 14),
    ("deadline", "申报期限 / Deadline", "text", 13),
    ("late", "逾期 / Late", "flag", 8),
    ("claimDate", "申报日期 / Claim date", "text", 13),
    ("assessmentId", "计算记录 / Assessment", "int", 11),
)

BASIS_COLUMNS: tuple[tuple[str, str, str, int], ...] = (
    ("invtNo", "清单编号 / invtNo", "text", 22),
    ("gnum", "项号 / gnum", "int", 7),
    ("gcode", "商品编码 / HS code", "text", 13),
    ("exportDate", "出口日期 / Export date", "text", 13),
    ("rateKind", "税率 / Rate", "text", 12),
    ("rate", "税率值 / Value", "rate", 10),
    ("source", "依据 / Source", "text", 44),
    ("status", "状态 / Status", "text", 8),
    ("table", "表 / Table", "text", 18),
    ("row", "行 / Row", "int", 7),
    ("hsPrefix", "编码前缀 / HS prefix", "text", 12),
    ("validFrom", "起 / Valid from", "text", 12),
    ("validTo", "止 / Valid to", "text", 12),
    ("origin", "来源 / Origin", "text", 8),
    ("tablesSha256", "税率表摘要 / Tables sha256", "text", 30),
    ("assessmentId", "计算记录 / Assessment", "int", 11),
)

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _cell_value(value: Any, kind: str) -> Any:
    """Amounts and rates as numbers (from their exact text, money to 2 decimals), flags as 是/否."""
    if value is None or value == "":
        return None
    if kind == "money":
        return float(Decimal(str(value)).quantize(Decimal("0.01")))
    if kind == "rate":
        return float(Decimal(str(value)))
    if kind == "int":
        return int(value)
    if kind == "flag":
        return "是 Yes" if value else "否 No"
    return str(value)


def _sheet(ws: Any, columns: tuple[tuple[str, str, str, int], ...], rows: list[dict[str, Any]]) -> None:
    ws.append([header for _, header, _, _ in columns])
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        ws.append([_cell_value(row.get(key), kind) for key, _, kind, _ in columns])
    for i, (_, _, kind, width) in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = width
        number_format = MONEY_FORMAT if kind == "money" else RATE_FORMAT if kind == "rate" else None
        if number_format:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = number_format
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32


def write_refund_report(report: dict[str, Any], path: Path) -> Path:
    """The refund report as XLSX: the lines and a totals row, then the rates and their sources."""
    wb = Workbook()
    ws = wb.active
    ws.title = "refunds 退税"
    _sheet(ws, REFUND_COLUMNS, report["rows"])
    totals = report["totals"]
    total_row: list[Any] = []
    for key, _, kind, _ in REFUND_COLUMNS:
        if key == "invtNo":
            total_row.append(f"合计 Total ({totals['lines']})")
        elif kind == "money":
            total_row.append(_cell_value(totals[key], "money"))
        elif key == "late":
            total_row.append(totals["late"])
        else:
            total_row.append(None)
    ws.append(total_row)
    for i, cell in enumerate(ws[ws.max_row], start=1):
        cell.font = _HEADER_FONT
        if REFUND_COLUMNS[i - 1][2] == "money":
            cell.number_format = MONEY_FORMAT
    ws.append([])
    ws.append(
        [f"{report['sellerCode']} · {report['period']} ({report['from']} – {report['to']}) · 按出口日期 by export date"]
    )
    basis = wb.create_sheet("basis 依据")
    _sheet(basis, BASIS_COLUMNS, report["basis"])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@app.command("refunds")
def refunds(
    seller: Annotated[str, typer.Option("--seller", help="seller's code / 电商企业代码", show_default=False)],
    period: Annotated[
        str, typer.Option("--period", help="2025, 2025-Q1 or 2025-03 (by export date) / 期间", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", help="XLSX file to write / 输出文件", show_default=False)],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Export refunds of a period, from the stored refund assessments, as XLSX. / 出口退税报表。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        if out.suffix.lower() != ".xlsx":
            raise InvalidInput(f"--out must name an .xlsx file: {out}", f"--out 须为 .xlsx 文件：{out}", field="out")
        ensure_database(settings)
        with UnitOfWork(settings) as uow:
            report = service.refund_report(uow.session, seller, period)
        write_refund_report(report, out)
        return {**report, "out": str(out)}

    def render(result: dict[str, Any]) -> None:
        t = Table(
            "invtNo 清单编号",
            "exportDate 出口日期",
            "gcode 商品编码",
            "fobCny 离岸价",
            "refundRate 退税率",
            "refund 应退",
            "nonCreditable 不得免抵",
            "deadline 期限",
            title=f"出口退税 Export refunds · {result['sellerCode']} · {result['period']}",
        )
        for r in result["rows"]:
            t.add_row(
                r["invtNo"] or "",
                r["exportDate"],
                r["gcode"],
                r["fobCny"],
                r["refundRate"] or "—",
                r["refund"],
                r["nonCreditable"],
                r["deadline"] + (" ⚠" if r["late"] else ""),
            )
        totals = result["totals"]
        t.add_row(
            "合计 Total", "", "", totals["fobCny"], "", totals["refund"], totals["nonCreditable"], "", style="bold"
        )
        console.print(t)
        console.print(f"已写入 Written: {result['out']}")

    run(json_out, action, render)
