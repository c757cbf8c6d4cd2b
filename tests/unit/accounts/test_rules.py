"""Access rules, masking of personal data, passwords and the API rate limiter: pure functions."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbec.accounts.rules import (
    MIN_PASSWORD_LENGTH,
    PERSONAL_FIELDS,
    Forbidden,
    Principal,
    UserRole,
    mask_personal,
    mask_value,
    mask_xml,
    may_open_personal_data,
    parse_user_role,
    password_problem,
    require_admin,
    require_business_data,
    require_submitter,
    submit_check,
)
from cbec.errors import InvalidInput
from cbec.web.ratelimit import RateLimiter, TooManyRequests

SELLER_A = "91330782MA2DEMN016"
SELLER_B = "91440300MA5FKB0Q0J"
PLATFORM = "91330782MA2DEMP02Y"
LOGISTICS = "91310000MA1FL0G03T"
PAYER = "91310115MA1K4PAY00"

# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110101199003074477", "1101**********4477"),  # 18-digit resident ID: first 4, last 4
        ("11010119900307447X", "1101**********447X"),
        ("13800138000", "13*******00"),  # an 11-digit mobile number keeps 2 and 2
        ("+8613800138000", "+86********000"),  # under 16 characters: a quarter kept at each end
        ("010-12345678", "010******678"),
        ("12345678", "12****78"),
        ("12345", "1***5"),
        ("1234", "****"),  # four or fewer: all hidden
        ("1", "*"),
        ("", ""),
    ],
)
def test_mask_value(value: str, masked: str) -> None:
    assert mask_value(value) == masked


def test_mask_value_of_a_number() -> None:
    assert mask_value(13800138000) == "13*******00"  # type: ignore[arg-type]


@given(st.text(alphabet="0123456789ABCDEFXx+-() 号码", min_size=1, max_size=40))
def test_mask_value_keeps_the_length_and_only_the_ends(value: str) -> None:
    masked = mask_value(value)
    assert len(masked) == len(value)
    keep = (len(masked) - masked.count("*")) // 2
    assert masked == value[:keep] + "*" * (len(value) - 2 * keep) + value[len(value) - keep :]
    assert keep <= 4


@pytest.mark.parametrize("value", ["010-12345678", "0571-87654321", "+8613800138000", "861380013800012"])
def test_mask_value_hides_at_least_half(value: str) -> None:
    assert mask_value(value).count("*") >= len(value) / 2


def test_mask_personal_masks_nested_fields_and_leaves_the_rest() -> None:
    doc = {
        "head": {
            "orderNo": "IO-1",
            "buyerName": "张三",
            "buyerIdNumber": "110101199003074477",
            "buyerTelephone": "13800138000",
            "consigneeTelephone": "",
            "goodsValue": "199.00",
        },
        "lines": [{"gnum": 1, "itemName": "面霜"}],
        "documents": {
            "payment": {"head": {"payerIdNumber": "110101199003074477", "amountPaid": "232.65"}},
            "waybills": [{"consigneeTelephone": "13900139000", "idNumber": "110101199003074477"}],
        },
        "count": 3,
        "none": None,
    }
    before = copy.deepcopy(doc)
    out = mask_personal(doc)
    assert doc == before  # a copy: the stored structure is not changed
    assert out["head"] == {
        "orderNo": "IO-1",
        "buyerName": "张三",
        "buyerIdNumber": "1101**********4477",
        "buyerTelephone": "13*******00",
        "consigneeTelephone": "",  # an empty value stays empty
        "goodsValue": "199.00",
    }
    assert out["lines"] == doc["lines"]
    assert out["documents"]["payment"]["head"] == {"payerIdNumber": "1101**********4477", "amountPaid": "232.65"}
    assert out["documents"]["waybills"] == [{"consigneeTelephone": "13*******00", "idNumber": "1101**********4477"}]
    assert (out["count"], out["none"]) == (3, None)
    assert mask_personal([{"telephone": "13800138000"}, "13800138000"]) == [{"telephone": "13*******00"}, "13800138000"]
    assert mask_personal("110101199003074477") == "110101199003074477"  # only named fields


def test_personal_fields_cover_the_ceb_identity_and_contact_fields() -> None:
    assert {"buyerIdNumber", "buyerTelephone", "consigneeTelephone", "payerIdNumber"} <= PERSONAL_FIELDS


def test_mask_xml_masks_ceb_elements() -> None:
    xml = (
        '<ceb:CEB621Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">'
        "<ceb:InventoryHead><ceb:orderNo>IO-A-0001</ceb:orderNo>"
        "<ceb:buyerIdType>1</ceb:buyerIdType>"
        "<ceb:buyerIdNumber>110101199003074477</ceb:buyerIdNumber>"
        "<ceb:buyerName>张三</ceb:buyerName>"
        "<ceb:buyerTelephone>13800138000</ceb:buyerTelephone>"
        "<ceb:consigneeTelephone>13900139000</ceb:consigneeTelephone>"
        "</ceb:InventoryHead></ceb:CEB621Message>"
    )
    out = mask_xml(xml)
    assert "<ceb:buyerIdNumber>1101**********4477</ceb:buyerIdNumber>" in out
    assert "<ceb:buyerTelephone>13*******00</ceb:buyerTelephone>" in out
    assert "<ceb:consigneeTelephone>13*******00</ceb:consigneeTelephone>" in out
    assert "110101199003074477" not in out and "13800138000" not in out and "13900139000" not in out
    # everything else is as it was
    assert (
        out.replace("1101**********4477", "110101199003074477")
        .replace("13*******00</ceb:buyerTelephone>", "13800138000</ceb:buyerTelephone>")
        .replace("13*******00</ceb:consigneeTelephone>", "13900139000</ceb:consigneeTelephone>")
        == xml
    )


def test_mask_xml_without_a_prefix_and_with_other_prefixes() -> None:
    assert mask_xml("<payerIdNumber>110101199003074477</payerIdNumber>") == (
        "<payerIdNumber>1101**********4477</payerIdNumber>"
    )
    assert mask_xml("<x:telephone>13800138000</x:telephone>") == "<x:telephone>13*******00</x:telephone>"
    # names that only contain a personal field's name are other fields
    assert mask_xml("<ceb:xtelephone>13800138000</ceb:xtelephone>") == "<ceb:xtelephone>13800138000</ceb:xtelephone>"
    assert mask_xml("<ceb:buyerIdNumber></ceb:buyerIdNumber>") == "<ceb:buyerIdNumber></ceb:buyerIdNumber>"
    assert mask_xml("") == ""


# --- who may submit what -------------------------------------------------------------------------


def _check(code: str, roles: set[str], seller: str, doc_type: str, **head: str) -> str | None:
    return submit_check(code, frozenset(roles), seller, doc_type, head)


@pytest.mark.parametrize(
    "doc_type",
    [
        "export_order",
        "import_order",
        "order_cancel",
        "export_receipt",
        "export_waybill",
        "import_payment",
        "import_waybill",
    ],
)
def test_a_seller_submits_any_of_its_own_documents(doc_type: str) -> None:
    assert _check(SELLER_A, {"ebc"}, SELLER_A, doc_type) is None


@pytest.mark.parametrize("doc_type", ["export_order", "import_waybill", "import_payment"])
def test_a_seller_submits_for_no_other_seller(doc_type: str) -> None:
    assert _check(SELLER_A, {"ebc"}, SELLER_B, doc_type) == "a seller submits its own documents only"


@pytest.mark.parametrize(
    ("code", "roles", "doc_type", "head", "allowed"),
    [
        # a platform: orders and cancellations carrying its own ebpCode
        (PLATFORM, {"ebp"}, "export_order", {"ebpCode": PLATFORM}, True),
        (PLATFORM, {"ebp"}, "import_order", {"ebpCode": PLATFORM}, True),
        (PLATFORM, {"ebp"}, "order_cancel", {"ebpCode": PLATFORM}, True),
        (PLATFORM, {"ebp"}, "export_order", {"ebpCode": "91330782MA2DEMX99X"}, False),
        (PLATFORM, {"ebp"}, "export_order", {}, False),
        (PLATFORM, {"ebp"}, "export_waybill", {"ebpCode": PLATFORM}, False),
        # a logistics company: waybills carrying its own logisticsCode
        (LOGISTICS, {"logistics"}, "export_waybill", {"logisticsCode": LOGISTICS}, True),
        (LOGISTICS, {"logistics"}, "import_waybill", {"logisticsCode": LOGISTICS}, True),
        (LOGISTICS, {"logistics"}, "export_waybill", {"logisticsCode": PAYER}, False),
        (LOGISTICS, {"logistics"}, "export_order", {"logisticsCode": LOGISTICS}, False),
        # a payment company: payments and receipts carrying its own payCode
        (PAYER, {"pay"}, "import_payment", {"payCode": PAYER}, True),
        (PAYER, {"pay"}, "export_receipt", {"payCode": PAYER}, True),
        (PAYER, {"pay"}, "import_payment", {"payCode": LOGISTICS}, False),
        (PAYER, {"pay"}, "import_order", {"payCode": PAYER}, False),
        # a declaration agent: orders and waybills for the seller it acts for
        (LOGISTICS, {"agent"}, "export_order", {}, True),
        (LOGISTICS, {"agent"}, "import_waybill", {"logisticsCode": PAYER}, True),
        (LOGISTICS, {"agent"}, "import_payment", {}, False),
    ],
)
def test_partners_submit_within_their_role(
    code: str, roles: set[str], doc_type: str, head: dict[str, str], allowed: bool
) -> None:
    reason = _check(code, roles, SELLER_A, doc_type, **head)
    assert (reason is None) == allowed, reason


def test_the_reasons_say_what_is_wrong() -> None:
    assert _check(PLATFORM, {"ebp"}, SELLER_A, "export_order", ebpCode="X") == (
        f"ebpCode must be your own code {PLATFORM}"
    )
    assert _check(LOGISTICS, {"logistics"}, SELLER_A, "export_order") == (
        "an enterprise with the roles [logistics] may not submit export_order"
    )
    assert _check(PAYER, {"pay"}, SELLER_A, "import_payment", payCode="X") == f"payCode must be your own code {PAYER}"


@pytest.mark.parametrize("roles", [set(), {"customs"}, {"EBC"}, {""}])
def test_an_unknown_role_may_submit_nothing(roles: set[str]) -> None:
    reason = _check(SELLER_A, roles, SELLER_A, "export_order")
    assert reason is not None and reason.startswith("an enterprise with the roles [")
    if not roles:
        assert "[none]" in reason


def test_an_unknown_document_type_is_refused() -> None:
    assert _check(SELLER_A, {"ebc"}, SELLER_A, "declaration") is not None


def test_several_roles_any_one_suffices_and_the_refusal_names_each() -> None:
    both = {"ebc", "logistics"}
    # its own seller's waybill of another carrier: as the seller
    assert _check(LOGISTICS, both, LOGISTICS, "export_waybill", logisticsCode=PAYER) is None
    # another seller's waybill that it carries: as the logistics company
    assert _check(LOGISTICS, both, SELLER_A, "export_waybill", logisticsCode=LOGISTICS) is None
    # another seller's waybill of another carrier: neither
    reason = _check(LOGISTICS, both, SELLER_A, "export_waybill", logisticsCode=PAYER)
    assert reason == f"a seller submits its own documents only; logisticsCode must be your own code {LOGISTICS}"


# --- passwords ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "username", "refused"),
    [
        ("", "alice", True),
        ("short", "alice", True),
        ("x" * (MIN_PASSWORD_LENGTH - 1), "alice", True),
        ("x" * MIN_PASSWORD_LENGTH, "alice", False),
        ("alice-pass-2026", "alice", False),
        ("correct horse battery staple", "alice", False),
        ("longusername", "longusername", True),
        ("LongUserName", "longusername", True),  # the username in another case is still the username
        ("longusername1", "longusername", False),
        ("密码" * 5, "alice", False),  # length in characters, any script
    ],
)
def test_password_problem(password: str, username: str, refused: bool) -> None:
    problem = password_problem(password, username)
    assert (problem is not None) == refused
    if problem:
        en, zh = problem
        assert en and zh and en != zh


def test_password_problem_names_the_minimum() -> None:
    problem = password_problem("short", "alice")
    assert problem is not None and str(MIN_PASSWORD_LENGTH) in problem[0] and str(MIN_PASSWORD_LENGTH) in problem[1]
    assert password_problem("username-10", "USERNAME-10") == (
        "the password may not be the username",
        "密码不能与用户名相同",
    )


# --- principals and their scope --------------------------------------------------------------------

ADMIN = Principal(kind="user", name="operator", role="admin")
REGULATOR = Principal(kind="user", name="regina", role="regulator")
SELLER_USER = Principal(
    kind="user", name="alice", role="seller", enterprise_code=SELLER_A, enterprise_roles=frozenset({"ebc"})
)
ORPHAN = Principal(kind="user", name="ghost", role="seller")
KEY = Principal(
    kind="api_key", name="ck_1", role="partner", enterprise_code=PLATFORM, enterprise_roles=frozenset({"ebp"})
)


def test_scope() -> None:
    assert ADMIN.scope() is None  # every enterprise
    assert REGULATOR.scope() is None  # every enterprise, in figures (business data is refused elsewhere)
    assert SELLER_USER.scope() == frozenset({SELLER_A})
    assert KEY.scope() == frozenset({PLATFORM})
    assert ORPHAN.scope() == frozenset()  # no enterprise: sees nothing, not everything


def test_roles_and_what_they_may_do() -> None:
    assert (ADMIN.is_admin, ADMIN.is_regulator) == (True, False)
    assert (REGULATOR.is_admin, REGULATOR.is_regulator) == (False, True)
    assert not SELLER_USER.is_admin and not KEY.is_admin and not KEY.is_regulator
    require_admin(ADMIN)
    for p in (REGULATOR, SELLER_USER, KEY, ORPHAN):
        with pytest.raises(Forbidden) as exc:
            require_admin(p)
        assert exc.value.http_status == 403 and exc.value.as_dict()["error"] == "forbidden"
    for p in (ADMIN, SELLER_USER, KEY):
        require_business_data(p)
        require_submitter(p)
    with pytest.raises(Forbidden):
        require_business_data(REGULATOR)
    with pytest.raises(Forbidden):
        require_submitter(REGULATOR)
    assert [may_open_personal_data(p) for p in (ADMIN, REGULATOR, SELLER_USER, KEY)] == [True, False, False, False]


def test_a_principal_is_immutable() -> None:
    with pytest.raises(AttributeError):
        SELLER_USER.enterprise_code = SELLER_B  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "role"), [("admin", UserRole.ADMIN), (" Seller ", UserRole.SELLER), ("REGULATOR", UserRole.REGULATOR)]
)
def test_parse_user_role(text: str, role: UserRole) -> None:
    assert parse_user_role(text) is role


def test_parse_user_role_refuses_others() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_user_role("logistics")
    assert exc.value.field == "role" and "admin, seller, partner, regulator" in exc.value.message_en


# --- the rate limiter -----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _retry_after(limiter: RateLimiter, key: str) -> int:
    with pytest.raises(TooManyRequests) as exc:
        limiter.take(key)
    assert exc.value.http_status == 429 and exc.value.code == "rate_limited"
    return exc.value.retry_after


def test_burst_is_a_tenth_of_the_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    for _ in range(6):
        limiter.take("k")
    assert _retry_after(limiter, "k") == 1
    limiter.take("other")  # one bucket per key


def test_refill_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)  # one a second
    for _ in range(6):
        limiter.take("k")
    clock.now += 0.5
    assert _retry_after(limiter, "k") == 1  # half a token: wait the rest of the second
    clock.now += 0.5
    limiter.take("k")
    assert _retry_after(limiter, "k") == 1
    clock.now += 3
    for _ in range(3):
        limiter.take("k")
    assert _retry_after(limiter, "k") == 1


def test_refill_stops_at_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    limiter.take("k")
    clock.now += 3600
    for _ in range(6):
        limiter.take("k")
    assert _retry_after(limiter, "k") == 1


def test_retry_after_of_a_slow_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(5, clock=clock)  # one every 12 s, a burst of one
    limiter.take("k")
    assert _retry_after(limiter, "k") == 12
    clock.now += 10.5
    assert _retry_after(limiter, "k") == 2
    clock.now += 1
    assert _retry_after(limiter, "k") == 1
    clock.now += 0.5
    limiter.take("k")


def test_a_rate_of_zero_is_no_limit() -> None:
    limiter = RateLimiter(0, clock=Clock())
    for _ in range(10_000):
        limiter.take("k")


def test_the_error_says_when_to_retry() -> None:
    exc = TooManyRequests(7)
    assert exc.retry_after == 7
    assert exc.as_dict() == {
        "error": "rate_limited",
        "message_zh": "该 API 密钥请求过于频繁，请在 7 秒后重试",
        "message_en": "too many requests for this API key; retry after 7 s",
        "field": "api_key",
    }


def _exhaust_then_wait(per_minute: int, used: int, pause: float) -> tuple[RateLimiter, Clock, int | None]:
    """Spend the burst, wait ``pause``, spend ``used`` more: the limiter, its clock and the
    Retry-After of the next request (None when it went through)."""
    clock = Clock()
    limiter = RateLimiter(per_minute, clock=clock)
    for _ in range(math.ceil(max(1.0, per_minute / 10.0))):
        try:
            limiter.take("k")
        except TooManyRequests:
            break
    clock.now += pause
    for _ in range(used):
        try:
            limiter.take("k")
        except TooManyRequests:
            break
    try:
        limiter.take("k")
    except TooManyRequests as exc:
        return limiter, clock, exc.retry_after
    return limiter, clock, None


@given(
    per_minute=st.integers(min_value=1, max_value=100_000),
    used=st.integers(min_value=0, max_value=50),
    pause=st.floats(min_value=0, max_value=120, allow_nan=False),
)
def test_retry_after_is_honest(per_minute: int, used: int, pause: float) -> None:
    """Whoever waits the Retry-After it was given gets through, and it is not a whole second
    more than needed (to within a microsecond: the clock is a float)."""
    limiter, clock, wait = _exhaust_then_wait(per_minute, used, pause)
    if wait is None:
        return
    assert wait >= 1
    if wait > 1:
        clock.now += wait - 1 - 1e-6
        with pytest.raises(TooManyRequests):
            limiter.take("k")
        clock.now += 1 + 2e-6
    else:
        clock.now += wait + 1e-6
    limiter.take("k")


def test_retry_after_is_exact_at_whole_seconds() -> None:
    limiter, clock, wait = _exhaust_then_wait(4, 1, 15.166363874353113)
    assert wait == 15
    clock.now += wait
    limiter.take("k")  # refused: the float clock says 14.999999999999886 s have passed
    clock = Clock()
    limiter = RateLimiter(5, clock=clock)
    limiter.take("k")
    clock.now += 11
    assert _retry_after(limiter, "k") == 1


def test_the_lockout_starts_after_five_failures_and_doubles_to_fifteen_minutes() -> None:
    from datetime import timedelta

    from cbec.accounts.rules import lockout_for

    assert [lockout_for(n) for n in (0, 4)] == [None, None]
    assert [lockout_for(n) for n in (5, 6, 7, 8, 9, 50)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15)]
