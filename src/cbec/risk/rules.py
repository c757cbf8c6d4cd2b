"""Risk rules over retail-import orders (风险防控), each a small pure function. No I/O.

The platform screens every matched retail-import order before its tax is assessed and it is
declared (ARCHITECTURE.md: risk rules → tax assessment → declaration). A rule looks at the order
and at the orders seen before it (or beside it in the same batch) that share its buyer, its
consignee's phone or its delivery address, and returns a :class:`Hit` that says, in Chinese and
English, what it saw. An order with a hit is held for a person to review (cleared: it goes on
to tax and declaration; refused: it is not declared).

The rules are RULES.md §7.1:

* ``split_purchase`` — 化整为零 / 蚂蚁搬家 (§7.1.1): one buyer's orders within a short window
  that together are over the single-transaction limit while each is within it, the classic way
  of passing a large purchase through the retail channel. The limit is the tax rule set's in
  force on the order's day (财关税〔2018〕49号: CNY 5,000), counted as the tax step counts it
  (goods + freight + insurance, the 完税价格 before any coupon).
* ``contact_many_buyers`` — one phone or one address behind many buyer identities (§7.1.3,
  customs' review of "the same address or phone with different names"; §7.1.8 "several IDs per
  phone or address"): more than ``max_buyers_per_contact`` distinct buyer ID numbers with the
  same consignee phone, or the same delivery address, within ``contact_window_days``.

Payer ≠ buyer (§7.1.2) is refused by matching (rule ``payer_is_buyer``), and the annual and
single limits by the tax step; they are not repeated here. The thresholds are illustrative [I]:
RULES.md gives no official numbers, so they are data (``data/thresholds.json``), replaceable by
the zone operator.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cbec.tax.rules import retail_import_rules

CHINA = ZoneInfo("Asia/Shanghai")  # CEB times (orderTime, payTime) are Beijing time


@dataclass(frozen=True, slots=True)
class Thresholds:
    split_window: timedelta
    contact_window: timedelta
    max_buyers_per_contact: int
    source: str = ""

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = "") -> Thresholds:
        """From the shape of ``data/thresholds.json``; a value missing or not a positive whole
        number raises ``ValueError`` naming it."""
        values: dict[str, int] = {}
        for key in ("split_window_minutes", "contact_window_days", "max_buyers_per_contact"):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{source or 'risk thresholds'}: {key} must be a whole number ≥ 1, not {value!r}")
            values[key] = value
        return cls(
            split_window=timedelta(minutes=values["split_window_minutes"]),
            contact_window=timedelta(days=values["contact_window_days"]),
            max_buyers_per_contact=values["max_buyers_per_contact"],
            source=source,
        )

    @property
    def look_back(self) -> timedelta:
        """How far back (and forward) a rule may look from an order's time."""
        return max(self.split_window, self.contact_window)


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the rules read of one import order. Buyer, phone and address are digests (the
    screening record keeps no personal data in clear); ``at`` is when it was ordered (aware)."""

    order_no: str
    buyer: str
    phone: str
    address: str
    at: datetime
    value: Decimal  # 完税价格 counted toward the limits: goods + freight + insurance


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    field: str  # the order's field the rule is about
    message_zh: str
    message_en: str
    detail: dict[str, Any]


def digest(kind: str, value: str) -> str:
    """A fixed-length key for a buyer ID, phone or address (sha256 of its normalised text);
    "" for an empty value, which no rule compares."""
    if not value:
        return ""
    return hashlib.sha256(f"cbec-risk\x1f{kind}\x1f{value}".encode()).hexdigest()


_SPACE = re.compile(r"[\s,，。.、;；\-－#＃]+")


def normalise_address(text: str) -> str:
    """The same address written twice the same way: full-width letters and digits folded,
    spaces and punctuation removed, case folded (``北京市东城区 示范路1号`` = ``北京市东城区示范路１号``)."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)
    return _SPACE.sub("", folded).casefold()


def normalise_phone(text: str) -> str:
    """Digits only, without China's +86 / 0086 prefix."""
    digits = "".join(c for c in text if c.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def order_time(head: dict[str, Any], pay_head: dict[str, Any] | None, received: datetime) -> datetime:
    """When the order was placed: its ``orderTime`` (YYYYMMDDhhmmss, China time), else the
    payment's ``payTime``, else when the platform received it (``received``, aware)."""
    for text in (head.get("orderTime"), (pay_head or {}).get("payTime")):
        s = str(text or "")
        if len(s) >= 14 and s[:14].isdigit():
            try:
                return datetime.strptime(s[:14], "%Y%m%d%H%M%S").replace(tzinfo=CHINA)
            except ValueError:
                continue
    return received


def _near(order: OrderFacts, others: Iterable[OrderFacts], window: timedelta) -> list[OrderFacts]:
    return [o for o in others if o.order_no != order.order_no and abs(o.at - order.at) <= window]


def split_purchase(order: OrderFacts, same_buyer: Sequence[OrderFacts], t: Thresholds) -> Hit | None:
    """化整为零: the buyer's orders within ``split_window`` of this one, together over the single
    limit (财关税〔2018〕49号) while each is within it."""
    limit = retail_import_rules(order.at.astimezone(CHINA).date()).single_limit
    if not order.buyer or order.value > limit:
        return None  # one order over the limit is the tax step's (general trade or refused)
    near = [o for o in _near(order, same_buyer, t.split_window) if o.value <= limit]
    if not near:
        return None
    total = order.value + sum((o.value for o in near), Decimal(0))
    if total <= limit:
        return None
    orders = sorted({order.order_no, *(o.order_no for o in near)})
    minutes = int(t.split_window.total_seconds() // 60)
    return Hit(
        rule="split_purchase",
        field="buyerIdNumber",
        message_zh=(
            f"疑似化整为零：同一订购人 {minutes} 分钟内 {len(orders)} 单合计 {total:.2f} 元，超过单次交易限值 "
            f"{limit:.0f} 元（财关税〔2018〕49号），而每单均未超过"
        ),
        message_en=(
            f"possible split purchase (化整为零): {len(orders)} orders of one buyer within {minutes} minutes "
            f"total CNY {total:.2f}, over the single-transaction limit of CNY {limit:.0f} (财关税〔2018〕49号), "
            "while each is within it"
        ),
        detail={"orders": orders, "total": f"{total:.2f}", "limit": f"{limit:.2f}", "window_minutes": minutes},
    )


def contact_many_buyers(order: OrderFacts, same_contact: Sequence[OrderFacts], kind: str, t: Thresholds) -> Hit | None:
    """One consignee phone (``kind`` = "phone") or delivery address ("address") behind more than
    ``max_buyers_per_contact`` buyer identities within ``contact_window``."""
    key = order.phone if kind == "phone" else order.address
    if not key:
        return None  # no phone or address given: nothing to compare
    near = _near(order, same_contact, t.contact_window)
    buyers = {order.buyer, *(o.buyer for o in near)}
    if len(buyers) <= t.max_buyers_per_contact:
        return None
    days = t.contact_window.days
    what_zh, what_en, field = (
        ("收货人电话", "consignee phone", "consigneeTelephone")
        if kind == "phone"
        else ("收货地址", "delivery address", "consigneeAddress")
    )
    orders = sorted({order.order_no, *(o.order_no for o in near)})
    return Hit(
        rule=f"{kind}_many_buyers",
        field=field,
        message_zh=(
            f"同一{what_zh} {days} 天内对应 {len(buyers)} 个不同订购人身份（上限 {t.max_buyers_per_contact}），"
            "疑似冒用他人身份刷单"
        ),
        message_en=(
            f"one {what_en} behind {len(buyers)} different buyer identities within {days} days (at most "
            f"{t.max_buyers_per_contact}): possible use of other people's identities"
        ),
        detail={"buyers": len(buyers), "orders": orders[:50], "window_days": days, "max": t.max_buyers_per_contact},
    )


def screen(
    order: OrderFacts,
    same_buyer: Sequence[OrderFacts],
    same_phone: Sequence[OrderFacts],
    same_address: Sequence[OrderFacts],
    t: Thresholds,
) -> list[Hit]:
    """Every rule's hit on ``order``, given the other orders that share its buyer, phone and
    address (seen before it or beside it)."""
    hits = [
        split_purchase(order, same_buyer, t),
        contact_many_buyers(order, same_phone, "phone", t),
        contact_many_buyers(order, same_address, "address", t),
    ]
    return [h for h in hits if h is not None]


#: [A] a suggestion this sure (catalogue score 0..1) that names another HS chapter disagrees strongly
HS_DISAGREE_SCORE = 0.6


def hs_disagreement(declared: str, suggested: str | None, score: float | None) -> tuple[str, str] | None:
    """The declared goods code against the catalogue's suggestion from the goods' description
    (catalogue.suggest): a query when the suggestion is sure (score ≥ ``HS_DISAGREE_SCORE``) and
    names another HS chapter (归类, 《中华人民共和国海关进出口货物商品归类管理规定》, 海关总署令第252号 replacing 第158号 [B]:
    the declarant classifies; a wrong chapter is the usual sign of 伪报品名/归类). A query, not a
    correction: the seller confirmed the code."""
    if not suggested or score is None or score < HS_DISAGREE_SCORE or declared[:2] == suggested[:2]:
        return None
    return (
        f"申报商品编码 {declared}（第{declared[:2]}章）与按品名建议的 {suggested}（第{suggested[:2]}章，"
        f"匹配度 {score:.2f}）不在同一章：请人工核实归类",
        f"the declared goods code {declared} (chapter {declared[:2]}) and the code suggested from the"
        f" description, {suggested} (chapter {suggested[:2]}, score {score:.2f}), are in different chapters:"
        " a query for a person",
    )
