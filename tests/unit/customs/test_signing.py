"""Enveloped XML-DSig (CEB.md §5.3): sign → verify, and any change to the message is caught."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime

import pytest
from lxml import etree

from cbec.ceb import signing
from cbec.ceb.messages import build, check_message, parse, sign
from cbec.ceb.signing import (
    C14N_10,
    ENVELOPED,
    RSA_SHA1,
    SHA1,
    SM2_SM3,
    SM3,
    HardwareKeySigner,
    SignatureInvalid,
    SoftwareRsaSigner,
    sign_document,
    verify,
)
from cbec.errors import InvalidInput

from .samples import AT, DECLARATIONS, TRANSFER, export_order, import_list

DS = "{http://www.w3.org/2000/09/xmldsig#}"


@pytest.fixture(scope="module")
def signer() -> SoftwareRsaSigner:
    return SoftwareRsaSigner.generate("cbec sandbox test", not_before=datetime(2026, 1, 1))


@pytest.fixture(scope="module")
def other_signer() -> SoftwareRsaSigner:
    return SoftwareRsaSigner.generate("someone else", not_before=datetime(2026, 1, 1))


def test_signed_message_verifies_and_validates(signer: SoftwareRsaSigner) -> None:
    (message,) = build("CEB621", [import_list("9610")], TRANSFER, at=AT, signer=signer)
    assert check_message(message.data) == []  # the XSD requires ds:Signature in CEB621
    assert parse(message.data).is_signed
    result = verify(message.data, trusted=[signer.certificate])
    assert (result.signature_method, result.digest_method, result.key_name) == (RSA_SHA1, SHA1, signer.key_name)
    root = etree.fromstring(message.data)
    signature = root[-1]
    assert signature.tag == f"{DS}Signature"
    assert signature.find(f"{DS}SignedInfo/{DS}CanonicalizationMethod").get("Algorithm") == C14N_10
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    assert reference.get("URI") == ""
    assert [t.get("Algorithm") for t in reference.iter(f"{DS}Transform")] == [ENVELOPED]
    assert base64.b64decode(signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")) == signer.certificate


def test_signature_is_inserted_without_whitespace(signer: SoftwareRsaSigner) -> None:
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT, signer=signer)
    assert b"</ceb:BaseTransfer><ds:Signature" in message.data
    assert b"\n" not in message.data.split(b"<ds:Signature", 1)[1]


def test_the_digest_is_over_the_unsigned_canonical_document(signer: SoftwareRsaSigner) -> None:
    """What the e-port recomputes (CEB.md §5.3 test-vector lesson): SHA1 over C14N of the unsigned message."""
    (unsigned,) = build("CEB303", [export_order()], TRANSFER, at=AT)
    signed = sign(unsigned.data, signer)
    canonical = etree.tostring(etree.fromstring(unsigned.data).getroottree(), method="c14n")
    expected = base64.b64encode(signing._sha1(canonical)).decode()
    assert etree.fromstring(signed).findtext(f"{DS}Signature/{DS}SignedInfo/{DS}Reference/{DS}DigestValue") == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<ceb:goodsValue>59.9<", b"<ceb:goodsValue>59.8<"),  # an amount
        (b"<ceb:orderNo>EO202611230001<", b"<ceb:orderNo>EO202611230002<"),  # a key
        (
            b"</ceb:BaseTransfer>",
            b"</ceb:BaseTransfer><!-- x --><ceb:BaseSubscribe><ceb:status>ALL</ceb:status><ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpAddress>DXPENT0000000666</ceb:dxpAddress></ceb:BaseSubscribe>",
        ),
        (b'version="1.0"', b'version="1.1"'),  # an attribute
    ],
)
def test_any_change_to_the_message_is_caught(signer: SoftwareRsaSigner, old: bytes, new: bytes) -> None:
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT, signer=signer)
    assert old in message.data
    with pytest.raises(SignatureInvalid, match="digest"):
        verify(message.data.replace(old, new, 1))


def test_a_changed_signed_info_or_value_is_caught(signer: SoftwareRsaSigner) -> None:
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT, signer=signer)
    root = etree.fromstring(message.data)
    value = root.find(f"{DS}Signature/{DS}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0xFF
    value.text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SignatureInvalid, match="signature value"):
        verify(etree.tostring(root))
    # Re-digesting a tampered document does not help without the key.
    tampered = message.data.replace(b"59.9<", b"1.0<", 1)
    forged = etree.fromstring(tampered)
    canonical_unsigned = etree.fromstring(tampered)
    canonical_unsigned.remove(canonical_unsigned.find(f"{DS}Signature"))
    digest = base64.b64encode(signing._sha1(etree.tostring(canonical_unsigned.getroottree(), method="c14n"))).decode()
    forged.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference/{DS}DigestValue").text = digest
    with pytest.raises(SignatureInvalid, match="signature value"):
        verify(etree.tostring(forged))


def test_only_trusted_certificates_are_accepted(signer: SoftwareRsaSigner, other_signer: SoftwareRsaSigner) -> None:
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT, signer=other_signer)
    verify(message.data)  # self-consistent …
    with pytest.raises(SignatureInvalid, match="not trusted"):
        verify(message.data, trusted=[signer.certificate])  # … but not by whom we trust
    with pytest.raises(SignatureInvalid, match="signature value"):
        verify(message.data, certificate=signer.certificate)


def test_unsigned_and_double_signed_messages(signer: SoftwareRsaSigner) -> None:
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT)
    with pytest.raises(SignatureInvalid, match="Signature"):
        verify(message.data)
    signed = sign(message.data, signer)
    with pytest.raises(InvalidInput):
        sign(signed, signer)


def test_required_signature_is_checked_as_a_placeholder_until_signed(signer: SoftwareRsaSigner) -> None:
    """A CEB623 built unsigned (to be signed at send time by an HSM) is valid but for the signature."""
    (message,) = build("CEB623", DECLARATIONS["CEB623"], TRANSFER, at=AT)
    assert b"Signature" not in message.data
    assert check_message(message.data) == []
    signed = sign(message.data, signer)
    assert check_message(signed) == []
    verify(signed)


def test_export_signature_goes_before_extend_message(signer: SoftwareRsaSigner) -> None:
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT)
    root = etree.fromstring(message.data)
    extend = etree.SubElement(root, "{http://www.chinaport.gov.cn/ceb}ExtendMessage")
    for name, text in (("name", "demo"), ("version", "1.0")):
        etree.SubElement(extend, f"{{http://www.chinaport.gov.cn/ceb}}{name}").text = text
    etree.SubElement(etree.SubElement(extend, "{http://www.chinaport.gov.cn/ceb}Message"), "anything")
    signed = sign(etree.tostring(root), signer)
    names = [etree.QName(c).localname for c in etree.fromstring(signed)]
    assert names[-2:] == ["Signature", "ExtendMessage"]
    assert check_message(signed) == []
    verify(signed)


def test_pretty_printed_documents_keep_their_whitespace(signer: SoftwareRsaSigner) -> None:
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT)
    pretty = etree.tostring(etree.fromstring(message.data), pretty_print=True)
    verify(sign_document(pretty, signer))


@pytest.fixture
def device_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(signing, "_VERIFIERS", dict(signing._VERIFIERS))
    yield


def test_hardware_key_hook_signs_with_sm2_sm3_uris(signer: SoftwareRsaSigner, device_registry: None) -> None:
    """The production hook: a device function signs; the deployment registers the SM2 verifier.

    Here a stand-in device (RSA inside) shows the plumbing: SM3 digest, chinaport algorithm URIs,
    the device certificate in KeyInfo, and verification through the registered verifier.
    """
    calls: list[bytes] = []

    def device(data: bytes) -> bytes:
        calls.append(data)
        return signer.sign(data)

    ukey = HardwareKeySigner(device, certificate=signer.certificate, key_name="01691fe9")
    (message,) = build("CEB621", [import_list("1210")], TRANSFER, at=AT, signer=ukey)
    assert len(calls) == 1 and calls[0].startswith(b"<ds:SignedInfo")
    with pytest.raises(SignatureInvalid, match="register_verifier"):
        verify(message.data)
    signing.register_verifier(SM2_SM3, signing._verify_rsa_sha1)  # the deployment's SM2 verifier goes here
    result = verify(message.data)
    assert (result.signature_method, result.digest_method, result.key_name) == (SM2_SM3, SM3, "01691fe9")


def test_pem_keys_load(signer: SoftwareRsaSigner) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import load_der_x509_certificate

    key_pem = signer.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = load_der_x509_certificate(signer.certificate).public_bytes(serialization.Encoding.PEM)
    loaded = SoftwareRsaSigner.from_pem(key_pem, cert_pem)
    assert loaded.certificate == signer.certificate and loaded.key_name == signer.key_name
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT, signer=loaded)
    verify(message.data, trusted=[signer.certificate])
