"""The monthly report's files from figures alone: the sheets, each breakdown ending on its total,
the definitions, and the same bytes for the same figures (fixed workbook and zip timestamps)."""

from __future__ import annotations

import io
import time
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from cbec.statistics import workbook
from cbec.statistics.schemas import CellRead, EnterprisesRead, FigureRead, GrowthRead, IndicatorsRead, MonthRead

FIG = {"orders": 3, "parcels": 3, "lines": 0, "unconverted": 0}


def _report() -> workbook.ZoneReport:
    total = FigureRead(lists=3, value_cny=Decimal("300.00"), **FIG)
    cells = [
        CellRead(lists=2, value_cny=Decimal("200.00"), key={"country": "502"}, name_zh="美国（502）",
                 name_en="United States (502)", share=0.6667, **{**FIG, "orders": 2, "parcels": 2}),
        CellRead(lists=1, value_cny=Decimal("100.00"), key={"country": ""}, name_zh="未知/其他",
                 name_en="unknown/other", share=0.3333, **{**FIG, "orders": 1, "parcels": 1}),
    ]  # fmt: skip
    summary = IndicatorsRead(
        period="2026-11", first_month="2026-11", last_month="2026-11", scope="all", rate_basis="test", by=["country"],
        total=total, rows=cells,
        growth=GrowthRead(previous="2026-10", year_ago="2025-11", value_mom=Decimal("0.5000"), value_yoy=None,
                          lists_mom=Decimal("0.5000"), lists_yoy=None, previous_value=Decimal("200.00"),
                          year_ago_value=None),
        enterprises=EnterprisesRead(active=2, new=1), top10_seller_share=Decimal("1.0000"),
        months=[MonthRead(month="2026-11", lists=3, value_cny=Decimal("300.00"), value_mom=Decimal("0.5000"),
                          value_yoy=None, **FIG)],
        overseas_warehouses=[],
    )  # fmt: skip
    return workbook.ZoneReport(summary=summary, breakdowns=[(("country",), cells)])


def test_the_workbook_has_its_sheets_totals_growth_and_definitions() -> None:
    book = load_workbook(io.BytesIO(workbook.xlsx(_report())))
    assert book.sheetnames == ["总览 Summary", "月度 Months", "国别（地区） country", "定义 Definitions"]
    rows = list(book["国别（地区） country"].iter_rows(values_only=True))
    assert rows[-1][0] == "合计 Total" and rows[-1][7] == 300 and rows[-1][3] == 3
    summary = list(book["总览 Summary"].iter_rows(values_only=True))
    assert summary[8][1] == "2026-10" and summary[8][3] == 0.5
    assert len(list(book["定义 Definitions"].iter_rows())) == len(workbook.DEFINITIONS) + 1


def test_the_same_figures_give_the_same_bytes() -> None:
    first = workbook.xlsx(_report())
    time.sleep(1.1)  # a second later: any clock inside the file would show
    assert workbook.xlsx(_report()) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {workbook.FIXED_STAMP}
        assert workbook.FIXED_ISO in z.read("docProps/core.xml").decode()
    text = workbook.csv_bytes(_report()).decode("utf-8-sig").splitlines()
    assert text[0].startswith("period,breakdown,key") and text[3].startswith("2026-11,country,TOTAL")
