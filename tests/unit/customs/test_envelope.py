"""DxpMsg (terminal node, CEB.md §2.3): wrap → unwrap gives back the message, and the envelope is valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from cbec.ceb.envelope import Envelope, envelope_for, open_message, unwrap, wrap, wrap_envelope
from cbec.ceb.messages import EXPORT_RECEIVER, IMPORT_RECEIVER, build, parse_receipts
from cbec.ceb.signing import SoftwareRsaSigner, verify
from cbec.ceb.xsd import DXP_TERMINAL_XSD, validate
from cbec.errors import HostileInput, InvalidInput

from .samples import AT, TRANSFER, export_order, import_order

RECEIPTS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "ceb" / "receipts"
SENDER = "DXPENT0000000001"


def test_wrap_unwrap_is_the_identity() -> None:
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT)
    wrapped = wrap(message.data, sender_id=SENDER, created_at=AT)
    assert validate(etree.fromstring(wrapped), DXP_TERMINAL_XSD) == []
    envelope = unwrap(wrapped)
    assert envelope.data == message.data
    assert envelope == Envelope(
        cop_msg_id=message.guid,
        sender_id=SENDER,
        receiver_ids=(EXPORT_RECEIVER,),
        created_at=AT,
        msg_type="CEB303Message",
        data=message.data,
    )
    assert wrap_envelope(envelope) == wrapped
    assert open_message(wrapped) == message.data
    assert open_message(message.data) == message.data


def test_import_messages_go_to_the_import_node_and_keys_are_kept() -> None:
    (message,) = build("CEB311", [import_order()], TRANSFER, at=AT)
    wrapped = wrap(
        message.data,
        sender_id=SENDER,
        created_at=datetime(2026, 11, 23, 2, 30, tzinfo=UTC),
        cop_msg_id="COP-0001",
        file_name="CEB311_0001.xml",
        biz_keys=[("orderNo", "IO202611230001")],
    )
    root = etree.fromstring(wrapped)
    ns = {"dxp": "http://www.chinaport.gov.cn/dxp"}
    assert root.findtext("dxp:TransInfo/dxp:ReceiverIds/dxp:ReceiverId", namespaces=ns) == IMPORT_RECEIVER
    assert root.findtext("dxp:TransInfo/dxp:CreatTime", namespaces=ns) == "2026-11-23T10:30:00"  # China time
    envelope = unwrap(wrapped)
    assert (envelope.cop_msg_id, envelope.file_name, envelope.biz_keys) == (
        "COP-0001",
        "CEB311_0001.xml",
        (("orderNo", "IO202611230001"),),
    )
    assert wrap_envelope(envelope) == wrapped


def test_a_signed_message_survives_the_envelope() -> None:
    signer = SoftwareRsaSigner.generate("cbec envelope test", not_before=datetime(2026, 1, 1))
    (message,) = build("CEB303", [export_order()], TRANSFER, at=AT, signer=signer)
    inner = unwrap(wrap(message.data, sender_id=SENDER, created_at=AT)).data
    verify(inner, trusted=[signer.certificate])


def test_receipts_arrive_in_an_envelope() -> None:
    receipt = (RECEIPTS_DIR / "CEB312Message.xml").read_bytes()
    envelope = envelope_for(
        receipt, sender_id=IMPORT_RECEIVER, receiver_ids=[SENDER], created_at=AT + timedelta(seconds=3)
    )
    records = parse_receipts(open_message(wrap_envelope(envelope)))
    assert records[0].keys["orderNo"] == "order20160321116420545"


def test_bad_envelopes_are_refused() -> None:
    with pytest.raises(HostileInput):
        unwrap(
            b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><DxpMsg xmlns="http://www.chinaport.gov.cn/dxp">&e;</DxpMsg>'
        )
    with pytest.raises(InvalidInput):
        unwrap(b'<DxpMsg xmlns="urn:other"/>')
    broken = wrap(build("CEB303", [export_order()], TRANSFER, at=AT)[0].data, sender_id=SENDER, created_at=AT)
    with pytest.raises(InvalidInput):
        unwrap(broken.replace(b"<dxp:Data>", b"<dxp:Data>%%%", 1))
    with pytest.raises(InvalidInput):
        wrap(b"<x/>", sender_id=SENDER, created_at=AT)
