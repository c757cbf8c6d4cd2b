"""Which signer signs the messages a deployment sends (CEB.md §5.3).

With ``CBEC_SIGNING_KEY`` and ``CBEC_SIGNING_CERT`` (PEM files) messages are signed in software
with RSA-SHA1 — for the sandbox, tests and pilots. A production deployment signs with the
enterprise's e-port UKey or a certified HSM (SM2/SM3) through ``signing.HardwareKeySigner``;
without either, messages are built unsigned and a deployment must sign them before the e-port.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cbec.ceb.signing import Signer, SoftwareRsaSigner
from cbec.config import Settings
from cbec.errors import InvalidInput


def signer_for(settings: Settings) -> Signer | None:
    if settings.signing_key is None and settings.signing_cert is None:
        return None
    if settings.signing_key is None or settings.signing_cert is None:
        raise InvalidInput(
            "set both CBEC_SIGNING_KEY and CBEC_SIGNING_CERT, or neither",
            "请同时设置 CBEC_SIGNING_KEY 和 CBEC_SIGNING_CERT，或都不设置",
            field="signing_key",
        )
    try:
        return SoftwareRsaSigner.from_pem(settings.signing_key.read_bytes(), settings.signing_cert.read_bytes())
    except OSError as exc:
        raise InvalidInput(
            f"cannot read the signing key: {exc}", f"无法读取签名密钥：{exc}", field="signing_key"
        ) from None


def sandbox_key(directory: Path, common_name: str) -> tuple[Path, Path]:
    """A self-signed key pair for the sandbox (kept under the data directory), made once."""
    key_path, cert_path = directory / "sandbox-signing-key.pem", directory / "sandbox-signing-cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    directory.mkdir(parents=True, exist_ok=True)
    signer = SoftwareRsaSigner.generate(common_name, not_before=datetime.now(UTC))
    key_path.write_bytes(
        signer.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(x509.load_der_x509_certificate(signer.certificate).public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path
