"""The monthly zone report (issue 20, item 3) as XLSX and CSV: a summary with totals and growth,
the months' series, one sheet per breakdown each ending on its total, and the definitions.
Pure: the figures in, bytes out; the same figures give the same bytes (the workbook's own
timestamps and the zip entries' dates are fixed)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from cbec.statistics.rules import DIMENSIONS
from cbec.statistics.schemas import CellRead, FigureRead, IndicatorsRead, ReleasedExportsRead

#: every date inside the file (zip entries, docProps created/modified), so a rerun is byte-identical
FIXED_STAMP = (2000, 1, 1, 0, 0, 0)
FIXED_ISO = "2000-01-01T00:00:00Z"

DEFINITIONS = (
    ("范围 Scope", "统计函〔2021〕52号: goods traded between parties inside and outside the customs territory, "
     "concluded online, shipped across the border through the cross-border e-commerce, express or postal "
     "channel. Here: customs lists CEB603 (export) and CEB621 (import) released by customs (800 放行) and "
     "not cancelled or returned; statuses released, closed, return_requested."),
    ("来源 Source", "the declarations table (declaration), never raw orders; each list's figures are derived "
     "once into stat_list / stat_line (docs/statistics.md)."),
    ("日期 Day / month", "the list's declaration time in Beijing time (UTC+8). Customs statistics date a "
     "movement by its release; the declaration day is used here (replaceable, docs/statistics.md)."),
    ("清单 Lists", "number of counted lists."),
    ("订单 Orders", "distinct (platform, order number) of the counted lists."),
    ("件数 Parcels", "sum of the lists' packNo (件数). Not counted over HS lines (0 there)."),
    ("商品项 Lines", "goods lines of the lists (HS breakdowns only)."),
    ("金额 Value (CNY)", "each list's goods value (Σ line totalPrice) converted once to CNY, to the fen half "
     "up, at the rate of the 1st of its month: the zone's rate table (e.g. customs' monthly rate) first, else "
     "the ECB reference rate of the last business day on or before (finance/rates.py). A list's CNY value is "
     "split over its lines in proportion, so HS breakdowns add up to the total."),
    ("未折算 Unconverted", "lists whose currency had no rate for the month: counted, outside the value."),
    ("国别 Country", "the list's destination (export) or origin (import) country, customs 3-digit code "
     "(reference/codes/country.csv) with its Chinese and English names; empty code = unknown/other."),
    ("HS章/品目 HS chapter/heading", "the first 2 and 4 digits of each line's 10-digit goods code (gcode); "
     "a list with goods of two chapters counts once in each (lists do not add up there, values do)."),
    ("电商企业/平台 Seller/platform", "the list's ebcCode and ebpCode."),
    ("活跃企业 Active", "sellers with at least one counted list in the period."),
    ("新增企业 New", "active sellers whose first counted list is in the period."),
    ("环比 MoM / 同比 YoY", "(this − previous month) / previous month; (this − same period a year earlier) / "
     "that; empty when the earlier figure is zero or absent."),
    ("集中度 CR10", "share of the ten largest sellers in the period's value."),
    ("占比 Share", "a row's value / the total value."),
    ("海外仓 Overseas warehouses", "count, area and country of overseas warehouses: a slot, filled when the "
     "logistics area records warehouses (issue 20 item 1)."),
)  # fmt: skip

FIGURE_HEAD = [
    "清单 lists",
    "订单 orders",
    "件数 parcels",
    "商品项 lines",
    "金额（人民币）value CNY",
    "未折算 unconverted",
]


@dataclass(frozen=True)
class ZoneReport:
    """The period's summary (its ``rows`` cut by the first breakdown) and one cut per breakdown."""

    summary: IndicatorsRead
    breakdowns: Sequence[tuple[Sequence[str], Sequence[CellRead]]]


def _figures(f: FigureRead) -> list[object]:
    return [f.lists, f.orders, f.parcels, f.lines, f.value_cny, f.unconverted]


def _pct(v: Decimal | float | None) -> object:
    return "" if v is None else float(v)


def _summary(ws: Worksheet, s: IndicatorsRead) -> None:
    ws.append(["统计期间 period", s.period, s.first_month or "", s.last_month or ""])
    ws.append(["范围 scope", s.scope])
    ws.append(["汇率 rate basis", s.rate_basis])
    ws.append([])
    ws.append(["合计 Total", *FIGURE_HEAD])
    ws.append(["", *_figures(s.total)])
    ws.append([])
    g = s.growth
    ws.append(["增长 Growth", "上期 previous", "上期金额 previous value", "环比 MoM value", "环比 MoM lists"])
    ws.append(["", g.previous or "", g.previous_value or "", _pct(g.value_mom), _pct(g.lists_mom)])
    ws.append(["", "去年同期 year ago", "同期金额 value", "同比 YoY value", "同比 YoY lists"])
    ws.append(["", g.year_ago or "", g.year_ago_value or "", _pct(g.value_yoy), _pct(g.lists_yoy)])
    ws.append([])
    ws.append(["活跃企业 active sellers", s.enterprises.active])
    ws.append(["新增企业 new sellers", s.enterprises.new])
    ws.append(["集中度 CR10 (top-10 sellers' share)", _pct(s.top10_seller_share)])
    ws.append(["海外仓 overseas warehouses", "（待物流模块 pending the logistics area）"])


def _months(ws: Worksheet, s: IndicatorsRead) -> None:
    ws.append(["月份 month", *FIGURE_HEAD, "环比 MoM", "同比 YoY"])
    for m in s.months:
        ws.append([m.month, *_figures(m), _pct(m.value_mom), _pct(m.value_yoy)])


def _breakdown(ws: Worksheet, by: Sequence[str], rows: Sequence[CellRead], total: FigureRead) -> None:
    ws.append([f"{DIMENSIONS[d].zh} {DIMENSIONS[d].en}" for d in by] + ["名称", "name", *FIGURE_HEAD, "占比 share"])
    for c in rows:
        ws.append([c.key[d] or "-" for d in by] + [c.name_zh, c.name_en, *_figures(c), _pct(c.share)])
    line_cut = not all(DIMENSIONS[d].lists_add_up for d in by)
    lines = sum(c.lines for c in rows)
    figures = _figures(total)
    if line_cut:
        figures[3] = lines  # the total of lines; lists are the plain total (a list may span chapters)
    ws.append(["合计 Total"] + [""] * len(by) + [""] + figures + [1.0 if total.value_cny else ""])


def _sheet_title(by: Sequence[str]) -> str:
    return "×".join(DIMENSIONS[d].zh for d in by) + " " + "-".join(by)


def _fixed(data: bytes) -> bytes:
    """The same zip with fixed entry dates and docProps times, so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode()
                for tag in ("created", "modified"):
                    text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{FIXED_ISO}\g<2>", text)
                body = text.encode()
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def xlsx(report: ZoneReport) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "总览 Summary"
    _summary(summary, report.summary)
    _months(book.create_sheet("月度 Months"), report.summary)
    for by, rows in report.breakdowns:
        _breakdown(book.create_sheet(_sheet_title(by)[:31]), by, rows, report.summary.total)
    defs = book.create_sheet("定义 Definitions")
    defs.append(["指标 indicator", "定义与来源 definition and source"])
    for name, text in DEFINITIONS:
        defs.append([name, text])
    out = io.BytesIO()
    book.save(out)
    return _fixed(out.getvalue())


def csv_bytes(report: ZoneReport) -> bytes:
    """One long table: breakdown, key, names, figures, share; each breakdown ends on its total."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["period", "breakdown", "key", "name_zh", "name_en", "lists", "orders", "parcels", "lines",
                "value_cny", "unconverted", "share"])  # fmt: skip
    s = report.summary
    for by, rows in report.breakdowns:
        name = ",".join(by)
        for c in rows:
            key = "|".join(c.key[d] for d in by)
            w.writerow([s.period, name, key, c.name_zh, c.name_en, *_figures(c), "" if c.share is None else c.share])
        w.writerow([s.period, name, "TOTAL", "合计", "total", *_figures(s.total), ""])
    for m in s.months:
        w.writerow([s.period, "month", m.month, m.month, m.month, *_figures(m), ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


RELEASED_HEAD = ["seller 电商企业", "day 申报日", "released_at 放行时间", "trade_mode 贸易方式", "country 国别",
                 "platform 平台", "order_no 订单号", "invt_no 清单编号", "currency 币制", "value 金额",
                 "value_cny 人民币金额", "rate 汇率", "rate_on 汇率日期", "rate_source 汇率来源"]  # fmt: skip


def _released_rows(data: ReleasedExportsRead) -> list[list[object]]:
    return [
        [
            x.seller,
            x.day,
            x.released_at,
            x.trade_mode,
            x.country,
            x.platform,
            x.order_no,
            x.invt_no,
            x.currency,
            "" if x.value is None else format(x.value, "f"),
            "" if x.value_cny is None else format(x.value_cny, "f"),
            x.rate,
            x.rate_on,
            x.rate_source,
        ]
        for x in data.lists
    ]


def released_csv(data: ReleasedExportsRead) -> bytes:
    """The released export lists, one row each (UTF-8 with BOM, so Excel opens it in Chinese)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(RELEASED_HEAD)
    w.writerows(_released_rows(data))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def released_xlsx(data: ReleasedExportsRead) -> bytes:
    """Per-seller totals, then every list, then what the columns mean."""
    book = Workbook()
    sellers = book.active
    assert sellers is not None
    sellers.title = "按企业 By seller"
    sellers.append(["period 期间", data.period])
    sellers.append(["seller 电商企业", "lists 清单", "value_cny 人民币金额", "unconverted 未折算"])
    for s in data.sellers:
        sellers.append([s.seller, s.lists, s.value_cny, s.unconverted])
    lists = book.create_sheet("清单 Lists")
    lists.append(RELEASED_HEAD)
    for row in _released_rows(data):
        lists.append(row)
    defs = book.create_sheet("定义 Definitions")
    for name, text in DEFINITIONS[:3] + DEFINITIONS[7:9]:
        defs.append([name, text])
    out = io.BytesIO()
    book.save(out)
    return _fixed(out.getvalue())
