"""The terminal-node envelope ``DxpMsg`` (CEB.md §2.3): wrap a CEB message for the e-port, unwrap receipts.

An enterprise that builds its own access (终端节点) sends each CEB XML Base64-encoded in
``<dxp:DxpMsg ver="1.0">`` with a ``TransInfo`` naming the sender's DXP id, the receiver (customs
export node ``DXPEDCCEB0000003`` or import node ``DXPEDCCEB0000002``), a creation time and the
message type; receipts come back the same way. The envelope is checked against the official
``dxp-terminal-202205.xsd``.

Pure: the creation time is passed in.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from cbec.ceb.messages.catalogue import message_spec
from cbec.ceb.messages.codec import CHINA_TIME
from cbec.ceb.xsd import CEB_NS, DXP_NS, DXP_TERMINAL_XSD, parse_xml, validate
from cbec.errors import InvalidInput, ValidationFailed


@dataclass(frozen=True, slots=True)
class Envelope:
    """The contents of a ``DxpMsg``: who sends what to whom, and the message itself."""

    cop_msg_id: str  # CopMsgId: the sender's unique id of this transmission (≤255)
    sender_id: str  # SenderId: sender's DXP id (≤16), e.g. DXPENT0000458763
    receiver_ids: tuple[str, ...]  # ReceiverIds/ReceiverId, 1..5
    created_at: datetime  # CreatTime (xs:dateTime, written yyyy-mm-ddThh:mm:ss, China time)
    msg_type: str  # MsgType, e.g. "CEB303Message"
    data: bytes  # the CEB message (Data, Base64 on the wire)
    file_name: str | None = None  # AddInfo/FileName
    ic_card: str | None = None  # AddInfo/IcCard
    biz_keys: tuple[tuple[str, str], ...] = field(default=())  # AddInfo/BizKey/Key@name, ≤5


def _dxp(name: str) -> str:
    return f"{{{DXP_NS}}}{name}"


def _creat_time(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(CHINA_TIME).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat(timespec="seconds")


def envelope_for(
    message: bytes,
    *,
    sender_id: str,
    created_at: datetime,
    receiver_ids: Sequence[str] | None = None,
    cop_msg_id: str | None = None,
    file_name: str | None = None,
    biz_keys: Sequence[tuple[str, str]] = (),
) -> Envelope:
    """The envelope for a CEB message, with defaults read from the message itself.

    ``MsgType`` is the message's root element; the receiver defaults to the customs node of its
    side (export/import); ``CopMsgId`` defaults to the message's own guid, so a receipt can be
    traced back to the message without another table.
    """
    root = parse_xml(message, "CEB message")
    qname = etree.QName(root)
    if qname.namespace != CEB_NS:
        raise InvalidInput("only CEB messages are wrapped in a DxpMsg", "只有 CEB 报文才能装入 DxpMsg")
    spec = message_spec(qname.localname)
    return Envelope(
        cop_msg_id=cop_msg_id or root.get("guid") or "",
        sender_id=sender_id,
        receiver_ids=tuple(receiver_ids) if receiver_ids else (spec.receiver,),
        created_at=created_at,
        msg_type=qname.localname,
        data=message,
        file_name=file_name,
        biz_keys=tuple(biz_keys),
    )


def wrap_envelope(envelope: Envelope, *, check: bool = True) -> bytes:
    """Serialise an envelope as ``DxpMsg`` XML (checked against the terminal-node XSD)."""
    root = etree.Element(_dxp("DxpMsg"), nsmap={"dxp": DXP_NS})
    root.set("ver", "1.0")
    info = etree.SubElement(root, _dxp("TransInfo"))
    etree.SubElement(info, _dxp("CopMsgId")).text = envelope.cop_msg_id
    etree.SubElement(info, _dxp("SenderId")).text = envelope.sender_id
    receivers = etree.SubElement(info, _dxp("ReceiverIds"))
    for receiver in envelope.receiver_ids:
        etree.SubElement(receivers, _dxp("ReceiverId")).text = receiver
    etree.SubElement(info, _dxp("CreatTime")).text = _creat_time(envelope.created_at)
    etree.SubElement(info, _dxp("MsgType")).text = envelope.msg_type
    etree.SubElement(root, _dxp("Data")).text = base64.b64encode(envelope.data).decode("ascii")
    if envelope.file_name or envelope.ic_card or envelope.biz_keys:
        add = etree.SubElement(root, _dxp("AddInfo"))
        if envelope.file_name:
            etree.SubElement(add, _dxp("FileName")).text = envelope.file_name
        if envelope.ic_card:
            etree.SubElement(add, _dxp("IcCard")).text = envelope.ic_card
        if envelope.biz_keys:
            keys = etree.SubElement(add, _dxp("BizKey"))
            for name, value in envelope.biz_keys:
                etree.SubElement(keys, _dxp("Key"), name=name).text = value
    if check:
        problems = validate(root, DXP_TERMINAL_XSD)
        if problems:
            raise ValidationFailed(
                f"DxpMsg does not validate against {DXP_TERMINAL_XSD}: {problems[0]}",
                f"DxpMsg 未通过 {DXP_TERMINAL_XSD} 校验：{problems[0]}",
            )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def wrap(
    message: bytes,
    *,
    sender_id: str,
    created_at: datetime,
    receiver_ids: Sequence[str] | None = None,
    cop_msg_id: str | None = None,
    file_name: str | None = None,
    biz_keys: Sequence[tuple[str, str]] = (),
    check: bool = True,
) -> bytes:
    """Wrap a (signed) CEB message in a ``DxpMsg`` for the e-port."""
    envelope = envelope_for(
        message,
        sender_id=sender_id,
        created_at=created_at,
        receiver_ids=receiver_ids,
        cop_msg_id=cop_msg_id,
        file_name=file_name,
        biz_keys=biz_keys,
    )
    return wrap_envelope(envelope, check=check)


def _text(parent: etree._Element, path: str) -> str:
    return parent.findtext(path) or ""


def unwrap(data: bytes) -> Envelope:
    """Read a ``DxpMsg``: the transmission details and the CEB message bytes inside."""
    root = parse_xml(data, "DxpMsg")
    if root.tag != _dxp("DxpMsg"):
        raise InvalidInput(f"not a DxpMsg: {root.tag}", f"不是 DxpMsg：{root.tag}")
    info = root.find(_dxp("TransInfo"))
    if info is None:
        raise InvalidInput("DxpMsg without TransInfo", "DxpMsg 缺少 TransInfo")
    try:
        payload = base64.b64decode("".join(_text(root, _dxp("Data")).split()), validate=True)
    except ValueError:  # binascii.Error, or a character that is not ASCII at all
        raise InvalidInput("DxpMsg Data is not Base64", "DxpMsg 的 Data 不是 Base64", field="Data") from None
    created_text = _text(info, _dxp("CreatTime"))
    try:
        created_at = datetime.fromisoformat(created_text)
    except ValueError:
        raise InvalidInput(
            f"DxpMsg CreatTime is not a date-time: {created_text!r}", f"CreatTime 不是日期时间：{created_text!r}"
        ) from None
    add = root.find(_dxp("AddInfo"))
    return Envelope(
        cop_msg_id=_text(info, _dxp("CopMsgId")),
        sender_id=_text(info, _dxp("SenderId")),
        receiver_ids=tuple(r.text or "" for r in info.iterfind(f"{_dxp('ReceiverIds')}/{_dxp('ReceiverId')}")),
        created_at=created_at,
        msg_type=_text(info, _dxp("MsgType")),
        data=payload,
        file_name=(add.findtext(_dxp("FileName")) if add is not None else None),
        ic_card=(add.findtext(_dxp("IcCard")) if add is not None else None),
        biz_keys=tuple((k.get("name", ""), k.text or "") for k in add.iterfind(f"{_dxp('BizKey')}/{_dxp('Key')}"))
        if add is not None
        else (),
    )


def open_message(data: bytes) -> bytes:
    """The CEB message in ``data``, whether it arrived bare or inside a ``DxpMsg``."""
    root = parse_xml(data, "incoming message")
    return unwrap(data).data if root.tag == _dxp("DxpMsg") else data
