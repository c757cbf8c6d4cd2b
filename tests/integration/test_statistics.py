"""The zone's indicators (issue 20) on the database: 150 export orders declared and released by
the sandbox, then spread over fourteen months, five countries, three currencies and two sellers;
every figure by country and by month checked against an independent computation over the
declarations table (plain Python over its rows, written here apart from the service), every
breakdown adding up to the total, and a rerun giving the same figures and the same report bytes."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from cbec import pipeline
from cbec.audit.models import AuditEntry
from cbec.customs.models import Declaration
from cbec.finance.rates import cny_quote
from cbec.sandbox import SandboxCustoms
from cbec.statistics import rules, workbook
from cbec.statistics import service as stats
from cbec.unit_of_work import UnitOfWork

from .helpers import SELLER
from .test_customs import _round, matched  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration

COUNTRIES = ["502", "303", "304", "116", ""]
CURRENCIES = {"502": "USD", "303": "GBP", "142": "CNY"}
OTHER = "91234567890123456X"


def _spread(settings) -> None:
    """Release every list, then give each its own month, country, currency and seller."""
    pipeline.declare(settings)
    _round(settings, SandboxCustoms(pipeline.messages_dir(settings), seed=7), 3)
    start = datetime(2025, 10, 15, 3, 0, tzinfo=UTC)
    with UnitOfWork(settings) as uow:
        ids = uow.session.scalars(
            select(Declaration.id).where(Declaration.message_type == "CEB603").order_by(Declaration.id)
        ).all()
        for i, list_id in enumerate(ids):
            values = {
                "created_at": start + timedelta(days=31 * (i % 14), hours=i % 24),
                "country": COUNTRIES[i % 5],
                "currency": list(CURRENCIES)[i % 3],
                "seller_code": OTHER if i % 4 == 0 else SELLER.code,
            }
            if i % 10 == 9:
                values["status"] = "cancelled"
            uow.session.execute(update(Declaration).where(Declaration.id == list_id).values(**values))
        uow.commit()


def _independent(settings) -> tuple[dict[str, Decimal], dict[str, Decimal], dict[str, int], Decimal]:
    """Value in CNY by country and by month, lists by month, and the total: plain Python over the
    declarations table, each list at the rate of the 1st of its Beijing month, to the fen."""
    beijing = ZoneInfo("Asia/Shanghai")
    by_country: dict[str, Decimal] = defaultdict(Decimal)
    by_month: dict[str, Decimal] = defaultdict(Decimal)
    lists: dict[str, int] = defaultdict(int)
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(Declaration.created_at, Declaration.country, Declaration.currency, Declaration.total_value,
                   Declaration.status).where(Declaration.message_type == "CEB603")
        ).all()  # fmt: skip
    for created, country, currency, value, status in rows:
        if status not in ("released", "closed", "return_requested"):
            continue
        day = created.astimezone(beijing).date()
        quote = cny_quote(CURRENCIES[currency], day.replace(day=1))
        assert quote is not None
        cny = (value * quote.cny_per_unit).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        by_country[country] += cny
        by_month[day.isoformat()[:7]] += cny
        lists[day.isoformat()[:7]] += 1
    return by_country, by_month, lists, sum(by_country.values(), Decimal(0))


def _orders(settings) -> int:
    """Distinct (platform, order number) of the counted lists, over the declarations table."""
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(Declaration.ebp_code, Declaration.order_no, Declaration.status).where(
                Declaration.message_type == "CEB603"
            )
        ).all()
    return len({(e, o) for e, o, s in rows if s in ("released", "closed", "return_requested")})


def test_indicators_equal_an_independent_count_and_add_up(matched) -> None:  # noqa: F811
    _spread(matched)
    by_country, by_month, lists_by_month, total = _independent(matched)
    with UnitOfWork(matched) as uow:
        done = stats.refresh(uow.session)
        assert done.lists == 150 and done.lines == 150
        uow.commit()
    with UnitOfWork(matched) as uow:
        assert stats.refresh(uow.session).lists == 0  # counted once
        everything = rules.parse_period(None)
        countries = stats.indicators(uow.session, None, everything, ("country",))
        months = stats.indicators(uow.session, None, everything, ("month",))
        assert countries.total.lists == 135 and countries.total.value_cny == total
        assert countries.total.orders == _orders(matched)
        assert {c.key["country"]: c.value_cny for c in countries.rows} == dict(by_country)
        assert {c.key["month"]: c.value_cny for c in months.rows} == dict(by_month)
        assert {c.key["month"]: c.lists for c in months.rows} == dict(lists_by_month)
        unknown = next(c for c in countries.rows if c.key["country"] == "")
        assert unknown.name_en == "unknown/other"
        for by in (*rules.REPORT_BREAKDOWNS, ("mode", "country"), ("seller", "month")):
            cut = stats.indicators(uow.session, None, everything, by)
            assert sum((c.value_cny for c in cut.rows), Decimal(0)) == total, by
            if all(rules.DIMENSIONS[d].lists_add_up for d in by):
                assert sum(c.lists for c in cut.rows) == 135, by
                assert sum(c.parcels for c in cut.rows) == cut.total.parcels, by
        assert countries.enterprises.active == 2 and countries.top10_seller_share == Decimal("1.0000")
        again = stats.indicators(uow.session, None, everything, ("country",))
        assert again == countries


def test_a_month_has_its_growth_and_new_sellers_and_a_seller_sees_its_own(matched) -> None:  # noqa: F811
    _spread(matched)
    _, by_month, _, _ = _independent(matched)
    with UnitOfWork(matched) as uow:
        stats.refresh(uow.session)
        month = sorted(by_month)[-1]
        period = rules.parse_period(month)
        figures = stats.indicators(uow.session, None, period, ("mode", "direction"))
        assert figures.total.value_cny == by_month[month]
        before, ago = by_month.get(rules.shift_month(month, -1)), by_month.get(rules.shift_month(month, -12))
        assert figures.growth.value_mom == rules.growth(by_month[month], before)
        assert figures.growth.value_yoy == rules.growth(by_month[month], ago)
        assert figures.growth.value_yoy is not None
        first = stats.indicators(uow.session, None, rules.parse_period(sorted(by_month)[0]), ("seller",))
        assert first.enterprises.new == first.enterprises.active == 2
        assert figures.enterprises.new == 0
        own = stats.indicators(uow.session, frozenset({OTHER}), rules.parse_period(None), ("seller",))
        assert [c.key["seller"] for c in own.rows] == [OTHER]
        cell = own.rows[0]
        behind = stats.counted_lists(uow.session, frozenset({OTHER}), rules.parse_period(None), {"seller": OTHER})
        assert behind.total == cell.lists
        assert sum((x.value_cny or Decimal(0) for x in behind.items), Decimal(0)) <= cell.value_cny


def test_the_monthly_report_opens_with_its_sheets_and_regenerates_identically(matched) -> None:  # noqa: F811
    _spread(matched)
    _, by_month, _, _ = _independent(matched)
    month = sorted(by_month)[-1]
    with UnitOfWork(matched) as uow:
        stats.refresh(uow.session)
        report = stats.zone_report(uow.session, None, rules.parse_period(month))
        again = stats.zone_report(uow.session, None, rules.parse_period(month))
    data = workbook.xlsx(report)
    assert data == workbook.xlsx(again) and workbook.csv_bytes(report) == workbook.csv_bytes(again)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "总览 Summary" and book.sheetnames[-1] == "定义 Definitions"
    assert len(book.sheetnames) == 3 + len(rules.REPORT_BREAKDOWNS)
    summary = [list(r) for r in book["总览 Summary"].iter_rows(values_only=True)]
    assert summary[4][0] == "合计 Total" and Decimal(str(summary[5][5])) == by_month[month]
    assert summary[8][1] == rules.shift_month(month, -1) and summary[10][1] == rules.shift_month(month, -12)
    assert summary[10][3] == float(report.summary.growth.value_yoy or 0) != 0
    for name in book.sheetnames[2:-1]:
        rows = list(book[name].iter_rows(values_only=True))
        assert rows[-1][0] == "合计 Total"
        assert Decimal(str(rows[-1][-3])) == by_month[month], name
    definitions = [r[0] for r in book["定义 Definitions"].iter_rows(values_only=True)]
    assert "金额 Value (CNY)" in definitions and "环比 MoM / 同比 YoY" in definitions


def test_released_exports_for_the_tax_and_fx_bureaux_are_audited(matched) -> None:  # noqa: F811
    _spread(matched)
    _, by_month, lists_by_month, _ = _independent(matched)
    month = sorted(by_month)[-1]
    with UnitOfWork(matched) as uow:
        stats.refresh(uow.session)
        out = stats.released_exports(uow.session, None, rules.parse_period(month), recipient="tax", fmt="csv")
        uow.commit()
    assert len(out.lists) == lists_by_month[month]
    assert sum((s.value_cny for s in out.sellers), Decimal(0)) == by_month[month]
    assert all(x.released_at for x in out.lists)
    with UnitOfWork(matched) as uow:
        entry = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.action == "statistics.export"
        assert entry.detail["recipient"] == "tax" and entry.detail["lists"] == len(out.lists)
