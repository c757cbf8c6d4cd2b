"""Signing CEB messages: enveloped XML-DSig as the e-port requires it (CEB.md §5.3).

The signature is a ``ds:Signature`` child of the message root: C14N 1.0 (inclusive, without
comments), one ``Reference URI=""`` with the enveloped-signature transform, ``KeyInfo`` with
``KeyName`` (certificate number) and the X.509 certificate. The digest is taken over the
canonical document *before* the signature is inserted, and the signature is inserted without any
whitespace around it, so what a strict verifier computes after the enveloped transform is exactly
what was signed (CEB.md §5.3 found a public signer that adds indentation and breaks this).

Who signs is a ``Signer`` (a Protocol, CONVENTIONS #12):

* ``SoftwareRsaSigner`` — RSA-SHA1 with a key in memory, for the sandbox and tests;
* ``HardwareKeySigner`` — the hook for production: the e-port UKey or a certified server crypto
  device (HSM) holds the SM2 key and signs ``C14N(SignedInfo)``; the deployment passes the function
  that talks to the device and the device's certificate. SM2/SM3 is the algorithm the 202205
  standard prefers (``SM2_SM3``/``SM3`` URIs below). SM3 digests are computed here in software
  (OpenSSL 3 ships SM3); SM2 verification needs a verifier registered with ``register_verifier``.

``verify`` checks the digest, the signature value and (optionally) that the certificate is one
the caller trusts. It does not walk certificate chains or revocation lists: the e-port does that
for what we send; for what we receive, the caller passes the certificates it trusts.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from cbec.ceb.xsd import DS_NS, parse_xml
from cbec.errors import CbecError, InvalidInput

C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
#: The 202205 spec's URIs (CEB.md §5.3, §8.4); one open-source signer uses w3.org URIs instead.
SM2_SM3 = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
SM3 = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"


class SignatureInvalid(CbecError):
    """A signature is missing, malformed, does not match the document, or is not trusted."""

    code = "signature_invalid"
    http_status = 422


class Signer(Protocol):
    """Whatever holds the private key. ``sign`` receives the canonical SignedInfo bytes."""

    @property
    def signature_method(self) -> str: ...  # SignatureMethod Algorithm URI

    @property
    def digest_method(self) -> str: ...  # DigestMethod Algorithm URI

    @property
    def key_name(self) -> str: ...  # ds:KeyName: the certificate number, e.g. "01691fe9"

    @property
    def certificate(self) -> bytes: ...  # DER X.509 certificate, goes into ds:X509Certificate

    def sign(self, data: bytes) -> bytes: ...  # raw signature value over ``data``


Digest = Callable[[bytes], bytes]
#: (certificate DER, signed bytes, signature value) → True when the signature is good
Verifier = Callable[[bytes, bytes, bytes], bool]


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()  # the legacy algorithm CEB still accepts


def _sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


_DIGESTS: dict[str, Digest] = {SHA1: _sha1}
if "sm3" in hashlib.algorithms_available:
    _DIGESTS[SM3] = _sm3


def _verify_rsa_sha1(certificate: bytes, data: bytes, signature: bytes) -> bool:
    key = x509.load_der_x509_certificate(certificate).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - the CEB legacy algorithm
    except InvalidSignature:
        return False
    return True


_VERIFIERS: dict[str, Verifier] = {RSA_SHA1: _verify_rsa_sha1}


def register_digest(algorithm: str, digest: Digest) -> None:
    """Add a digest algorithm (e.g. SM3 from a certified library where OpenSSL lacks it)."""
    _DIGESTS[algorithm] = digest


def register_verifier(algorithm: str, verifier: Verifier) -> None:
    """Add a signature verifier (e.g. SM2-with-SM3 through the deployment's crypto library)."""
    _VERIFIERS[algorithm] = verifier


def _ds(name: str) -> str:
    return f"{{{DS_NS}}}{name}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _digest(algorithm: str, data: bytes) -> bytes:
    digest = _DIGESTS.get(algorithm)
    if digest is None:
        raise SignatureInvalid(
            f"no digest implementation for {algorithm}; register one with register_digest",
            f"未实现摘要算法 {algorithm}；请用 register_digest 注册",
        )
    return digest(data)


def _signature_element(signature_method: str, digest_method: str, digest_value: str) -> etree._Element:
    signature = etree.Element(_ds("Signature"), nsmap={"ds": DS_NS})
    signed_info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=C14N_10)
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=signature_method)
    reference = etree.SubElement(signed_info, _ds("Reference"), URI="")
    transforms = etree.SubElement(reference, _ds("Transforms"))
    etree.SubElement(transforms, _ds("Transform"), Algorithm=ENVELOPED)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=digest_method)
    etree.SubElement(reference, _ds("DigestValue")).text = digest_value
    etree.SubElement(signature, _ds("SignatureValue"))
    return signature


def placeholder_signature() -> etree._Element:
    """A structurally valid, cryptographically meaningless ds:Signature (for schema checks only)."""
    signature = _signature_element(RSA_SHA1, SHA1, "AAAA")
    signature.find(_ds("SignatureValue")).text = "AAAA"  # type: ignore[union-attr]
    return signature


def _canonical(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, method="c14n", exclusive=False, with_comments=False)


def sign_document(data: bytes, signer: Signer, *, insert_before: str | None = None) -> bytes:
    """Sign an XML document (CEB message or DxpMsg) with an enveloped signature.

    The signature becomes the last child of the root, or goes just before the root's first child
    named ``insert_before`` (export CEB XSD: before ``ExtendMessage``).
    """
    root = parse_xml(data, "document to sign")
    sign_element(root, signer, insert_before=insert_before)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def sign_element(root: etree._Element, signer: Signer, *, insert_before: str | None = None) -> None:
    """Sign, in place, a document the platform built itself (no parse and re-serialisation: the
    digest is over the tree's canonical form, which its serialisation parses back to unchanged)."""
    if root.find(_ds("Signature")) is not None:
        raise InvalidInput("the document is already signed", "报文已加签")
    digest_value = _b64(_digest(signer.digest_method, _canonical(root.getroottree())))
    signature = _signature_element(signer.signature_method, signer.digest_method, digest_value)
    anchor = None
    if insert_before is not None:
        anchor = next(
            (c for c in root.iterchildren("*") if etree.QName(c).localname == insert_before),
            None,
        )
    if anchor is not None:
        anchor.addprevious(signature)
        signature.tail = None
    else:
        root.append(signature)  # no whitespace of our own: the digested content stays as it was
    signed_info = signature.find(_ds("SignedInfo"))
    assert signed_info is not None
    # Inclusive C14N of SignedInfo *in place*: the in-scope xmlns:ceb / xmlns:ds are part of it.
    value = signer.sign(etree.tostring(signed_info, method="c14n", exclusive=False, with_comments=False))
    signature.find(_ds("SignatureValue")).text = _b64(value)  # type: ignore[union-attr]
    key_info = etree.SubElement(signature, _ds("KeyInfo"))
    etree.SubElement(key_info, _ds("KeyName")).text = signer.key_name
    x509_data = etree.SubElement(key_info, _ds("X509Data"))
    etree.SubElement(x509_data, _ds("X509Certificate")).text = _b64(signer.certificate)


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    key_name: str
    certificate: bytes  # DER
    signature_method: str
    digest_method: str


def _remove_keeping_tail(element: etree._Element) -> None:
    """Drop an element but not the text after it (lxml would drop its tail with it)."""
    parent = element.getparent()
    assert parent is not None
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _one(parent: etree._Element, name: str) -> etree._Element:
    found = parent.findall(_ds(name))
    if len(found) != 1:
        raise SignatureInvalid(
            f"expected one ds:{name}, found {len(found)}", f"应有 1 个 ds:{name}，实有 {len(found)} 个"
        )
    return found[0]


def _decode(text: str | None, what: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except ValueError:
        raise SignatureInvalid(f"{what} is not Base64", f"{what} 不是 Base64") from None


def verify(
    data: bytes,
    *,
    trusted: Iterable[bytes] | None = None,
    certificate: bytes | None = None,
) -> VerifiedSignature:
    """Check the enveloped signature of a document; raise ``SignatureInvalid`` if anything is wrong.

    ``certificate`` (DER) overrides the one in ``KeyInfo``; with ``trusted`` the certificate used
    must be one of those (DER bytes).
    """
    return verify_tree(parse_xml(data, "signed document"), trusted=trusted, certificate=certificate)


def verify_tree(
    root: etree._Element,
    *,
    trusted: Iterable[bytes] | None = None,
    certificate: bytes | None = None,
) -> VerifiedSignature:
    """:func:`verify` of a document already parsed, for a reader that has the tree at hand (the
    sandbox parses each message once). The tree is used up: its Signature is taken out of it
    to check the digest of the rest (the enveloped transform)."""
    signature = _one(root, "Signature")
    signed_info = _one(signature, "SignedInfo")
    c14n = _one(signed_info, "CanonicalizationMethod").get("Algorithm")
    if c14n != C14N_10:
        raise SignatureInvalid(f"unsupported canonicalization {c14n}", f"不支持的规范化方法 {c14n}")
    method = _one(signed_info, "SignatureMethod").get("Algorithm", "")
    reference = _one(signed_info, "Reference")
    if reference.get("URI") != "":
        raise SignatureInvalid(
            'the reference must cover the whole document (URI="")', 'Reference 须为 URI=""（整份报文）'
        )
    transforms = [t.get("Algorithm") for t in reference.iterfind(f"{_ds('Transforms')}/{_ds('Transform')}")]
    if any(t not in (ENVELOPED, C14N_10) for t in transforms):
        raise SignatureInvalid(f"unsupported transforms {transforms}", f"不支持的变换 {transforms}")
    digest_method = _one(reference, "DigestMethod").get("Algorithm", "")
    expected = _decode(_one(reference, "DigestValue").text, "DigestValue")

    # SignedInfo canonicalized where it stands (inclusive C14N takes the namespaces in scope),
    # before the enveloped transform takes the Signature out of the document
    canonical_signed_info = etree.tostring(signed_info, method="c14n", exclusive=False, with_comments=False)
    _remove_keeping_tail(signature)
    if _digest(digest_method, _canonical(root.getroottree())) != expected:
        raise SignatureInvalid(
            "the document does not match its signature digest", "报文内容与签名摘要不符（报文被改动）"
        )

    key_info = signature.find(_ds("KeyInfo"))
    key_name = (key_info.findtext(_ds("KeyName")) or "") if key_info is not None else ""
    if certificate is None:
        text = signature.findtext(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}")
        if not text:
            raise SignatureInvalid("no certificate to verify with", "没有用于验签的证书")
        certificate = _decode(text, "X509Certificate")
    if trusted is not None and certificate not in set(trusted):
        raise SignatureInvalid("the signing certificate is not trusted", "签名证书不在信任列表中")
    verifier = _VERIFIERS.get(method)
    if verifier is None:
        raise SignatureInvalid(
            f"no verifier for {method}; register one with register_verifier",
            f"未实现签名算法 {method} 的验签；请用 register_verifier 注册",
        )
    value = _decode(_one(signature, "SignatureValue").text, "SignatureValue")
    try:
        good = verifier(certificate, canonical_signed_info, value)
    except ValueError:
        good = False
    if not good:
        raise SignatureInvalid("the signature value does not verify", "签名值验证失败")
    return VerifiedSignature(key_name, certificate, method, digest_method)


def _key_name(certificate: x509.Certificate) -> str:
    text = format(certificate.serial_number, "x")
    return text.zfill(len(text) + len(text) % 2)


@dataclass(frozen=True)
class SoftwareRsaSigner:
    """RSA-SHA1 with a key in memory: the sandbox and tests. Not for production declarations."""

    private_key: rsa.RSAPrivateKey
    certificate: bytes  # DER
    key_name: str
    signature_method: str = RSA_SHA1
    digest_method: str = SHA1

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - CEB legacy algorithm

    @classmethod
    def from_pem(cls, private_key: bytes, certificate: bytes, password: bytes | None = None) -> SoftwareRsaSigner:
        key = serialization.load_pem_private_key(private_key, password=password)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise InvalidInput("the key is not an RSA key", "私钥不是 RSA 密钥")
        cert = x509.load_pem_x509_certificate(certificate)
        return cls(key, cert.public_bytes(serialization.Encoding.DER), _key_name(cert))

    @classmethod
    def generate(
        cls, common_name: str, *, not_before: datetime, days: int = 365, key_size: int = 2048
    ) -> SoftwareRsaSigner:
        """A fresh key and self-signed certificate (sandbox, tests); the time is passed in."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + timedelta(days=days))
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert.public_bytes(serialization.Encoding.DER), _key_name(cert))


@dataclass(frozen=True)
class HardwareKeySigner:
    """The production hook: a UKey or HSM signs; this only carries what goes into the XML.

    ``sign_with_device`` receives the canonical ``ds:SignedInfo`` bytes and must return the raw
    signature value exactly as the e-port expects it from its certified devices (for SM2: the
    device's SM2-with-SM3 signature, computed with the device's user id); ``certificate`` is the
    device certificate (DER) and ``key_name`` its number as the e-port prints it. How the bytes
    reach the device (vendor SDK, PKCS#11, the e-port client's local signing service …) is the
    deployment's business; see docs/customs-messages.md.
    """

    sign_with_device: Callable[[bytes], bytes]
    certificate: bytes
    key_name: str
    signature_method: str = SM2_SM3
    digest_method: str = SM3

    def sign(self, data: bytes) -> bytes:
        return self.sign_with_device(data)
