"""Marketplace money for sold orders, as the marketplace and the payment institution would report
it (issue 17): Amazon Settlement V2 flat files (the headers of ../shared/reference/FORMATS.md), a
Shopify payment transactions export, and the receipts ledger (收汇流水) of the payouts. Pure and
seeded: the same orders and seed give the same bytes.

What is in them, so a test can check every figure independently:

* settlements every ``period_days`` days; each order's rows go to the settlement whose window
  holds its ship day; the deposit is two days after a window closes;
* per order line: ``Order/ItemPrice/Principal`` (qty × price), a 15% ``Commission``, and for
  fulfilled-by-Amazon orders (every second one) ``FBAPerUnitFulfillmentFee`` 3.22 per unit;
  merchant-fulfilled orders get ``Shipping`` 4.99 once; one order in ten a 10% ``Promotion``;
* one order in twenty is refunded in the next settlement: ``Refund/ItemPrice/Principal`` back,
  80% of its commission back (the marketplace keeps a fifth as a refund administration fee);
* account-level rows in every settlement: ``Storage Fee`` 0.5% of the settlement's principal,
  ``Cost of Advertising`` 2% of it, and a ``Subscription Fee`` of 39.99 in the first settlement
  of each month;
* each payout is received by the payment institution a day or three after the deposit, less a
  0.3% fee, and converted to CNY at ``cny_rate``.

These figures are the generator's assumptions for test data, not any marketplace's tariff.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cbec.finance.parsers import AMAZON_COLUMNS

CENT = Decimal("0.01")
AMAZON_HEADER = AMAZON_COLUMNS  # the documented header, as the reader expects it
MARKETPLACE = {"USD": "Amazon.com", "GBP": "Amazon.co.uk", "EUR": "Amazon.de", "JPY": "Amazon.co.jp"}


@dataclass(frozen=True, slots=True)
class SoldLine:
    sku: str
    qty: int
    price: Decimal  # unit price in the order's currency


@dataclass(frozen=True, slots=True)
class SoldOrder:
    order_no: str
    shipped: date
    currency: str  # ISO 4217
    lines: tuple[SoldLine, ...]


@dataclass(slots=True)
class Money:
    amazon: list[bytes] = field(default_factory=list)  # one V2 flat file per settlement
    receipts: bytes = b""
    settlement_ids: list[str] = field(default_factory=list)
    refunded: list[str] = field(default_factory=list)  # order numbers refunded


def _c(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _row(**values: object) -> dict[str, str]:
    return {k: str(values.get(k.replace("-", "_"), "")) for k in AMAZON_HEADER}


def amazon_settlements(
    orders: Sequence[SoldOrder],
    *,
    seed: int = 17,
    period_days: int = 14,
    cny_rate: Decimal = Decimal("7.1"),
    subscription: Decimal = Decimal("39.99"),
) -> Money:
    """Settlement V2 files and the receipts of their payouts for ``orders`` (module notes)."""
    if not orders:
        return Money()
    rnd = random.Random(seed)  # noqa: S311 - test data, not secrets
    first = min(o.shipped for o in orders)
    windows: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
    out = Money()
    for n, o in enumerate(sorted(orders, key=lambda o: (o.shipped, o.order_no))):
        window = (o.shipped - first).days // period_days
        windows[(o.currency, window)].extend(_order_rows(o, n))
        if n % 20 == 7:
            windows[(o.currency, window + 1)].extend(
                _refund_rows(o, first + timedelta(days=(window + 1) * period_days))
            )
            out.refunded.append(o.order_no)
    receipts: list[dict[str, str]] = []
    months: set[tuple[str, int, int]] = set()
    for (currency, window), order_rows in sorted(windows.items()):
        start = first + timedelta(days=window * period_days)
        end = start + timedelta(days=period_days - 1)
        sid = f"{(seed * 7919 + window) % 10**8:08d}{len(out.settlement_ids):03d}"
        rows = order_rows + _account_rows(order_rows, currency, start, months, subscription)
        total = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
        deposit = end + timedelta(days=2)
        header = _row(
            settlement_id=sid, settlement_start_date=f"{start.isoformat()}T00:00:00+00:00",
            settlement_end_date=f"{end.isoformat()}T23:59:59+00:00", deposit_date=f"{deposit.isoformat()}T08:00:00+00:00",
            total_amount=total, currency=currency,
        )  # fmt: skip
        body = [{**r, "settlement-id": sid, "marketplace-name": MARKETPLACE.get(currency, "Amazon.com")} for r in rows]
        out.amazon.append(_tsv([header, *body]))
        out.settlement_ids.append(sid)
        if total > 0:
            receipts.append(_receipt(sid, currency, total, deposit + timedelta(days=rnd.randint(1, 3)), cny_rate))
    out.receipts = _csv(receipts)
    return out


def _order_rows(o: SoldOrder, n: int) -> list[dict[str, str]]:
    fba = n % 2 == 0
    posted = o.shipped.isoformat()
    rows: list[dict[str, str]] = []
    for k, ln in enumerate(o.lines, start=1):
        principal = _c(ln.price * ln.qty)
        common = {"transaction_type": "Order", "order_id": o.order_no, "sku": ln.sku, "quantity_purchased": ln.qty,
                  "posted_date": posted, "order_item_code": f"{n:08d}{k:04d}", "fulfillment_id": "AFN" if fba else "MFN"}  # fmt: skip
        rows.append(_row(**common, amount_type="ItemPrice", amount_description="Principal", amount=principal))
        rows.append(
            _row(
                **common,
                amount_type="ItemFees",
                amount_description="Commission",
                amount=-_c(principal * Decimal("0.15")),
            )
        )
        if fba:
            rows.append(
                _row(
                    **common,
                    amount_type="ItemFees",
                    amount_description="FBAPerUnitFulfillmentFee",
                    amount=-_c(Decimal("3.22") * ln.qty),
                )
            )
        if n % 10 == 3:
            rows.append(
                _row(
                    **common,
                    amount_type="Promotion",
                    amount_description="Principal",
                    amount=-_c(principal * Decimal("0.10")),
                )
            )
        if not fba and k == 1:
            rows.append(_row(**common, amount_type="ItemPrice", amount_description="Shipping", amount=Decimal("4.99")))
    return rows


def _refund_rows(o: SoldOrder, posted: date) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for ln in o.lines:
        principal = _c(ln.price * ln.qty)
        common = {"transaction_type": "Refund", "order_id": o.order_no, "sku": ln.sku, "quantity_purchased": ln.qty,
                  "posted_date": posted.isoformat(), "adjustment_id": f"R{o.order_no}"}  # fmt: skip
        rows.append(_row(**common, amount_type="ItemPrice", amount_description="Principal", amount=-principal))
        commission = _c(principal * Decimal("0.15"))
        rows.append(
            _row(
                **common,
                amount_type="ItemFees",
                amount_description="Commission",
                amount=_c(commission * Decimal("0.8")),
            )
        )
    return rows


def _account_rows(
    rows: list[dict[str, str]], currency: str, start: date, months: set[tuple[str, int, int]], subscription: Decimal
) -> list[dict[str, str]]:
    principal = sum(
        (
            Decimal(r["amount"])
            for r in rows
            if r["transaction-type"] == "Order" and r["amount-description"] == "Principal"
        ),
        Decimal(0),
    )
    posted = start.isoformat()
    out = [
        _row(transaction_type="other-transaction", amount_type="other-transaction", amount_description="Storage Fee",
             amount=-_c(principal * Decimal("0.005")), posted_date=posted),
        _row(transaction_type="ServiceFee", amount_type="Cost of Advertising", amount_description="TransactionTotalAmount",
             amount=-_c(principal * Decimal("0.02")), posted_date=posted),
    ]  # fmt: skip
    if subscription and (currency, start.year, start.month) not in months:
        months.add((currency, start.year, start.month))
        out.append(
            _row(transaction_type="other-transaction", amount_type="other-transaction", amount_description="Subscription Fee",
                 amount=-subscription, posted_date=posted)
        )  # fmt: skip
    return out


def _receipt(sid: str, currency: str, total: Decimal, on: date, rate: Decimal) -> dict[str, str]:
    fee = _c(total * Decimal("0.003"))
    net = total - fee
    return {
        "provider": "PingPong", "account": "PP-0001", "txn_id": f"PP{sid}", "value_date": on.isoformat(),
        "currency": currency, "gross": str(total), "fee": str(fee), "net": str(net), "cny_amount": str(_c(net * rate)),
        "rate": str(rate), "store_id": "", "payout_ref": "", "settlement_ref": sid, "seller": "",
    }  # fmt: skip


def _tsv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=AMAZON_HEADER, delimiter="\t", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def _csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    fields = ("provider", "account", "txn_id", "value_date", "currency", "gross", "fee", "net", "cny_amount", "rate",
              "store_id", "payout_ref", "settlement_ref", "seller")  # fmt: skip
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


SHOPIFY_HEADER = ("Transaction Date", "Type", "Order", "Card Brand", "Card Source", "Payout Status", "Payout Date",
                  "Payout ID", "Available On", "Amount", "Fee", "Net", "Checkout", "Payment Method Name",
                  "Presentment Amount", "Presentment Currency", "Currency")  # fmt: skip


def shopify_transactions(orders: Sequence[SoldOrder], *, period_days: int = 7) -> tuple[bytes, bytes]:
    """A Shopify payment transactions export and its payouts summary for ``orders``: a charge per
    order (2.9% + 0.30 fee), a refund for one order in twenty, weekly payouts."""
    first = min(o.shipped for o in orders)
    rows: list[dict[str, str]] = []
    totals: dict[str, tuple[Decimal, Decimal, Decimal, Decimal, date, str]] = {}
    for n, o in enumerate(sorted(orders, key=lambda o: (o.shipped, o.order_no))):
        window = (o.shipped - first).days // period_days
        payout_day = first + timedelta(days=(window + 1) * period_days)
        payout = f"{payout_day.strftime('%Y%m%d')}{window:04d}"
        amount = sum((_c(ln.price * ln.qty) for ln in o.lines), Decimal(0))
        fee = _c(amount * Decimal("0.029") + Decimal("0.30"))
        items = [("charge", amount, fee)] + ([("refund", -amount, Decimal(0))] if n % 20 == 7 else [])
        for kind, value, f in items:
            rows.append(
                {
                    "Transaction Date": f"{o.shipped.isoformat()} 10:00:00 -0400",
                    "Type": kind,
                    "Order": f"#{o.order_no}",
                    "Card Brand": "visa",
                    "Card Source": "online",
                    "Payout Status": "paid",
                    "Payout Date": payout_day.isoformat(),
                    "Payout ID": payout,
                    "Available On": payout_day.isoformat(),
                    "Amount": str(value),
                    "Fee": str(f),
                    "Net": str(value - f),
                    "Checkout": "",
                    "Payment Method Name": "card",
                    "Presentment Amount": str(value),
                    "Presentment Currency": o.currency,
                    "Currency": o.currency,
                }
            )
            charges, refunds, fees, total, day, cur = totals.get(
                payout, (Decimal(0), Decimal(0), Decimal(0), Decimal(0), payout_day, o.currency)
            )
            charges, refunds = (charges + value, refunds) if value > 0 else (charges, refunds + value)
            totals[payout] = (charges, refunds, fees - f, total + value - f, day, cur)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SHOPIFY_HEADER, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    summary = io.StringIO()
    s = csv.writer(summary, lineterminator="\n")
    s.writerow(["Payout Date", "Status", "Charges", "Refunds", "Adjustments", "Reserved Funds", "Fees",
                "Retried Amount", "Total", "Currency"])  # fmt: skip
    for _, (charges, refunds, fees, total, day, cur) in sorted(totals.items()):
        s.writerow(
            [day.isoformat(), "paid", str(charges), str(refunds), "0.00", "0.00", str(fees), "0.00", str(total), cur]
        )
    return buf.getvalue().encode(), summary.getvalue().encode()
