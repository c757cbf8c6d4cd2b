"""The zone's indicators (issue 20, docs/statistics.md): every list is counted once in the
statistics area's own rows (its Beijing day and month, its parcels, its value in CNY at the
stated rate, its lines by HS chapter and heading), then each breakdown is one GROUP BY over
them joined to the declaration for its status, mode, country, seller and platform."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.catalogue.hs import hs2022
from cbec.finance.rates import Quote, cny_quote
from cbec.kit.codes import code_lists
from cbec.partners import service as partners
from cbec.statistics import repository
from cbec.statistics import rules as r
from cbec.statistics.repository import Scope
from cbec.statistics.schemas import (
    CellRead,
    CountedListRead,
    CountedListsRead,
    EnterprisesRead,
    FigureRead,
    GrowthRead,
    IndicatorsRead,
    MonthRead,
    RefreshRead,
)
from cbec.statistics.service.dashboard import BEIJING

CHUNK = 5000
RATE_BASIS = (
    "each list converted once to CNY, to the fen, at the rate of the 1st of its month: the zone's published "
    "table (CBEC_FX_RATES_FILE, e.g. customs' monthly rate) first, else the ECB reference rate of the last "
    "business day on or before (finance/rates.py); lists without a rate are counted as unconverted"
)


def iso_currency(code: str) -> str:
    """A customs currency code (502) as ISO 4217 (USD)."""
    c = code_lists().currencies.get(code)
    return (c.iso or code) if c else code


def _lines(entity: Mapping[str, Any], total: Decimal) -> list[tuple[int, str, Decimal]]:
    """(gnum, goods code, value) of a list's lines; a list without lines is one unknown line."""
    out = []
    for n, ln in enumerate(entity.get("lines") or [], start=1):
        try:
            value = Decimal(str(ln.get("totalPrice") or 0))
        except ArithmeticError:
            value = Decimal(0)
        out.append((int(ln.get("gnum") or n), str(ln.get("gcode") or ""), value))
    return out or [(1, "", total)]


def _index(
    row: tuple[int, datetime, str, Any, dict[str, Any], str, int], quotes: dict[tuple[str, str], Quote | None]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    list_id, created, currency, total, entity, country, order_key = row
    day = created.astimezone(BEIJING).date().isoformat()
    month = day[:7]
    key = (iso_currency(currency), month)
    if key not in quotes:
        quotes[key] = cny_quote(key[0], r.rate_day(month)) if key[0] else None
    quote = quotes[key]
    value = Decimal(total or 0)
    value_cny = r.to_cny(value, quote.cny_per_unit) if quote else None
    head = entity.get("head") or {}
    # an import list's declaration keeps no country: its head's 起运国 (CEB621 country) is the origin
    if not country and head.get("ieFlag") == "I":
        country = str(head.get("country") or "")[:3]
    lines = _lines(entity, value)
    shares = r.split_cny(value_cny, [v for _, _, v in lines]) if value_cny is not None else [None] * len(lines)
    stat = {
        "declaration_id": list_id, "day": day, "month": month, "parcels": int(head.get("packNo") or 1),
        "order_key": order_key, "country": country,
        "value_cny": value_cny, "rate": str(quote.cny_per_unit) if quote else "", "rate_on": quote.day if quote else None,
        "rate_source": (quote.source if quote else "")[:200],
    }  # fmt: skip
    out = []
    for (gnum, code, v), share in zip(lines, shares, strict=True):
        chapter, heading = r.hs_parts(code)
        out.append({"declaration_id": list_id, "gnum": gnum, "hs_code": code[:10], "chapter": chapter,
                    "heading": heading, "value": v, "value_cny": share})  # fmt: skip
    return stat, out


def refresh(session: Session, *, chunk: int = CHUNK) -> RefreshRead:
    """Count the lists declared since the last refresh (idempotent: a list is counted once; its
    status is read from the declaration at query time, so a later release needs no refresh)."""
    quotes: dict[tuple[str, str], Quote | None] = {}
    n_lists = n_lines = 0
    while True:
        rows = repository.lists_to_index(session, chunk)
        stats, lines = [], []
        for row in rows:
            stat, out = _index(row, quotes)
            stats.append(stat)
            lines.extend(out)
        repository.add_indexed(session, stats, lines)
        n_lists, n_lines = n_lists + len(stats), n_lines + len(lines)
        if len(rows) < chunk:
            break
    session.flush()
    return RefreshRead(lists=n_lists, lines=n_lines)


class _Names:
    """Chinese and English names of breakdown keys; enterprises read once per call, in one query."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.enterprises: dict[str, tuple[str, str]] | None = None

    def __call__(self, dim: str, key: str) -> tuple[str, str]:
        if key == r.UNKNOWN:
            return r.UNKNOWN_TEXT
        if dim == "mode":
            return r.TRADE_MODE_TEXT.get(key, (key, key))
        if dim == "direction":
            return r.DIRECTION_TEXT.get(key, (key, key))
        if dim == "country":
            c = code_lists().countries.get(key)
            return (f"{c.name_zh}（{key}）", f"{c.name_en} ({key})") if c else (key, key)
        if dim in ("chapter", "heading"):
            entry = hs2022().get(key)
            zh = f"第{key}章" if dim == "chapter" else f"品目{key}"
            return zh, f"{key} {entry.description}" if entry else key
        if dim in ("seller", "platform"):
            if self.enterprises is None:
                self.enterprises = {
                    e.code: (e.name, e.name_en or e.name) for e in partners.list_enterprises(self.session)
                }
            return self.enterprises.get(key, (key, key))
        return key, key


def _figure(values: Sequence[Any]) -> FigureRead:
    lists, orders, parcels, lines, value, unconverted = values
    return FigureRead(
        lists=int(lists or 0), orders=int(orders or 0), parcels=int(parcels or 0), lines=int(lines or 0),
        value_cny=Decimal(value or 0), unconverted=int(unconverted or 0),
    )  # fmt: skip


def _total(session: Session, scope: Scope, period: r.Period, filters: Mapping[str, str]) -> FigureRead:
    """The grand total over the lists (an HS cut's lines add up to it in value)."""
    rows = repository.figures(session, scope, period.first, period.last, (), filters)
    return _figure(rows[0] if rows else (0,) * 6)


def _cells(session: Session, rows: Sequence[tuple[Any, ...]], by: Sequence[str], total: Decimal) -> list[CellRead]:
    names: dict[tuple[str, str], tuple[str, str]] = {}
    name = _Names(session)
    cells = []
    for row in rows:
        key = {d: str(k or "") for d, k in zip(by, row[: len(by)], strict=True)}
        parts = [names[(d, k)] if (d, k) in names else names.setdefault((d, k), name(d, k)) for d, k in key.items()]
        fig = _figure(row[len(by) :])
        share = float((fig.value_cny / total).quantize(Decimal("0.0001"))) if total else None
        cells.append(
            CellRead(**fig.model_dump(), key=key, name_zh=" · ".join(p[0] for p in parts),
                     name_en=" · ".join(p[1] for p in parts), share=share)
        )  # fmt: skip
    return cells


def _months(session: Session, scope: Scope, period: r.Period, filters: Mapping[str, str]) -> list[MonthRead]:
    first = r.shift_month(period.first, -12) if period.first else None
    rows = repository.figures(session, scope, first, period.last, ("month",), filters)
    by_month = {str(row[0]): _figure(row[1:]) for row in rows}
    out = []
    for month, fig in sorted(by_month.items()):
        if period.first and month < period.first:
            continue
        prev, ago = by_month.get(r.shift_month(month, -1)), by_month.get(r.shift_month(month, -12))
        out.append(
            MonthRead(**fig.model_dump(), month=month,
                      value_mom=r.growth(fig.value_cny, prev.value_cny if prev else None),
                      value_yoy=r.growth(fig.value_cny, ago.value_cny if ago else None))
        )  # fmt: skip
    return out


def _growth(
    session: Session, scope: Scope, period: r.Period, total: FigureRead, filters: Mapping[str, str]
) -> GrowthRead:
    previous, year_ago = r.previous_periods(period)
    before = _total(session, scope, previous, filters) if previous else None
    ago = _total(session, scope, year_ago, filters) if year_ago else None
    return GrowthRead(
        previous=previous.label if previous else None,
        year_ago=year_ago.label if year_ago else None,
        value_mom=r.growth(total.value_cny, before.value_cny) if before else None,
        value_yoy=r.growth(total.value_cny, ago.value_cny) if ago else None,
        lists_mom=r.growth(Decimal(total.lists), Decimal(before.lists)) if before else None,
        lists_yoy=r.growth(Decimal(total.lists), Decimal(ago.lists)) if ago else None,
        previous_value=before.value_cny if before else None,
        year_ago_value=ago.value_cny if ago else None,
    )


def _enterprises(
    session: Session, scope: Scope, period: r.Period, sellers: Sequence[tuple[Any, ...]]
) -> EnterprisesRead:
    firsts = repository.first_months(session, scope, period.last)
    new = sum(1 for _, m in firsts if period.first is None or m >= period.first)
    return EnterprisesRead(active=len(sellers), new=new)


def cut(
    session: Session,
    scope: Scope,
    period: r.Period,
    by: Sequence[str],
    filters: Mapping[str, str] | None = None,
    *,
    total: Decimal,
) -> list[CellRead]:
    """One breakdown's rows (one GROUP BY), each with its share of ``total``."""
    rows = repository.figures(session, scope, period.first, period.last, tuple(by), dict(filters or {}))
    return _cells(session, rows, by, total)


def indicators(
    session: Session,
    scope: Scope,
    period: r.Period,
    by: Sequence[str] = ("mode",),
    filters: Mapping[str, str] | None = None,
    *,
    with_rows: bool = True,
) -> IndicatorsRead:
    """The period's figures cut by ``by`` (dimensions of rules.DIMENSIONS), with the grand total,
    growth, active and new sellers, the top-10 sellers' share and the months' series (without
    ``with_rows``: the summary only, for a caller that cuts the period several ways)."""
    filters = dict(filters or {})
    total = _total(session, scope, period, filters)
    sellers = repository.figures(session, scope, period.first, period.last, ("seller",), filters)
    if not with_rows:
        rows: list[CellRead] = []
    elif tuple(by) == ("seller",):
        rows = _cells(session, sellers, by, total.value_cny)
    else:
        rows = cut(session, scope, period, by, filters, total=total.value_cny)
    return IndicatorsRead(
        period=period.label,
        first_month=period.first,
        last_month=period.last,
        scope="all" if scope is None else ",".join(sorted(scope)),
        rate_basis=RATE_BASIS,
        by=list(by),
        total=total,
        rows=rows,
        growth=_growth(session, scope, period, total, filters),
        enterprises=_enterprises(session, scope, period, sellers),
        top10_seller_share=r.top_share([Decimal(s[5] or 0) for s in sellers], total.value_cny),
        months=_months(session, scope, period, filters),
        overseas_warehouses=[],
    )


def counted_lists(
    session: Session,
    scope: Scope,
    period: r.Period,
    filters: Mapping[str, str],
    *,
    offset: int = 0,
    limit: int = 50,
    with_order_no: bool = True,
) -> CountedListsRead:
    """The lists behind a figure (drill-down), with their own figures and never a buyer's; the
    regulator's view leaves the platform's order number out (``with_order_no``): the customs list
    number (invtNo) names the list to customs."""
    total, rows = repository.counted_lists(
        session, scope, period.first, period.last, filters, offset=offset, limit=limit
    )
    items = [
        CountedListRead(
            id=i,
            day=day,
            trade_mode=mode,
            direction=direction,
            country=country,
            seller=seller,
            platform=platform,
            order_no=order_no if with_order_no else "",
            invt_no=invt_no,
            currency=iso_currency(currency),
            value=value,
            value_cny=value_cny,
            status=status,
        )
        for i, day, mode, direction, country, seller, platform, order_no, invt_no, currency, value, value_cny, status in rows
    ]
    return CountedListsRead(total=total, offset=offset, limit=limit, items=items)
