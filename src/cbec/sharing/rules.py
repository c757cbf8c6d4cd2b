"""Webhooks out (issue 20, item 4): which receivers may be called, how a delivery is signed and
checked, and when a failed delivery is tried again. Pure: the clock, the random jitter and the
addresses a host name resolves to are passed in.

The signature scheme follows the common practice of webhook senders (a timestamp inside the
signed text, so a captured request cannot be replayed later; several ``v1`` values allowed so a
secret can be rotated): ``X-Cbec-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``"<t>.<body>"`` with the subscription's secret (RFC 2104 HMAC, FIPS 180-4 SHA-256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cbec.errors import InvalidInput

SIGNATURE_HEADER = "X-Cbec-Signature"
TIMESTAMP_HEADER = "X-Cbec-Timestamp"
DELIVERY_HEADER = "X-Cbec-Delivery"
EVENT_HEADER = "X-Cbec-Event"
#: a receiver refuses a delivery whose timestamp is further than this from its own clock
DEFAULT_TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not one
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


# --- receivers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reach:
    """Which receivers the platform may call (settings ``webhook_allow_loopback`` / ``_private``)."""

    loopback: bool = False
    private: bool = False


def _bad_url(en: str, zh: str) -> InvalidInput:
    return InvalidInput(en, zh, field="url")


def check_url(url: str, reach: Reach) -> tuple[str, int]:
    """The host and port of a receiver URL, or a bilingual refusal: https only (plain http only to
    this machine's loopback, and only when allowed), no credentials in the URL, no fragment."""
    if len(url) > 500:
        raise _bad_url("the URL is longer than 500 characters", "URL 超过 500 个字符")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise _bad_url(f"not a URL: {url!r}", f"不是有效的 URL：{url!r}") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise _bad_url("the URL has no host", "URL 缺少主机名")
    if parts.username or parts.password:
        raise _bad_url("a webhook URL may not carry a user or password", "回调 URL 不得包含用户名或密码")
    if parts.fragment:
        raise _bad_url("a webhook URL may not have a #fragment", "回调 URL 不得包含 # 片段")
    if parts.scheme == "http" and reach.loopback and host in LOOPBACK_NAMES:
        return host, port or 80
    if parts.scheme != "https":
        raise _bad_url(
            "webhooks are sent over https only (plain http only to 127.0.0.1 where the operator allows it)",
            "回调地址必须使用 https（仅在运营方允许时可使用 http://127.0.0.1）",
        )
    return host, port or 443


def address_refusal(address: str, reach: Reach) -> str | None:
    """Why the platform will not call ``address`` (an IP a receiver's host resolved to), or None.
    Loopback, private (RFC 1918, RFC 4193), link-local (RFC 3927, where cloud metadata lives),
    shared (RFC 6598), multicast, reserved and unspecified addresses are refused unless allowed:
    a webhook URL must not become a way into the platform's own network (SSRF)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"not an IP address: {address}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if reach.loopback else "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "reserved"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")):
        return None if reach.private else "private"
    return None


def check_addresses(host: str, addresses: Iterable[str], reach: Reach) -> None:
    """Refuse a host that resolves to nothing, or to any address the platform may not call."""
    found = list(addresses)
    if not found:
        raise _bad_url(f"the host {host} does not resolve", f"主机 {host} 无法解析")
    for address in found:
        why = address_refusal(address, reach)
        if why is not None:
            raise _bad_url(
                f"the host {host} resolves to {address} ({why}); webhooks are not sent to private, "
                "loopback or link-local addresses",
                f"主机 {host} 解析为 {address}（{why}）；不向内网、本机或链路本地地址发送回调",
            )


# --- signatures --------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """What a receiver does: parse ``t=…,v1=…``, refuse a timestamp outside the tolerance, compare
    each ``v1`` in constant time against the HMAC of ``"<t>.<body>"``."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [v for k, v in fields if k.strip() == "t"]
    given = [v.strip() for k, v in fields if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not given:
        return False
    t = int(stamps[0])
    if abs(now - t) > tolerance:
        return False
    expected = signature(secret, t, body)
    return any(hmac.compare_digest(expected, g) for g in given)


def body_of(envelope: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): canonical JSON, so a retry sends the same body."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- secrets at rest ---------------------------------------------------------------------------


def _sealing_key(platform_secret: str) -> bytes:
    return hashlib.sha256(b"cbec webhook secrets\x00" + platform_secret.encode()).digest()


def seal_secret(secret: str, platform_secret: str) -> str:
    """The subscription's secret encrypted (AES-256-GCM) under a key derived from the platform's
    ``CBEC_SECRET_KEY``, so a copy of the database alone does not let anyone forge deliveries."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_sealing_key(platform_secret)).encrypt(nonce, secret.encode(), b"cbec-webhook")
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def open_secret(sealed: str, platform_secret: str) -> str | None:
    """The secret, or None when it was sealed under another ``CBEC_SECRET_KEY``."""
    raw = base64.urlsafe_b64decode(sealed.encode())
    try:
        return AESGCM(_sealing_key(platform_secret)).decrypt(raw[:12], raw[12:], b"cbec-webhook").decode()
    except InvalidTag:
        return None


# --- retries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Schedule:
    """Exponential backoff with jitter, bounded: the n-th retry waits between half and all of
    ``min(cap, base·2ⁿ⁻¹)`` seconds ("equal jitter", so receivers that failed together do not
    all come back at once); after ``max_attempts`` attempts the delivery is a dead letter."""

    base: float
    cap: float
    max_attempts: int

    def delay(self, attempts: int, jitter: float) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones; ``jitter`` in [0, 1)."""
        full = min(self.cap, self.base * 2.0 ** max(attempts - 1, 0))
        return full / 2 + full / 2 * jitter

    def is_exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def worst_case_total(self) -> float:
        """Seconds from the first attempt to the dead letter at the longest (no jitter)."""
        return sum(min(self.cap, self.base * 2.0**n) for n in range(self.max_attempts - 1))


def is_success(status_code: int) -> bool:
    """A 2xx answer is a delivery; anything else (3xx too: redirects are not followed) is retried."""
    return 200 <= status_code < 300
