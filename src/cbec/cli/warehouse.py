"""``cbec warehouse``: warehouses, stock movements in (movement CSV, FBA Inventory Ledger), stock
and ageing as of a day, the 9810 reconciliation, the 1210 bonded account book (issue 18, part 2).
Thin: the services do the work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cbec import pipeline
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, parse_day, run, run_in_session, settings_for
from cbec.errors import InvalidInput
from cbec.partners import service as partners
from cbec.partners.rules import Role
from cbec.warehouse import service as warehouse
from cbec.warehouse.rules import BUCKET_NAMES, STATUS_TEXT
from cbec.warehouse.schemas import BookRead, ReconcileRead, ShipmentLineIn, StockRead, WarehouseCreate, WarehouseRead

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="Overseas and bonded warehouses, stock and ageing / 海外仓与保税仓库存", no_args_is_help=True)

Seller = Annotated[str, typer.Option("--seller", help="the seller (ebcCode) / 电商企业代码", show_default=False)]
AsOf = Annotated[str | None, typer.Option("--as-of", help="the day, YYYY-MM-DD (default today) / 截止日期")]


def _day(text: str | None, name: str) -> date:
    """The day typed, or today (UTC) when none is."""
    return parse_day(text, name) or datetime.now(UTC).date()


@app.command("add")
def add(
    code: Annotated[str, typer.Option(help="warehouse code / 仓库代码")],
    name: Annotated[str, typer.Option(help="name / 仓库名称")],
    country: Annotated[str, typer.Option(help="customs country code, e.g. 502 USA / 国别代码")],
    operator: Annotated[str, typer.Option(help="the enterprise that runs it / 经营企业代码")],
    address: Annotated[str, typer.Option(help="address / 地址")] = "",
    area_m2: Annotated[int | None, typer.Option(help="floor area m² / 面积")] = None,
    kind: Annotated[str, typer.Option(help="overseas | bonded")] = "overseas",
    ems_no: Annotated[str, typer.Option(help="account book number (bonded) / 账册编号")] = "",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Register a warehouse. / 登记仓库。"""

    def work(session: Session) -> WarehouseRead:
        data = WarehouseCreate(
            code=code, name=name, country=country, address=address, area_m2=area_m2, kind=kind, ems_no=ems_no
        )
        return warehouse.register_warehouse(session, data, operator, by=operator)

    run_in_session(
        json_out,
        data_dir,
        work,
        lambda w: console.print(f"登记成功 Registered {w.code} {w.name} ({w.kind}, {w.country})"),
    )


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(help="movement CSV or FBA Inventory Ledger / 库存变动文件", show_default=False)
    ],
    seller: Seller,
    fmt: Annotated[str, typer.Option("--format", help="auto | movements-csv | fba-ledger")] = "auto",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Import stock movements: kept raw first, then read; rows seen before change nothing. / 导入库存变动。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        return pipeline.import_movements(
            settings, pipeline.read_input(path), seller=seller, fmt=fmt, filename=path.name
        )

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"{r['format']}: {r['rows']} rows 行, {r['movements']} movements 变动, "
            f"{r['duplicates']} already imported 已导入过, {r['error_count']} errors 错误"
        )
        if r["unregistered_warehouses"]:
            console.print(f"  warehouses not registered 未登记仓库: {', '.join(r['unregistered_warehouses'][:20])}")
        for e in r["errors"][:20]:
            console.print(f"  [red]✗[/] row {e.get('line') or '-'} {e['field']}: {e['message_zh']} / {e['message_en']}")

    run(json_out, action, render)


@app.command("stock")
def stock(
    seller: Seller,
    as_of: AsOf = None,
    warehouse_code: Annotated[str | None, typer.Option("--warehouse", help="one warehouse / 仅此仓库")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Stock on hand by warehouse and SKU, with its ageing (FIFO lots). / 库存与库龄。"""

    def work(session: Session) -> StockRead:
        partners.require_role(session, seller, Role.EBC)
        return warehouse.stock(session, seller, _day(as_of, "as-of"), warehouse=warehouse_code)

    def render(s: StockRead) -> None:
        table = Table(title=f"{s.seller} as of 截至 {s.as_of}: {s.on_hand} units 件")
        for col in ("warehouse 仓库", "SKU", "on hand 在库", *BUCKET_NAMES):
            table.add_column(col, justify="right" if col not in ("warehouse 仓库", "SKU") else "left")
        for p in s.positions[:200]:
            table.add_row(p.warehouse, p.sku, str(p.on_hand), *(str(p.buckets[b]) for b in BUCKET_NAMES))
        console.print(table)
        for w in s.warehouses:
            console.print(
                f"  {w.warehouse} {w.name}: {w.on_hand} — " + ", ".join(f"{k}: {v}" for k, v in w.buckets.items())
            )
        if s.shortfalls:
            console.print(f"  [yellow]shortfalls 缺货出库[/]: {len(s.shortfalls)} movements took more than was on hand")
            for f in s.shortfalls[:10]:
                console.print(
                    f"  [yellow]![/] {f.day} {f.warehouse} {f.sku} {f.movement} {f.reference}: {f.units} short 短缺"
                )

    run_in_session(json_out, data_dir, work, render, commit=False)


@app.command("reconcile")
def reconcile(
    seller: Seller,
    as_of: AsOf = None,
    transit_days: Annotated[int, typer.Option(help="days a shipment may travel / 在途天数")] = 60,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Declared 9810 lists against warehouse receipts: in transit, received, variance, unexplained. / 9810 对账。"""

    def work(session: Session) -> ReconcileRead:
        partners.require_role(session, seller, Role.EBC)
        return warehouse.reconcile(session, seller, _day(as_of, "as-of"), transit_days=transit_days)

    def render(r: ReconcileRead) -> None:
        console.print(
            f"{r.lists} lists 清单, declared 申报 {r.declared}, received 入仓 {r.received}, in transit 在途 "
            f"{r.in_transit}, short 短少 {r.short}, over 多收 {r.over}, unexplained 无申报入仓 {r.unexplained_units}"
        )
        for ln in r.lines[:50]:
            if ln.status != "received":
                console.print(
                    f"  {ln.list_no} {ln.sku}: {ln.declared} → {ln.received} {STATUS_TEXT[ln.status][0]} {ln.status}"
                )
        for u in r.unexplained[:20]:
            console.print(
                f"  [yellow]?[/] {u.day} {u.warehouse} {u.sku} {u.reference}: {u.units} {u.reason_zh} / {u.reason}"
            )

    run_in_session(json_out, data_dir, work, render, commit=False)


def _render_book(b: BookRead) -> None:
    table = Table(title=f"{b.ems_no} {b.seller}")
    for col in ("SKU", "inbound 入区", "outbound 出区", "reserved 已申报", "balance 结余", "available 可用"):
        table.add_column(col, justify="right")
    for ln in b.lines:
        table.add_row(ln.sku, *(str(v) for v in (ln.inbound, ln.outbound, ln.reserved, ln.balance, ln.available)))
    console.print(table)


@app.command("book-in")
def book_in(
    ems_no: Annotated[str, typer.Option(help="the bonded account book / 账册编号")],
    seller: Seller,
    reference: Annotated[str, typer.Option(help="the entry document / 进区单证编号")],
    line: Annotated[list[str], typer.Option(help="SKU=QTY, repeated / 商品=数量")],
    on: Annotated[str | None, typer.Option("--date", help="entry day YYYY-MM-DD")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Enter goods into a bonded account book (1210). / 保税账册入区。"""

    def work(session: Session) -> BookRead:
        lines = []
        for text in line:
            sku, _, qty = text.rpartition("=")
            if not sku or not qty.isdigit():
                raise InvalidInput(f"line {text!r} must be SKU=QTY", f"明细 {text!r} 须为 商品=数量", field="line")
            lines.append(ShipmentLineIn(sku=sku, quantity=int(qty)))
        partners.require_role(session, seller, Role.EBC)
        return warehouse.bonded.add_inbound(session, ems_no, seller, reference, _day(on, "date"), lines)

    run_in_session(json_out, data_dir, work, _render_book)


@app.command("book")
def book(
    ems_no: Annotated[str, typer.Option(help="the bonded account book / 账册编号")],
    seller: Seller,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """A bonded account book's balance per SKU. / 保税账册余额。"""
    run_in_session(
        json_out, data_dir, lambda session: warehouse.bonded.book(session, ems_no, seller), _render_book, commit=False
    )
