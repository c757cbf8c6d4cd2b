"""Reconciliation (issue 17, part 3): settlement lines to declared orders, payouts to FX receipts,
and for each order the bridge from its declared value to the money received. Pure: typed rows
in, typed results out; the service loads and stores.

The rules, each one place:

* **Lines to orders** by the marketplace order number (Amazon ``order-id``, Shopify ``Order``)
  equal to the declared order's ``orderNo`` on the same platform; a line with an order number
  no declared order has is *unmatched* ("not declared"), listed with its settlement and row.
* **Account-level charges** (storage, advertising, subscription and other charges without an
  order) are spread over the orders of the same settlement in proportion to their principal,
  rounded to the cent with the remainder on the largest order, so the orders' shares add up
  to the charge exactly; a settlement without orders keeps them unallocated (listed).
* **Payouts to receipts** (收汇): a receipt naming the payout (``payout_ref`` or
  ``settlement_ref`` = the settlement id) pays it; otherwise the receipt in the payout's currency
  whose gross is within the fee tolerance (``Policy.fee_tolerance`` of the payout, at least
  ``Policy.fee_floor``) and whose value date is from the deposit date to ``Policy.window_days``
  after it, the closest amount first, each receipt used once.
* **Received** is what the order has in settlements a receipt paid, or that paid nothing out
  (a negative or nil settlement: its charges ate its sales, and nothing is left to receive).
* **Status per order** (收汇状态): 已收汇 when the principal settled in paid-out, received
  payouts covers the declared value less what was refunded to buyers (to the cent); 部分收汇 when some of it is received; 未收汇
  when none; 超期未收汇 when none and the list was released more than ``Policy.overdue_days``
  ago (the default, 180 days, is the platform's assumption: 汇发〔2020〕11号 sets no day count;
  a zone sets its own).
* **CEB403 收款单**: an order no settlement shows but whose CEB403 receipt declares money received
  counts as received for that charge; where both exist and the charge differs from the settled
  principal (less refunds) by more than a cent, the difference is listed (kind ``ceb403``).
* **Restored gross** (汇发〔2020〕11号 §2): what was received plus the netted overseas
  storage, fulfilment, logistics and tax costs (categories.NETTED) added back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from cbec.finance.categories import ACCOUNT_LEVEL, CATEGORIES, NETTED

CENT = Decimal("0.01")
ZERO = Decimal(0)


class Status(StrEnum):
    RECEIVED = "received"  # 已收汇
    PARTIAL = "partial"  # 部分收汇
    NOT_RECEIVED = "not_received"  # 未收汇
    OVERDUE = "overdue"  # 超期未收汇


STATUS_TEXT = {
    Status.RECEIVED: ("已收汇", "received"),
    Status.PARTIAL: ("部分收汇", "partly received"),
    Status.NOT_RECEIVED: ("未收汇", "not received"),
    Status.OVERDUE: ("超期未收汇", "overdue"),
}


@dataclass(frozen=True, slots=True)
class Policy:
    overdue_days: int = 180  # platform's assumption (module notes)
    fee_tolerance: Decimal = Decimal("0.02")  # share of the payout a receiving institution may keep
    fee_floor: Decimal = Decimal("5")  # in the payout's currency
    window_days: int = 15


@dataclass(frozen=True, slots=True)
class OrderIn:
    platform: str
    order_no: str
    list_id: int | None
    invt_no: str
    list_status: str
    declared_value: Decimal  # goods value declared, in ``currency``
    currency: str  # ISO 4217
    released_on: date | None
    trade_mode: str = ""
    #: what CEB403 收款单 declared received for the order (its charges, same currency), if any
    receipt_charge: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SettlementRow:
    settlement: int  # our settlement id
    row: int
    order_no: str
    category: str
    amount: Decimal
    description: str


@dataclass(frozen=True, slots=True)
class PayoutIn:
    settlement: int
    reference: str  # the marketplace's settlement / payout id
    platform: str
    currency: str
    total: Decimal
    deposit_date: date | None


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    id: int
    txn_id: str
    currency: str
    gross: Decimal
    net: Decimal
    cny_amount: Decimal | None
    value_date: date
    refs: tuple[str, ...]  # payout_ref, settlement_ref


@dataclass(slots=True)
class OrderMoney:
    order: OrderIn
    bridge: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, ZERO))
    allocated: Decimal = ZERO  # the part of the bridge that is a share of account-level charges
    #: settlement → this order's net in it, and the netted costs (§2) in it
    by_settlement: dict[int, list[Decimal]] = field(default_factory=dict)
    principal_by_settlement: dict[int, Decimal] = field(default_factory=dict)
    received_principal: Decimal = ZERO
    received_net: Decimal = ZERO
    restored_gross: Decimal = ZERO  # received, with the netted costs added back (§2)
    status: Status = Status.NOT_RECEIVED

    @property
    def settlements(self) -> set[int]:
        return set(self.by_settlement)

    def add(self, settlement: int, category: str, amount: Decimal) -> None:
        self.bridge[category] = self.bridge.get(category, ZERO) + amount
        net, netted = self.by_settlement.get(settlement, [ZERO, ZERO])
        self.by_settlement[settlement] = [
            net + (amount if category != "reserve" else ZERO),
            netted - (amount if category in NETTED else ZERO),
        ]
        if category == "principal":
            self.principal_by_settlement[settlement] = self.principal_by_settlement.get(settlement, ZERO) + amount

    @property
    def net_settled(self) -> Decimal:
        return sum((v for k, v in self.bridge.items() if k != "reserve"), ZERO)

    @property
    def not_settled(self) -> Decimal:
        """Declared value not (yet) matched by settled principal (negative: settled above it)."""
        return self.order.declared_value - self.bridge["principal"]


@dataclass(slots=True)
class Unmatched:
    kind: str  # line | payout | receipt | charge
    reference: str
    amount: Decimal
    currency: str
    reason_zh: str
    reason_en: str


@dataclass(slots=True)
class Reconciled:
    orders: list[OrderMoney]
    paid: dict[int, ReceiptRow]  # settlement → the receipt that paid it
    unmatched: list[Unmatched]
    totals: dict[str, dict[str, Decimal]]  # currency → figure → amount


def settle_orders(
    orders: Sequence[OrderIn], rows: Sequence[SettlementRow], platform_of: dict[int, str]
) -> tuple[dict[tuple[str, str], OrderMoney], list[Unmatched]]:
    """Each settlement line onto its order; account-level charges spread over the settlement's
    orders by principal (module notes)."""
    money = {(o.platform, o.order_no): OrderMoney(o) for o in orders}
    unmatched: list[Unmatched] = []
    charges: dict[int, list[SettlementRow]] = defaultdict(list)
    for r in rows:
        key = (platform_of.get(r.settlement, ""), r.order_no)
        if not r.order_no or (r.category in ACCOUNT_LEVEL and key not in money):
            charges[r.settlement].append(r)
            continue
        m = money.get(key)
        if m is None:
            unmatched.append(
                Unmatched("line", f"{r.settlement}:{r.row} order {r.order_no}", r.amount, "",
                          f"结算行的订单 {r.order_no} 没有已申报的订单", f"no declared order {r.order_no} for this settlement line")
            )  # fmt: skip
            continue
        m.add(r.settlement, r.category, r.amount)
    members: dict[int, list[OrderMoney]] = defaultdict(list)
    for m in money.values():
        for settlement in m.by_settlement:
            members[settlement].append(m)
    for settlement, items in charges.items():
        unmatched.extend(_allocate(settlement, items, members.get(settlement, [])))
    return money, unmatched


def _allocate(settlement: int, charges: list[SettlementRow], orders: list[OrderMoney]) -> list[Unmatched]:
    weights = [max(m.bridge["principal"], ZERO) for m in orders]
    base = sum(weights, ZERO)
    if not orders or base <= 0:
        return [
            Unmatched("charge", f"{settlement}:{c.row} {c.description}", c.amount, "",
                      "结算中没有可分摊的订单，该费用未分摊", "no order in the settlement to spread this charge over")
            for c in charges
        ]  # fmt: skip
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    for c in charges:
        by_category[c.category] += c.amount
    largest = max(range(len(orders)), key=lambda i: weights[i])
    for category, total in by_category.items():
        shares = [(total * w / base).quantize(CENT) for w in weights]
        shares[largest] += total - sum(shares, ZERO)
        for m, share in zip(orders, shares, strict=True):
            m.add(settlement, category, share)
            m.allocated += share
    return []


def match_receipts(
    payouts: Sequence[PayoutIn], receipts: Sequence[ReceiptRow], policy: Policy
) -> tuple[dict[int, ReceiptRow], list[Unmatched]]:
    """Which receipt paid which payout (module notes); the payouts and receipts left over."""
    paid: dict[int, ReceiptRow] = {}
    used: set[int] = set()
    by_ref = {ref: r for r in receipts for ref in r.refs if ref}
    for p in payouts:
        named = by_ref.get(p.reference)
        if named is not None and named.id not in used:
            paid[p.settlement] = named
            used.add(named.id)
    for p in sorted(payouts, key=lambda p: (p.deposit_date or date.min, p.settlement)):
        if p.settlement in paid or p.total <= 0 or p.deposit_date is None:
            continue
        tolerance = max(p.total * policy.fee_tolerance, policy.fee_floor)
        last = p.deposit_date + timedelta(days=policy.window_days)
        fits = [
            r for r in receipts
            if r.id not in used and r.currency == p.currency and abs(r.gross - p.total) <= tolerance
            and p.deposit_date <= r.value_date <= last
        ]  # fmt: skip
        if fits:
            best = min(fits, key=lambda r: (abs(r.gross - p.total), r.value_date, r.id))
            paid[p.settlement] = best
            used.add(best.id)
    left = [
        Unmatched("payout", p.reference, p.total, p.currency, "没有收汇记录与该笔结算对应", "no receipt pays this payout")
        for p in payouts if p.settlement not in paid and p.total > 0
    ] + [
        Unmatched("receipt", r.txn_id, r.gross, r.currency, "该笔收汇没有对应的平台结算", "no payout for this receipt")
        for r in receipts if r.id not in used
    ]  # fmt: skip
    return paid, left


def order_status(m: OrderMoney, paid: set[int] | dict[int, ReceiptRow], as_of: date, policy: Policy) -> Status:
    """收汇状态 of one order (module notes); sets what was received on ``m``."""
    received = [s for s in m.by_settlement if s in paid]
    m.received_principal = sum((m.principal_by_settlement.get(s, ZERO) for s in received), ZERO)
    m.received_net = sum((m.by_settlement[s][0] for s in received), ZERO)
    m.restored_gross = m.received_net + sum((m.by_settlement[s][1] for s in received), ZERO)
    charge = m.order.receipt_charge
    if not received and charge is not None and charge > 0:
        # no settlement shows it, but a CEB403 收款单 declared the money received: that is the
        # order's receipt (its costs unknown, so received and restored gross are the charge)
        received = [-1]
        m.received_principal = m.received_net = m.restored_gross = charge
    # what is due is the declared value less what was refunded to buyers (refunds are negative)
    if received and m.received_principal >= m.order.declared_value + m.bridge["refund"] - CENT:
        return Status.RECEIVED
    if received:
        return Status.PARTIAL
    released = m.order.released_on
    if released is not None and as_of - released > timedelta(days=policy.overdue_days):
        return Status.OVERDUE
    return Status.NOT_RECEIVED


def reconcile(
    orders: Sequence[OrderIn],
    rows: Sequence[SettlementRow],
    payouts: Sequence[PayoutIn],
    receipts: Sequence[ReceiptRow],
    *,
    as_of: date,
    policy: Policy | None = None,
) -> Reconciled:
    policy = policy or Policy()
    platform_of = {p.settlement: p.platform for p in payouts}
    money, unmatched = settle_orders(orders, rows, platform_of)
    paid, left = match_receipts(payouts, receipts, policy)
    left += [
        Unmatched(
            "ceb403", f"{m.order.platform}|{m.order.order_no}", m.order.receipt_charge, m.order.currency,
            f"收款单（CEB403）申报收款 {m.order.receipt_charge:.2f}，平台结算货款为 {m.bridge['principal']:.2f}",
            f"the CEB403 receipt declares {m.order.receipt_charge:.2f} received; "
            f"the settlements' principal is {m.bridge['principal']:.2f}",
        )
        for m in money.values()
        if m.order.receipt_charge is not None and m.by_settlement
        and abs(m.order.receipt_charge - m.bridge["principal"] - m.bridge["refund"]) > CENT
    ]  # fmt: skip
    # a settlement that pays nothing out (its charges ate its sales) needs no receipt to be settled
    settled = set(paid) | {p.settlement for p in payouts if p.total <= 0}
    for m in money.values():
        m.status = order_status(m, settled, as_of, policy)
    totals = totals_of(list(money.values()), payouts, paid)
    return Reconciled(list(money.values()), paid, unmatched + left, totals)


def totals_of(
    money: list[OrderMoney], payouts: Sequence[PayoutIn], paid: dict[int, ReceiptRow]
) -> dict[str, dict[str, Decimal]]:
    """By currency: totals by category, the deposits, what was received and the restored gross
    (§2). Amounts of different currencies are never added; the service converts at dated rates."""
    out: dict[str, dict[str, Decimal]] = {}

    def of(currency: str) -> dict[str, Decimal]:
        return out.setdefault(currency, dict.fromkeys((*CATEGORIES, *TOTALS), ZERO))

    for m in money:
        t = of(m.order.currency)
        for c, v in m.bridge.items():
            t[c] += v
        t["declared"] += m.order.declared_value
        t["not_settled"] += m.not_settled
        t["received_principal"] += m.received_principal
        t["received_net"] += m.received_net
        t["restored_gross"] += m.restored_gross
    for p in payouts:
        t = of(p.currency)
        t["deposits"] += p.total
        if p.settlement in paid:
            t["received_gross"] += paid[p.settlement].gross
            t["received_cny"] += paid[p.settlement].cny_amount or ZERO
    for t in out.values():
        t["netted_costs"] = -sum((t[c] for c in NETTED), ZERO)
    return out


TOTALS = ("declared", "not_settled", "deposits", "received_gross", "received_cny", "received_principal",
          "received_net", "netted_costs", "restored_gross")  # fmt: skip
