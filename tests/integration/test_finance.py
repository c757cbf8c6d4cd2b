"""The money after release (issue 17), on the database: declared export orders, their Amazon
settlements (several, with refunds, FBA fees and account-level charges) and the receipts of the
payouts, reconciled; every total checked to the cent against an independent sum of the files."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from cbec import pipeline
from cbec.config import reset_settings
from cbec.finance import service as finance
from cbec.finance.models import FxReceipt, OrderMoney, Settlement, SettlementLine
from cbec.generate.settlements import SoldLine, SoldOrder, amazon_settlements, shopify_transactions
from cbec.sandbox import SandboxCustoms
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, as_bytes
from .test_customs import _round, matched  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration


def _released(settings) -> list[SoldOrder]:
    pipeline.declare(settings)
    _round(settings, SandboxCustoms(pipeline.messages_dir(settings), seed=7), 3)
    with UnitOfWork(settings) as uow:
        from cbec.customs import service as customs

        lists = customs.declared_exports(uow.session, SELLER.code)
    assert len(lists) == 150 and {d.status for d in lists} == {"released"}
    day = lists[0].released_on
    assert day is not None
    # 150 orders of 2 mugs at 12.50 (tests/integration/helpers.export_order), shipped over 30 days
    return [
        SoldOrder(d.order_no, day + timedelta(days=i % 30), "USD", (SoldLine("MUG-001", 2, Decimal("12.50")),))
        for i, d in enumerate(sorted(lists, key=lambda d: d.order_no))
    ]


def _independent(files: list[bytes]) -> tuple[Decimal, dict[tuple[str, str, str], Decimal]]:
    deposits = Decimal(0)
    sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for data in files:
        rows = list(csv.DictReader(io.StringIO(data.decode()), delimiter="\t"))
        deposits += Decimal(rows[0]["total-amount"])
        for r in rows[1:]:
            sums[(r["transaction-type"], r["amount-type"], r["amount-description"])] += Decimal(r["amount"])
    return deposits, sums


def test_settlements_and_receipts_reconcile_to_the_declared_orders(matched, tmp_path, monkeypatch) -> None:  # noqa: F811
    rates = tmp_path / "rates.csv"  # the zone's table of the customs monthly rate
    rates.write_text(
        "currency,cny_per_unit,valid_from,valid_to,source\nUSD,7.1234,2020-01-01,,customs monthly rate (test)\n"
    )
    monkeypatch.setenv("CBEC_FX_RATES_FILE", str(rates))
    reset_settings()
    orders = _released(matched)
    money = amazon_settlements(orders)
    deposits, sums = _independent(money.amazon)
    for n, data in enumerate(money.amazon):
        out = pipeline.import_money(matched, data, seller=SELLER.code, platform=PLATFORM.code, filename=f"s{n}.txt")
        assert out["settlements"] == 1 and not out["errors"]
    again = pipeline.import_money(matched, money.amazon[0], seller=SELLER.code, platform=PLATFORM.code)
    assert again["settlements"] == 0 and again["duplicate_settlements"] == 1  # idempotent
    got = pipeline.import_money(matched, money.receipts, seller=SELLER.code, filename="receipts.csv")
    positive = [
        Decimal(csv.DictReader(io.StringIO(d.decode()), delimiter="\t").__next__()["total-amount"])
        for d in money.amazon
    ]
    assert got["receipts"] == sum(1 for t in positive if t > 0)  # a settlement that pays nothing out has no receipt

    as_of = max(o.shipped for o in orders) + timedelta(days=40)
    r = pipeline.reconcile(matched, SELLER.code, as_of=as_of)
    (usd,) = r["totals"]
    f = {k: Decimal(str(v)) for k, v in usd["figures"].items()}
    assert r["orders"] == 150 and r["orders_settled"] == 150 and r["orders_refunded"] == len(money.refunded)
    assert f["declared"] == Decimal("3750.00") == f["principal"] == sums[("Order", "ItemPrice", "Principal")]
    assert f["refund"] == sums[("Refund", "ItemPrice", "Principal")] == Decimal("-25.00") * len(money.refunded)
    assert f["commission"] == sums[("Order", "ItemFees", "Commission")] + sums[("Refund", "ItemFees", "Commission")]
    assert f["fulfilment"] == sums[("Order", "ItemFees", "FBAPerUnitFulfillmentFee")]
    assert f["storage"] == sums[("other-transaction", "other-transaction", "Storage Fee")]
    assert f["advertising"] == sums[("ServiceFee", "Cost of Advertising", "TransactionTotalAmount")]
    assert f["account"] == sums[("other-transaction", "other-transaction", "Subscription Fee")]
    assert f["deposits"] == deposits and f["received_gross"] == sum(t for t in positive if t > 0)
    # every settled amount went to an order, account-level charges included: the bridge closes
    bridge = sum(f[k] for k in ("principal", "shipping", "refund", "promotion", "commission", "fulfilment", "storage",
                                "logistics", "tax", "advertising", "account", "other"))  # fmt: skip
    assert bridge == deposits and r["unmatched_count"] == 0
    assert r["by_status"] == {"received": 150}
    # everything was settled, so what was received is the whole net, and the restored gross adds
    # the netted overseas costs back (汇发〔2020〕11号 §2)
    assert f["received_net"] == deposits
    assert f["restored_gross"] == f["received_net"] - f["fulfilment"] - f["storage"] - f["logistics"] - f["tax"]
    quote = usd["quote"]  # the CNY figures say their rate, its own date and its source
    assert quote == {"currency": "USD", "rate": "7.1234", "date": "2020-01-01", "source": "customs monthly rate (test)"}
    cny_deposits = (deposits * Decimal(quote["rate"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(str(usd["cny"]["deposits"])) == cny_deposits

    with UnitOfWork(matched) as uow:
        assert uow.session.scalar(select(func.count()).select_from(OrderMoney)) == 150
        assert uow.session.scalar(select(func.count()).select_from(Settlement)) == len(money.amazon)
        assert uow.session.scalar(select(func.count()).select_from(FxReceipt)) == got["receipts"]
        refunded = uow.session.scalars(select(OrderMoney).where(OrderMoney.order_no == money.refunded[0])).one()
        detail = finance.list_money(uow.session, frozenset({SELLER.code}), refunded.list_id or 0)
    assert detail.order.bridge["refund"] == Decimal("-25.00") and detail.order.status == "received"
    assert {row.category for row in detail.rows} >= {"principal", "commission", "refund"}
    own = sum(row.amount for row in detail.rows)
    shares = sum(detail.order.bridge.get(c, Decimal(0)) for c in ("storage", "advertising", "account"))
    assert own + shares == detail.order.net_settled  # its own rows plus its share of account charges

    # the period's workbook: the §2 figures per currency with CNY at the rate shown, every order
    import openpyxl

    with UnitOfWork(matched) as uow:
        data = finance.reconcile_workbook(uow.session, SELLER.code, as_of=as_of)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总 Summary", "订单 Orders", "未对上 Unmatched", "说明 Definitions"]
    summary = {row[0]: row[1:] for row in book["汇总 Summary"].iter_rows(values_only=True) if row and row[0]}
    assert Decimal(str(summary["deposits"][0])) == deposits
    assert Decimal(str(summary["deposits"][1])) == cny_deposits
    assert Decimal(str(summary["restored_gross"][0])) == f["restored_gross"]
    assert book["订单 Orders"].max_row == 151
    assert any("汇发〔2020〕11号" in str(r[1]) for r in book["说明 Definitions"].iter_rows(values_only=True))

    # the financing pre-qualification from the same verified history, sealed by the platform
    from cbec.kit import seal

    sealed = pipeline.prequalify(matched, SELLER.code, as_of=as_of)
    package = seal.verify(sealed)
    factors = {f["factor"]: f for f in package["factors"]}
    assert Decimal(package["score"]) > 0 and factors["received_ratio"]["score"] == "1.0000"
    assert package["history_cny"]["lists_declared"] == 150 and package["rates"]["USD"]["rate"] == "7.1234"
    history = package["history_cny"]
    # each order's principal converted to the fen (half up), then added: 150 × 178.09
    one = (Decimal("25.00") * Decimal("7.1234")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(history["settled_principal"]) == one * 150 == Decimal("26713.50")
    sealed["package"]["suggested_limit_cny"] = "9999999.00"
    with pytest.raises(Exception, match="changed after signing"):
        seal.verify(sealed)


def test_a_settlement_that_does_not_add_up_is_kept_raw_and_refused_with_both_figures(matched) -> None:  # noqa: F811
    orders = _released(matched)
    data = amazon_settlements(orders).amazon[0].decode().splitlines()
    cells = data[1].split("\t")
    cells[4] = str(Decimal(cells[4]) + Decimal("1.00"))
    data[1] = "\t".join(cells)
    out = pipeline.import_money(matched, ("\n".join(data) + "\n").encode(), seller=SELLER.code, platform=PLATFORM.code)
    assert out["settlements"] == 0 and out["errors"][0]["field"] == "total-amount"
    assert cells[4] in out["errors"][0]["message_en"]
    with UnitOfWork(matched) as uow:
        from cbec.intake.models import InboxItem

        assert (
            uow.session.scalar(
                select(func.count()).select_from(InboxItem).where(InboxItem.format == "amazon-settlement")
            )
            == 1
        )
        assert uow.session.scalar(select(func.count()).select_from(SettlementLine)) == 0


def test_unpaid_payouts_age_and_shopify_payouts_are_checked(matched) -> None:  # noqa: F811
    orders = _released(matched)
    transactions, summary = shopify_transactions(orders)
    out = pipeline.import_money(matched, transactions, seller=SELLER.code, platform=PLATFORM.code, filename="t.csv")
    assert out["format"] == "shopify-transactions" and out["settlements"] >= 4 and not out["errors"]
    checked = pipeline.import_money(matched, summary, seller=SELLER.code, filename="payouts.csv")
    assert checked["payouts_agreeing"] == out["settlements"] and not checked["errors"]
    # the CEB403 收款单 of two orders, declared by the seller: one for the whole amount, one short
    receipts = [
        {"type": "export_receipt", "head": {
            "ebpCode": PLATFORM.code, "ebpName": PLATFORM.name, "ebcCode": SELLER.code, "ebcName": SELLER.name,
            "orderNo": no, "payName": "现金支付", "charge": charge, "currency": "502", "accountingDate": "20261120100000"}}
        for no, charge in (("SO0000", "25.00"), ("SO0001", "20.00"))
    ]  # fmt: skip
    ctx = pipeline.context_for(matched, SELLER.code, PLATFORM.code)
    assert pipeline.import_bytes(matched, as_bytes(*receipts), ctx, fmt="json")["invalid"] == 0
    late = max(o.shipped for o in orders) + timedelta(days=400)
    r = pipeline.reconcile(matched, SELLER.code, as_of=late, overdue_days=180)
    # no receipts but the two CEB403: every order is settled, the two declared received count as
    # received (the short one partly, and listed), the other lists are old and overdue
    assert r["by_status"] == {"overdue": 148, "received": 1, "partial": 1} and r["orders_settled"] == 150
    (ceb403,) = [u for u in r["unmatched"] if u["kind"] == "ceb403"]
    assert ceb403["reference"].endswith("SO0001") and "25.00" in ceb403["reason_en"]
    payouts = [u for u in r["unmatched"] if u["kind"] == "payout"]
    assert len(payouts) == out["settlements"] and "no receipt" in payouts[0]["reason_en"]
    r2 = pipeline.reconcile(matched, SELLER.code, as_of=late, start=date(2000, 1, 1), end=date(2000, 12, 31))
    assert r2["orders"] == 0
