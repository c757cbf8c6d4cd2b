"""Stored tax assessments on SQLite and PostgreSQL: the buyer's annual ledger, explanations, reports."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from cbec.cli.report import write_refund_report
from cbec.config import Settings
from cbec.db import migrate
from cbec.errors import InvalidInput, RuleViolation
from cbec.tax import reader, schemas, service
from cbec.tax.import_tax import ImportOrder
from cbec.tax.models import BuyerLedgerEntry, TaxAssessment
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, register_partners

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tax"
BUYER_ID = "11010519491231002X"


def order(order_no: str, on: str, price: str, *, buyer: str = BUYER_ID) -> dict[str, Any]:
    """A one-item order (a single item may go over the 5,000 limit, fully taxed, 财关税〔2018〕49号)."""
    return {
        "OrderHead": {"orderNo": order_no, "on": on, "buyerIdNumber": buyer, "tradeMode": "9610"},
        "OrderList": [
            {
                "gnum": 1,
                "gcode": "8471300000",
                "itemName": "笔记本电脑 laptop",
                "qty": "1",
                "unit": "011",
                "price": price,
                "tariffRate": "0",
            }
        ],
    }


def assess(settings: Settings, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """As the CLI does: one unit of work; a refusal is committed so its record stays."""
    with UnitOfWork(settings) as uow:
        try:
            out = service.assess_import(
                uow.session, reader.parse_import_order(data), seller_code=SELLER.code, ebp_code=PLATFORM.code, **kwargs
            )
        except RuleViolation:
            uow.commit()
            raise
        uow.commit()
        return out.as_dict()


def ledger_total(settings: Settings, year: int) -> Decimal:
    with UnitOfWork(settings) as uow:
        return service.DbLedger(uow.session).used_amount(BUYER_ID, date(year, 1, 1), date(year, 12, 31))


@pytest.fixture
def registered(settings: Settings) -> Settings:
    register_partners(settings)
    return settings


def test_second_order_over_the_annual_limit_is_refused_and_kept(registered: Settings) -> None:
    first = assess(registered, order("AL-1", "2026-02-01", "22000.00"))
    assert first["treatment"] == "single_item_over_limit" and first["limits"]["priorPurchases"] == "0.00"
    assert first["valueAddedTax"] == "2860.00"  # 22,000 × 13%, in full
    with pytest.raises(RuleViolation) as refused:
        assess(registered, order("AL-2", "2026-05-01", "4500.00"))
    err = refused.value
    assert [d.code for d in err.details] == ["annual_limit"]
    assert "22,000.00" in err.message_en and "26,500.00 > 26,000.00" in err.message_en
    assert "general trade" in err.message_en
    assert "超出个人年度交易限值" in err.message_zh and "一般贸易" in err.message_zh
    with UnitOfWork(registered) as uow:
        row = uow.session.scalars(select(TaxAssessment).where(TaxAssessment.reference == "AL-2")).one()
        assert row.is_refused and row.tax_total == 0
        assert row.result["error"]["details"][0]["code"] == "annual_limit"
        assert row.result["limits"]["afterOrder"] == "26500.00"
        orders = set(uow.session.scalars(select(BuyerLedgerEntry.order_no)))
    assert orders == {"AL-1"}  # a refused order does not count
    assert ledger_total(registered, 2026) == Decimal("22000")
    explained = assess_explain(registered, row.id)
    assert explained["refused"] and explained["reason"]["error"] == "rule_violation"
    assert explained["basis"]["ruleSet"]["id"] == "CN-CBEC-RETAIL-2019"


def assess_explain(settings: Settings, assessment_id: int) -> dict[str, Any]:
    with UnitOfWork(settings) as uow:
        return service.explain(uow.session, assessment_id).model_dump()


def test_another_year_starts_fresh(registered: Settings) -> None:
    assess(registered, order("Y-1", "2026-02-01", "22000.00"))
    nxt = assess(registered, order("Y-2", "2027-01-03", "4500.00"))
    assert nxt["limits"]["priorPurchases"] == "0.00" and nxt["limits"]["periodFrom"] == "2027-01-01"
    assert nxt["limits"]["remaining"] == "21500.00"
    assert ledger_total(registered, 2026) == Decimal("22000")
    assert ledger_total(registered, 2027) == Decimal("4500")


def test_the_same_order_assessed_twice_counts_once(registered: Settings) -> None:
    first = assess(registered, order("TW-1", "2026-03-01", "20000.00"))
    again = assess(registered, order("TW-1", "2026-03-01", "20000.00"))
    assert again["limits"]["priorPurchases"] == "0.00"  # not counted against itself
    assert again["assessmentId"] != first["assessmentId"]
    assert ledger_total(registered, 2026) == Decimal("20000")
    with UnitOfWork(registered) as uow:
        entry = uow.session.scalars(select(BuyerLedgerEntry)).one()
    assert (entry.order_no, entry.ebp_code, entry.assessment_id) == ("TW-1", PLATFORM.code, again["assessmentId"])
    # 20,000 + 5,000 = 25,000: still within the year, the first order counted once
    assert assess(registered, order("TW-2", "2026-04-01", "5000.00"))["limits"]["afterOrder"] == "25000.00"


def _ledger_rows(settings: Settings) -> list[tuple[str, Decimal, str]]:
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(BuyerLedgerEntry.order_no, BuyerLedgerEntry.amount, TaxAssessment.reference)
            .join(TaxAssessment, TaxAssessment.id == BuyerLedgerEntry.assessment_id)
            .order_by(BuyerLedgerEntry.order_no)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def typed(data: dict[str, Any]) -> ImportOrder:
    """The order as another area hands it to tax: typed, the buyer's ID number as given (an
    order without one is read with a placeholder, then given none)."""
    buyer = data["OrderHead"].get("buyerIdNumber")
    readable = {**data, "OrderHead": {**data["OrderHead"], "buyerIdNumber": buyer or BUYER_ID}}
    return dataclasses.replace(reader.parse_import_order(readable).order, buyer_id_number=buyer or "")


def test_a_selection_assessed_together_decides_as_order_by_order(registered: Settings, tmp_path: Path) -> None:
    """The batch path (one ledger read, one write) against the single path, on the same orders:
    a buyer's earlier order, a re-assessed one, orders of one selection that together cross
    the 26,000 a year (财关税〔2018〕49号), an order over 5,000 with several items, an unreadable one."""
    other = "110105198001011238"
    assess(registered, order("S-0", "2026-01-10", "9000.00"))  # stored before: counted by both
    assess(registered, order("S-1", "2026-01-11", "3000.00"))  # re-assessed below at 4,000
    many = order("S-5", "2026-02-01", "2600.00", buyer=other)
    many["OrderList"][0]["qty"] = "2"  # 5,200 over two items: refused, the single limit
    unreadable = order("S-6", "2026-02-01", "100.00")
    del unreadable["OrderHead"]["buyerIdNumber"]
    selection = [
        order("S-1", "2026-01-11", "4000.00"),
        order("S-2", "2026-01-20", "8000.00"),
        order("S-3", "2026-01-21", "4900.00"),  # 9,000 + 4,000 + 8,000 + 4,900 = 25,900
        order("S-4", "2026-01-22", "200.00"),  # 26,100: over the year's limit, refused
        many,
        unreadable,
        order("S-7", "2026-01-23", "100.00"),  # 26,000 exactly: within
    ]
    with UnitOfWork(registered) as uow:
        together = service.assess_import_orders(
            uow.session, [schemas.ImportToAssess(typed(o), SELLER.code, PLATFORM.code) for o in selection]
        )
        uow.commit()
    ledger_together = _ledger_rows(registered)

    alone = Settings(data_dir=tmp_path / "alone", database_url="")
    alone.data_dir.mkdir()
    migrate(alone.database_url)
    register_partners(alone)
    assess(alone, order("S-0", "2026-01-10", "9000.00"))
    assess(alone, order("S-1", "2026-01-11", "3000.00"))
    one_by_one: list[Any] = []
    for o in selection:
        try:
            one_by_one.append(assess(alone, o))
        except (RuleViolation, InvalidInput) as exc:
            one_by_one.append(exc)
    kinds = ["Recorded"] * 3 + ["RuleViolation"] * 2 + ["InvalidInput", "Recorded"]
    assert [type(t).__name__ for t in together] == kinds
    assert [type(a).__name__ for a in one_by_one] == [k.replace("Recorded", "dict") for k in kinds]
    for t, a in zip(together, one_by_one, strict=True):
        if isinstance(t, schemas.Recorded):
            assert not t.refused and t.assessment_id is not None
            assert {k: v for k, v in t.as_dict().items() if k != "assessmentId"} == {
                k: v for k, v in a.items() if k != "assessmentId"
            }
        else:
            assert [d.code for d in t.details] == [d.code for d in a.details]
            assert t.message_en.split(" assessmentId")[0] == a.message_en.split(" assessmentId")[0]
    assert together[3].details[0].code == "annual_limit" and together[4].details[0].code == "single_limit"
    assert isinstance(together[6], schemas.Recorded) and together[6].document["limits"]["afterOrder"] == "26000.00"
    assert "assessmentId=" in (together[3].document or "")
    assert ledger_together == _ledger_rows(alone)
    assert [(no, amount) for no, amount, _ in ledger_together] == [
        ("S-0", Decimal("9000")),
        ("S-1", Decimal("4000")),  # the new assessment replaced the old entry
        ("S-2", Decimal("8000")),
        ("S-3", Decimal("4900")),
        ("S-7", Decimal("100")),
    ]
    with UnitOfWork(registered) as uow:
        refused = set(uow.session.scalars(select(TaxAssessment.reference).where(TaxAssessment.is_refused.is_(True))))
    assert refused == {"S-4", "S-5"}  # kept, with their reasons; the unreadable order stores nothing


def test_prior_purchases_are_refused_with_the_database_ledger(registered: Settings) -> None:
    data = {**order("PP-1", "2026-03-01", "100.00"), "priorPurchases": "8500.00"}
    with pytest.raises(InvalidInput) as refused:
        assess(registered, data)
    assert refused.value.field == "priorPurchases"
    assert "ledger" in refused.value.message_en and "台账" in refused.value.message_zh


def test_the_stored_basis_explains_its_figure_after_the_tables_change(registered: Settings, tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "import-order.json").read_text(encoding="utf-8"))
    del data["priorPurchases"]
    stored = assess(registered, data)
    assert stored["taxTotal"] == "237.28" and stored["valueAddedTax"] == "123.13"
    tables = tmp_path / "operator-tables"
    tables.mkdir()
    (tables / "vat_rates.csv").write_text(
        "hs_prefix,category,rate,valid_from,valid_to,status,source,note\n"
        ",standard,0.10,1994-01-01,,I,operator's corrected table,test: every VAT at 10%\n",
        encoding="utf-8",
    )
    data["OrderHead"]["orderNo"] = "T2026031500099999"
    changed = assess(registered, data, tables_dir=tables)
    assert changed["valueAddedTax"] != stored["valueAddedTax"]  # the new tables do give other figures
    explained = assess_explain(registered, stored["assessmentId"])
    assert explained["taxTotal"] == "237.28"
    assert explained["reproduced"]["matches"], [f for f in explained["reproduced"]["figures"] if not f["matches"]]
    vat = explained["basis"]["lines"][0]["vatRate"]
    assert (vat["rate"], vat["source"], vat["table"], vat["row"]) == (
        "0.13",
        "财政部 税务总局 海关总署公告2019年第39号",
        "vat_rates.csv",
        4,
    )
    figures = {f["figure"]: f for f in explained["reproduced"]["figures"]}
    assert figures["lines[1].consumptionTax"]["recomputed"] == "101.38"
    assert figures["taxTotal"]["recomputed"] == "237.28"
    assert assess_explain(registered, changed["assessmentId"])["reproduced"]["matches"]


def refund_claim(claim_date: str, period: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {"enterpriseKind": "trading", "claimDate": claim_date, "period": period, "exports": lines}


LATE_LINE = {
    "gnum": 1,
    "invtNo": "31012025E000000777",
    "tradeMode": "9610",
    "exportDate": "2025-01-10",
    "gcode": "6109100021",
    "gname": "棉制针织T恤",
    "qty": "1000",
    "unit": "011",
    "price": "2.00",
    "totalPrice": "2000.00",
    "currency": "USD",
    "exchangeRate": "7.0123",
    "invoiceAmount": "12345.67",
}


def test_refund_report_totals_to_the_fen_and_flags_a_late_claim(registered: Settings, tmp_path: Path) -> None:
    example = reader.parse_export_claim(json.loads((EXAMPLES / "exports.json").read_text(encoding="utf-8")))
    late = reader.parse_export_claim(refund_claim("2026-05-20", "2026-04", [LATE_LINE]))
    with UnitOfWork(registered) as uow:
        service.assess_refund(uow.session, example, seller_code=SELLER.code)
        service.assess_refund(uow.session, example, seller_code=SELLER.code)  # a re-run replaces, not doubles
        service.assess_refund(uow.session, late, seller_code=SELLER.code)
        uow.commit()
    with UnitOfWork(registered) as uow:
        report = service.refund_report(uow.session, SELLER.code, "2025-Q1")
    assert [r["invtNo"] for r in report["rows"]] == ["31012025E000000777", "31012025E000123456", "31012025E000123457"]
    by_invt = {r["invtNo"]: r for r in report["rows"]}
    assert by_invt["31012025E000000777"]["late"] and by_invt["31012025E000000777"]["deadline"] == "2026-04-30"
    assert not by_invt["31012025E000123456"]["late"]
    assert by_invt["31012025E000123457"]["refundRate"] == "0.09"
    assert by_invt["31012025E000123457"]["refundRateSource"] == "财政部 税务总局公告2024年第15号"
    # 13,000 + 60,000 × 9% + 12,345.67 × 13% (1,604.9371 → 1,604.94)
    assert report["totals"]["refund"] == "20004.94"
    assert report["totals"]["fobCny"] == "191524.60"  # 106,500 + 71,000 + 2,000 × 7.0123

    path = write_refund_report(report, tmp_path / "refunds.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["refunds 退税"]
    assert ws.freeze_panes == "A2"
    headers = [c.value for c in ws[1]]
    assert "应退税额 / Refund" in headers and "逾期 / Late" in headers and "退税率依据 / Refund rate source" in headers
    col = {h: i for i, h in enumerate(headers)}
    values = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    lines, total = values[:3], values[3]
    assert str(total[0]).startswith("合计 Total")
    for name in ("应退税额 / Refund", "离岸价(人民币) / FOB CNY", "发票金额 / Invoice amount"):
        cells = [Decimal(str(r[col[name]])) for r in lines]
        assert Decimal(str(total[col[name]])) == sum(cells, Decimal(0)).quantize(Decimal("0.01"))
    assert Decimal(str(total[col["应退税额 / Refund"]])) == Decimal("20004.94")
    assert ws.cell(row=5, column=col["应退税额 / Refund"] + 1).number_format == "#,##0.00"
    late_flags = {r[col["清单编号 / invtNo"]]: r[col["逾期 / Late"]] for r in lines}
    assert late_flags == {
        "31012025E000000777": "是 Yes",
        "31012025E000123456": "否 No",
        "31012025E000123457": "否 No",
    }
    basis = wb["basis 依据"]
    sources = {r[6] for r in basis.iter_rows(min_row=2, values_only=True)}
    assert "财政部 税务总局公告2024年第15号" in sources


def test_refund_and_return_relief_explain_from_the_stored_rates(registered: Settings) -> None:
    claim = reader.parse_export_claim(json.loads((EXAMPLES / "exports.json").read_text(encoding="utf-8")))
    goods = reader.parse_returned_goods(json.loads((EXAMPLES / "return.json").read_text(encoding="utf-8")))
    with UnitOfWork(registered) as uow:
        refund = service.assess_refund(uow.session, claim, seller_code=SELLER.code).as_dict()
        relief = service.assess_return_relief(uow.session, goods, seller_code=SELLER.code).as_dict()
        uow.commit()
    refund_explained = assess_explain(registered, refund["assessmentId"])
    relief_explained = assess_explain(registered, relief["assessmentId"])
    assert refund_explained["reproduced"]["matches"] and refund_explained["taxTotal"] == refund["refundTotal"]
    assert relief_explained["reproduced"]["matches"] and relief_explained["taxTotal"] == "24300.00"


def test_bad_period_is_refused(registered: Settings) -> None:
    with UnitOfWork(registered) as uow, pytest.raises(InvalidInput) as bad:
        service.refund_report(uow.session, SELLER.code, "2025-Q5")
    assert bad.value.field == "period" and "季度" in bad.value.message_zh
