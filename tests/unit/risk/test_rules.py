"""The risk rules (RULES.md §7.1) on hand-made orders: what each one sees and says."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cbec.errors import InvalidInput
from cbec.risk import rules
from cbec.risk.service import THRESHOLDS_FILE, thresholds

CHINA = rules.CHINA
T = rules.Thresholds(split_window=timedelta(minutes=60), contact_window=timedelta(days=30), max_buyers_per_contact=3)


def order(no: str, value: str, *, buyer: str = "B1", phone: str = "P1", address: str = "A1", minute: int = 0):
    at = datetime(2026, 6, 18, 20, 0, tzinfo=CHINA) + timedelta(minutes=minute)
    return rules.OrderFacts(no, buyer, phone, address, at, Decimal(value))


def test_a_purchase_split_under_the_single_limit_is_a_hit_naming_every_order() -> None:
    """3 × 2,000 within the hour: 6,000 > 5,000 (财关税〔2018〕49号) while each is within it."""
    parts = [order("IO-1", "2000.00"), order("IO-2", "2000.00", minute=1), order("IO-3", "2000.00", minute=2)]
    hit = rules.split_purchase(parts[1], parts, T)
    assert hit is not None and hit.rule == "split_purchase" and hit.field == "buyerIdNumber"
    assert hit.detail == {
        "orders": ["IO-1", "IO-2", "IO-3"],
        "total": "6000.00",
        "limit": "5000.00",
        "window_minutes": 60,
    }
    assert "6000.00" in hit.message_zh and "化整为零" in hit.message_zh and "5000" in hit.message_en


@pytest.mark.parametrize(
    ("others", "why"),
    [
        ([order("IO-2", "2000.00", minute=61)], "outside the window"),
        ([order("IO-2", "2999.99", minute=5)], "together exactly 5,000: within the limit"),
        ([order("IO-2", "6000.00", minute=5)], "an order over the limit alone is the tax step's"),
        ([order("IO-1", "4000.00", minute=5)], "the same order (an earlier version) is not a second order"),
    ],
)
def test_no_split_purchase_hit(others, why) -> None:
    assert rules.split_purchase(order("IO-1", "2000.01"), others, T) is None, why


def test_the_single_limit_is_the_one_in_force_on_the_order_day() -> None:
    """In 2018 the limit was 2,000 (财关税〔2016〕18号): 1,500 + 1,500 was a split purchase then."""
    first = rules.OrderFacts("IO-1", "B1", "P", "A", datetime(2018, 5, 1, 10, tzinfo=CHINA), Decimal(1500))
    second = rules.OrderFacts("IO-2", "B1", "P", "A", datetime(2018, 5, 1, 10, 5, tzinfo=CHINA), Decimal(1500))
    hit = rules.split_purchase(first, [first, second], T)
    assert hit is not None and hit.detail["limit"] == "2000.00"
    assert rules.split_purchase(order("IO-1", "1500"), [order("IO-2", "1500", minute=5)], T) is None


def test_one_phone_behind_more_buyers_than_allowed_is_a_hit() -> None:
    same_phone = [order(f"IO-{i}", "100", buyer=f"B{i}", minute=i * 60 * 24) for i in range(4)]
    hit = rules.contact_many_buyers(same_phone[0], same_phone, "phone", T)
    assert hit is not None and hit.rule == "phone_many_buyers" and hit.field == "consigneeTelephone"
    assert hit.detail["buyers"] == 4 and "4 different buyer identities" in hit.message_en
    assert rules.contact_many_buyers(same_phone[0], same_phone[:3], "phone", T) is None  # 3 is allowed
    far = [*same_phone[:3], order("IO-9", "100", buyer="B9", minute=31 * 60 * 24)]  # 31 days later
    assert rules.contact_many_buyers(same_phone[0], far, "phone", T) is None
    one_buyer = [order(f"IO-{i}", "100", minute=i) for i in range(10)]  # many orders, one buyer
    assert rules.contact_many_buyers(one_buyer[0], one_buyer, "address", T) is None


def test_addresses_and_phones_are_compared_as_written_the_same_way() -> None:
    assert rules.normalise_address("北京市东城区 示范路１号，３单元") == rules.normalise_address(
        "北京市东城区示范路1号3单元"
    )
    assert rules.normalise_phone("+86 138-0013-8000") == rules.normalise_phone("13800138000") == "13800138000"
    assert rules.digest("phone", "13800138000") != rules.digest("id", "13800138000")


def test_the_order_time_is_the_order_then_the_payment_then_receipt() -> None:
    received = datetime(2026, 6, 18, 12, 0, tzinfo=CHINA)
    assert rules.order_time({"orderTime": "20260618200102"}, None, received) == datetime(
        2026, 6, 18, 20, 1, 2, tzinfo=CHINA
    )
    assert rules.order_time({}, {"payTime": "20260618210000"}, received).hour == 21
    assert rules.order_time({"orderTime": "2026061899"}, {"payTime": "bad"}, received) == received


def test_thresholds_are_data_and_a_bad_file_names_the_value(tmp_path: Path) -> None:
    shipped = thresholds()
    assert shipped.split_window == timedelta(minutes=60) and shipped.source == str(THRESHOLDS_FILE)
    bad = tmp_path / "t.json"
    bad.write_text('{"split_window_minutes": 0, "contact_window_days": 30, "max_buyers_per_contact": 3}')
    with pytest.raises(InvalidInput) as exc:
        thresholds(bad)
    assert "split_window_minutes" in str(exc.value.message_en) and str(bad) in exc.value.message_zh


def test_an_order_without_a_phone_or_address_is_not_compared_on_it() -> None:
    """An empty phone or address is no key: orders that lack it do not share it."""
    assert rules.digest("phone", "") == ""
    blank = [order(f"IO-{i}", "100", buyer=f"B{i}", phone="", address="") for i in range(5)]
    assert rules.contact_many_buyers(blank[0], blank, "phone", T) is None
    assert rules.contact_many_buyers(blank[0], blank, "address", T) is None
