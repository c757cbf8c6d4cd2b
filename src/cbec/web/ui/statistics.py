"""The regulator's and the operator's statistics page (issue 20): a world map of destinations,
the months' trend, a treemap of HS chapters, tables with drill-down to the lists behind any
cell, period and mode filters. The regulator sees counts and values, never a buyer."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cbec.kit.codes import code_lists
from cbec.statistics import rules
from cbec.statistics import service as stats
from cbec.statistics.schemas import CellRead
from cbec.web.api.statistics import cell_filters, fresh
from cbec.web.deps import Caller, Uow
from cbec.web.ui.pages import lang_of, render

router = APIRouter(include_in_schema=False)

Key = Annotated[str | None, Query(max_length=18)]
#: the tables of the page, each a breakdown
TABLES = (("mode", "direction"), ("country",), ("chapter",), ("seller",), ("platform",))


def map_points(rows: list[CellRead]) -> list[dict[str, object]]:
    """Countries as the world map names them (ISO 3166 alpha-2), with their customs code."""
    countries = code_lists().countries
    out: list[dict[str, object]] = []
    for c in rows:
        code = c.key["country"]
        iso = countries[code].iso if code in countries else ""
        if iso:
            out.append({"name": iso[:2], "code": code, "label": c.name_zh, "label_en": c.name_en,
                        "value": float(c.value_cny), "lists": c.lists})  # fmt: skip
    return out


@router.get("/statistics")
def statistics_page(
    request: Request,
    p: Caller,
    uow: Uow,
    period: Annotated[str, Query(max_length=7)] = "",
    mode: Annotated[str, Query(max_length=4)] = "",
) -> Response:
    span = rules.parse_period(period or None)
    filters = cell_filters(mode=mode or None)
    fresh(uow)
    summary = stats.indicators(uow.session, p.scope(), span, ("country",), filters)
    total = summary.total.value_cny
    cuts: dict[str, list[CellRead]] = {
        "-".join(by): summary.rows
        if by == ("country",)
        else stats.cut(uow.session, p.scope(), span, by, filters, total=total)
        for by in TABLES
    }
    chapters = [{"name": c.name_zh if c.key["chapter"] else c.name_en, "code": c.key["chapter"],
                 "value": float(c.value_cny)} for c in cuts["chapter"]]  # fmt: skip
    charts = {
        "map": map_points(summary.rows),
        "months": [m.model_dump(mode="json") for m in summary.months],
        "chapters": chapters,
        "period": period,
        "mode": mode,
    }
    return render(
        request,
        "statistics.html",
        p,
        summary=summary,
        cuts=cuts,
        tables=TABLES,
        period=period,
        mode=mode,
        modes=rules.TRADE_MODES,
        charts_json=json.dumps(charts, ensure_ascii=False),
        lang_code=lang_of(request, p),
    )


@router.get("/statistics/lists")
def statistics_lists(
    request: Request,
    p: Caller,
    uow: Uow,
    period: Annotated[str, Query(max_length=7)] = "",
    mode: Key = None,
    direction: Key = None,
    country: Key = None,
    seller: Key = None,
    platform: Key = None,
    chapter: Key = None,
    heading: Key = None,
    month: Key = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The lists behind a figure, as a fragment the page loads under its tables."""
    filters = cell_filters(mode=mode, direction=direction, country=country, seller=seller, platform=platform,
                           chapter=chapter, heading=heading, month=month)  # fmt: skip
    fresh(uow)
    found = stats.counted_lists(
        uow.session,
        p.scope(),
        rules.parse_period(period or None),
        filters,
        offset=offset,
        with_order_no=not p.is_regulator,
    )
    return render(request, "_statistics_lists.html", p, found=found, filters=filters)
