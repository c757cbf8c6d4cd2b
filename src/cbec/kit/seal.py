"""Sealed JSON: a data package a seller can hand to a bank or an insurer, signed by the platform
with Ed25519 so that anyone holding the platform's public key can check nothing was changed.
The payload is signed in its canonical form (keys sorted, no spaces, UTF-8). Pure."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cbec.errors import InvalidInput

ALGORITHM = "Ed25519"


def canonical(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_key() -> bytes:
    """A new private key, PEM (PKCS#8, unencrypted: kept with the data directory's mode 0600)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def seal(payload: dict[str, Any], private_pem: bytes) -> dict[str, Any]:
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "package": payload,
        "algorithm": ALGORITHM,
        "signature": base64.b64encode(key.sign(canonical(payload))).decode(),
        "public_key": public.decode(),
    }


def verify(sealed: dict[str, Any], trusted_public_pem: bytes | None = None) -> dict[str, Any]:
    """The package if the signature holds (against ``trusted_public_pem`` when given, else the key
    the package carries); raises InvalidInput naming what is wrong otherwise."""
    try:
        public_pem = trusted_public_pem or str(sealed["public_key"]).encode()
        key = serialization.load_pem_public_key(public_pem)
        signature = base64.b64decode(str(sealed["signature"]), validate=True)
        payload = sealed["package"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"not a sealed package: {exc}", f"不是签名数据包：{exc}", field="package") from None
    if sealed.get("algorithm") != ALGORITHM or not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(
            f"the package is not signed with {ALGORITHM}", f"数据包未使用 {ALGORITHM} 签名", field="algorithm"
        )
    try:
        key.verify(signature, canonical(payload))
    except InvalidSignature:
        raise InvalidInput(
            "the signature does not match the package: it was changed after signing, or signed by another key",
            "签名与数据包不符：签名后被修改，或由其他密钥签名",
            field="signature",
        ) from None
    return dict(payload)
