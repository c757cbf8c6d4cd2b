"""The period's reconciliation as an XLSX workbook (issue 17, part 4): the figures 汇发〔2020〕11号 §2
asks for (what was actually received and the restored gross), each currency with its CNY value
at the rate shown, every order's bridge, what did not match, and the definitions. Pure: the
report in, bytes out."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook

from cbec.finance.categories import CATEGORIES
from cbec.finance.rules import STATUS_TEXT, Status
from cbec.finance.schemas import OrderMoneyRead, ReconcileReport

DEFINITIONS = (
    ("declared 申报货值", "goods value of the declared export lists (CEB603 totalPrice), in their currency"),
    ("principal 货款", "the goods' price the buyers paid, as the marketplace settled it (Order/ItemPrice/Principal)"),
    ("not_settled 未结算", "declared value not (yet) matched by settled principal"),
    ("commission … other 佣金…其他", "the settlement's amount components by category (finance/data/amazon_categories.csv)"),
    ("account-level charges 账户级费用", "storage, advertising, subscription and other charges without an order, spread "
     "over the settlement's orders in proportion to their principal, to the cent"),
    ("deposits 平台结算额", "the settlements' totals (what the marketplace paid out, or charged when negative)"),
    ("received_gross 收汇金额", "what the payment institution received for the payouts it matched (before its fee)"),
    ("received_net 实际收汇（按订单）", "the orders' net in settlements a receipt paid (or that paid nothing out)"),
    ("netted_costs 轧差费用", "overseas fulfilment, storage, logistics and taxes netted against the proceeds "
     "(汇发〔2020〕11号 §2)"),
    ("restored_gross 还原全额", "received_net with the netted costs added back (汇发〔2020〕11号 §2 asks for both)"),
    ("status 收汇状态", "已收汇 received / 部分收汇 partly / 未收汇 not received / 超期未收汇 overdue (days after "
     "release, default 180: the platform's assumption)"),
    ("CNY 人民币", "each currency's figures at the rate shown with its date and source (the zone's table, e.g. the "
     "customs monthly rate, else the ECB reference rates)"),
)  # fmt: skip


def workbook(report: ReconcileReport, orders: Sequence[OrderMoneyRead]) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总 Summary"
    summary.append(["seller 电商企业", report.seller])
    summary.append(["period 期间", str(report.period_from or "-"), str(report.period_to or "-")])
    summary.append(["as of 截至", str(report.as_of)])
    summary.append(
        [
            "orders 订单",
            report.orders,
            "settled 已结算",
            report.orders_settled,
            "refunded 有退款",
            report.orders_refunded,
        ]
    )
    for key, n in sorted(report.by_status.items()):
        zh, en = STATUS_TEXT[Status(key)]
        summary.append([f"{en} {zh}", n])
    for t in report.totals:
        summary.append([])
        q = t.quote
        summary.append(
            [f"currency {t.currency}", "CNY", f"rate {q.rate} of {q.date} ({q.source})" if q else "no CNY rate"]
        )
        for key, value in t.figures.items():
            summary.append([key, value, t.cny[key] if t.cny and key in t.cny else None])
    rows = book.create_sheet("订单 Orders")
    rows.append(["platform", "orderNo", "invtNo", "released", "currency", "declared", "principal", *CATEGORIES,
                 "net_settled", "received_net", "restored_gross", "status"])  # fmt: skip
    for o in orders:
        rows.append(
            [o.platform, o.order_no, o.invt_no, str(o.released_on or ""), o.currency, o.declared,
             o.principal, *(o.bridge.get(c, 0) for c in CATEGORIES), o.net_settled,
             o.received_net, o.restored_gross, STATUS_TEXT[Status(o.status)][0]]
        )  # fmt: skip
    unmatched = book.create_sheet("未对上 Unmatched")
    unmatched.append(["kind", "reference", "amount", "currency", "原因", "reason"])
    for u in report.unmatched:
        unmatched.append([u.kind, u.reference, u.amount, u.currency, u.reason_zh, u.reason_en])
    notes = book.create_sheet("说明 Definitions")
    for term, meaning in DEFINITIONS:
        notes.append([term, meaning])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
