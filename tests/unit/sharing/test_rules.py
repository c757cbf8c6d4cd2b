"""The pure rules of webhooks out: who may be called, signatures, the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest

from cbec.errors import InvalidInput
from cbec.sharing import rules as r
from cbec.sharing.schemas import DeclarationStatusChanged, Departed, DocumentRefused, EventType

OPEN = r.Reach(loopback=True, private=True)
CLOSED = r.Reach()


@pytest.mark.parametrize(
    "url",
    [
        "http://partner.example.com/hooks",  # plain http to the internet
        "ftp://partner.example.com/x",
        "https://user:pw@partner.example.com/x",
        "https://partner.example.com/x#frag",
        "https:///nohost",
        "http://127.0.0.1:8080/x",  # loopback not allowed here
    ],
)
def test_urls_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as err:
        r.check_url(url, CLOSED)
    assert err.value.field == "url" and err.value.message_zh != err.value.message_en


def test_urls_accepted() -> None:
    assert r.check_url("https://Partner.example.com/hooks", CLOSED) == ("partner.example.com", 443)
    assert r.check_url("https://partner.example.com:8443/h", CLOSED) == ("partner.example.com", 8443)
    assert r.check_url("http://127.0.0.1:9000/h", r.Reach(loopback=True)) == ("127.0.0.1", 9000)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.9", "private"),
        ("172.16.0.1", "private"),
        ("100.64.0.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # where cloud metadata lives
        ("fe80::1%eth0", "link-local"),
        ("::ffff:10.0.0.1", "private"),
        ("0.0.0.0", "reserved"),
        ("224.0.0.1", "reserved"),
    ],
)
def test_addresses_refused(address: str, why: str) -> None:
    assert r.address_refusal(address, CLOSED) == why


def test_addresses_allowed() -> None:
    assert r.address_refusal("93.184.216.34", CLOSED) is None
    assert r.address_refusal("2606:2800:220:1::1", CLOSED) is None
    assert r.address_refusal("10.0.0.1", OPEN) is None
    assert r.address_refusal("127.0.0.1", OPEN) is None
    assert r.address_refusal("169.254.169.254", OPEN) == "link-local"  # never, whatever the settings


def test_a_host_with_one_private_address_is_refused_with_a_bilingual_error() -> None:
    with pytest.raises(InvalidInput) as err:
        r.check_addresses("partner.example.com", ["93.184.216.34", "10.0.0.5"], CLOSED)
    assert "10.0.0.5" in err.value.message_en and "内网" in err.value.message_zh
    with pytest.raises(InvalidInput):
        r.check_addresses("nowhere.example", [], CLOSED)


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    secret, body, t = "whsec_abc", b'{"a":1}', 1_780_000_000
    header = r.signature_header(secret, t, body)
    expected = hmac.new(secret.encode(), b"1780000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t={t},v1={expected}"
    assert r.verify(secret, header, body, now=t + 10)
    assert not r.verify(secret, header, body + b" ", now=t)  # body changed
    assert not r.verify("whsec_other", header, body, now=t)  # wrong secret
    assert not r.verify(secret, header, body, now=t + 301)  # replayed later than the tolerance
    assert not r.verify(secret, "v1=" + expected, body, now=t)  # no timestamp
    rotated = f"t={t},v1={'0' * 64},v1={expected}"  # two secrets during a rotation
    assert r.verify(secret, rotated, body, now=t)


def test_secrets_sealed_at_rest() -> None:
    secret = r.new_secret()
    assert secret.startswith("whsec_") and len(secret) > 40
    sealed = r.seal_secret(secret, "platform-key")
    assert secret not in sealed
    assert r.open_secret(sealed, "platform-key") == secret
    assert r.open_secret(sealed, "another-key") is None


def test_backoff_grows_is_jittered_and_bounded() -> None:
    s = r.Schedule(base=30, cap=3600, max_attempts=12)
    assert s.delay(1, 0.0) == 15 and s.delay(1, 0.999) < 30
    assert s.delay(2, 0.0) == 30 and s.delay(3, 0.0) == 60
    assert s.delay(20, 0.999) <= 3600  # the cap
    rng = random.Random(1)
    spread = {round(s.delay(4, rng.random())) for _ in range(50)}
    assert len(spread) > 10 and min(spread) >= 120 and max(spread) <= 240
    assert not s.is_exhausted(11) and s.is_exhausted(12)
    assert s.worst_case_total() == 30 + 60 + 120 + 240 + 480 + 960 + 1920 + 3600 * 4


def test_events_are_typed_and_ordered_per_order() -> None:
    e = DeclarationStatusChanged(
        seller="S1", others=("P1", "无"), order_no="O1", declaration_id=1, message_type="CEB603",
        cop_no="C", invt_no="", status="released", previous_status="sent",
    )  # fmt: skip
    assert e.type is EventType.DECLARATION_STATUS
    assert e.enterprises() == {"S1", "P1"}  # "无" (a foreign platform) is nobody to tell
    assert e.ordering_key() == "S1/O1"
    assert "others" not in e.data() and e.data()["status"] == "released"
    refused = DocumentRefused(
        seller="S1", order_no="O1", doc_type="order", doc_key="k", inbox_id=3, fields=("buyerIdNumber",)
    )
    assert refused.data()["fields"] == ["buyerIdNumber"]
    assert Departed(seller="S1", logistics_no="L1").ordering_key() == "S1/L1"


def test_body_is_canonical() -> None:
    assert r.body_of({"b": 1, "a": "中"}) == '{"a":"中","b":1}'.encode()
