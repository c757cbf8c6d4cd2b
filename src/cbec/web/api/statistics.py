"""The zone's statistics over HTTP (issue 20): the indicators by any breakdown, the lists behind a
figure, the monthly report (XLSX/CSV), and the released-export lists a tax or FX bureau asks for
(the regulator's and the operator's only, each export in the audit trail). A seller sees its own
figures; the regulator sees every enterprise's figures and never a buyer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError

from cbec.accounts.rules import Forbidden, Principal
from cbec.errors import InvalidInput
from cbec.statistics import rules, workbook
from cbec.statistics import service as stats
from cbec.statistics.schemas import CountedListsRead, IndicatorsRead, ReleasedExportsRead
from cbec.unit_of_work import UnitOfWork
from cbec.web.deps import Caller, Uow

router = APIRouter(tags=["statistics 统计"])

PeriodQ = Annotated[str | None, Query(max_length=7, description="month YYYY-MM or year YYYY; none: all time")]
Key = Annotated[str | None, Query(max_length=18)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fresh(uow: UnitOfWork) -> None:
    """Count the lists declared since the last call; a concurrent request that counted them first wins."""
    try:
        stats.refresh(uow.session)
        uow.commit()
    except IntegrityError:
        uow.rollback()


def cell_filters(**keys: str | None) -> dict[str, str]:
    """The breakdown keys a figure is filtered on (``""`` is the unknown bucket)."""
    return {k: v for k, v in keys.items() if v is not None}


@router.get("/statistics/indicators", response_model=IndicatorsRead, summary="Indicators 跨境电商统计指标")
def indicators(
    p: Caller,
    uow: Uow,
    period: PeriodQ = None,
    by: Annotated[str, Query(max_length=60, description="e.g. mode,country")] = "mode",
    mode: Key = None,
    direction: Key = None,
    country: Key = None,
    seller: Key = None,
    platform: Key = None,
) -> IndicatorsRead:
    filters = cell_filters(mode=mode, direction=direction, country=country, seller=seller, platform=platform)
    dims, span = rules.parse_dimensions(by), rules.parse_period(period)
    fresh(uow)
    return stats.indicators(uow.session, p.scope(), span, dims, filters)


@router.get("/statistics/lists", response_model=CountedListsRead, summary="The lists behind a figure 指标明细清单")
def lists(
    p: Caller,
    uow: Uow,
    period: PeriodQ = None,
    mode: Key = None,
    direction: Key = None,
    country: Key = None,
    seller: Key = None,
    platform: Key = None,
    month: Key = None,
    day: Key = None,
    chapter: Key = None,
    heading: Key = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CountedListsRead:
    filters = cell_filters(mode=mode, direction=direction, country=country, seller=seller, platform=platform,
                           month=month, day=day, chapter=chapter, heading=heading)  # fmt: skip
    span = rules.parse_period(period)
    fresh(uow)
    return stats.counted_lists(
        uow.session, p.scope(), span, filters, offset=offset, limit=limit, with_order_no=not p.is_regulator
    )


@router.get("/statistics/report", summary="The monthly zone report (XLSX or CSV) 月度统计报表", response_class=Response)
def report(
    p: Caller,
    uow: Uow,
    period: Annotated[str, Query(max_length=7, description="month YYYY-MM")],
    format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx",
) -> Response:
    span = rules.parse_period(period)
    fresh(uow)
    zone = stats.zone_report(uow.session, p.scope(), span)
    data, media = (workbook.xlsx(zone), XLSX) if format == "xlsx" else (workbook.csv_bytes(zone), "text/csv")
    name = f"cbec-statistics-{span.label}.{format}"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def require_bureau_export(p: Principal) -> None:
    """The departments' exports carry every seller's lists: the regulator and the operator only."""
    if not (p.is_regulator or p.is_admin):
        raise Forbidden(
            "only the regulator and the zone operator export data for other departments",
            "只有监管部门和综试区运营方可以导出部门共享数据",
            field="role",
        )


@router.get(
    "/statistics/exports/released",
    response_model=ReleasedExportsRead,
    summary="Released export lists for a tax or FX bureau (audited) 向税务、外汇部门共享的出口清单",
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
def released_exports(
    p: Caller,
    uow: Uow,
    period: Annotated[str, Query(max_length=7, description="month YYYY-MM or year YYYY")],
    recipient: Annotated[str, Query(alias="for", pattern="^(tax|fx)$", description="tax | fx")],
    format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
) -> ReleasedExportsRead | Response:
    require_bureau_export(p)
    if not period:
        raise InvalidInput("a period is required", "须指定统计期间", field="period")
    span = rules.parse_period(period)
    fresh(uow)
    data = stats.released_exports(uow.session, p.scope(), span, recipient=recipient, fmt=format)
    uow.commit()
    if format == "json":
        return data
    body, media = (workbook.released_csv(data), "text/csv") if format == "csv" else (workbook.released_xlsx(data), XLSX)
    name = f"cbec-released-exports-{recipient}-{span.label}.{format}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
