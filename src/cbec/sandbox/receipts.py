"""Receipt files as customs writes them, and how the sandbox orders and names what it reads."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from cbec.ceb.messages import (
    BY_CODE,
    MessageSpec,
    check_message,
    field_text,
    layout_of,
)
from cbec.ceb.xsd import CEB_NS
from cbec.sandbox.schemas import SandboxFault

#: When files arrive together: orders, payments and waybills first, then lists, then what refers to lists.
_RANKS = {"CEB603": 1, "CEB621": 1, "CEB605": 2, "CEB623": 2, "CEB213": 2, "CEB625": 2, "CEB701": 2, "CEB513": 1}
_MESSAGE_IN = re.compile(rb"CEB(\d{3})Message")


def message_name(data: bytes) -> str:
    """The message type named in a file (plain or Base64 inside a DxpMsg), for logs and ordering."""
    match = _MESSAGE_IN.search(data[:4096])
    return f"CEB{match.group(1).decode()}" if match else ""


def rank(data: bytes) -> int:
    return _RANKS.get(message_name(data), 0)


def addressed(reply: dict[str, str] | None, spec: MessageSpec | None) -> dict[str, str] | None:
    """Answer a DxpMsg with a DxpMsg, from the customs node of the message's side (CEB.md §2.3)."""
    if reply is None:
        return None
    sender = spec.receiver if spec is not None else BY_CODE["CEB900"].receiver
    return {"sender": sender, "receiver": reply["receiver"]}


def _q(name: str) -> str:
    return f"{{{CEB_NS}}}{name}"


def receipt_xml(code: str, entities: Sequence[Mapping[str, Any]], guid: str) -> bytes:
    """A receipt message, fields in XSD order, checked against the official XSD.

    Written here rather than with ``build`` because customs leaves some required fields empty
    until it assigns them: an export list receipt at status 2 carries an empty ``invtNo`` (the
    export XSD allows it; the import XSD makes invtNo optional instead).
    """
    _spec, lay = layout_of(code)
    root = etree.Element(_q(lay.root), nsmap={"ceb": CEB_NS})
    root.set("guid", guid)
    root.set("version", "1.0")
    for values in entities:
        element = etree.SubElement(root, _q(lay.entity))
        for f in lay.head_spec.fields:
            text = field_text(f, values.get(f.name))
            if text is None:
                if not f.required:
                    continue
                text = ""
            child = etree.SubElement(element, _q(f.name))
            if f.name == "oriBizMessage" and text and "]]>" not in text:
                child.text = etree.CDATA(text)  # CEB900 echoes the original message in CDATA
            else:
                child.text = text
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    problems = check_message(data)
    if problems:
        raise SandboxFault(
            f"the sandbox built a {code} that fails its XSD: {problems[0]}",
            f"模拟海关生成的 {code} 未通过 XSD 校验：{problems[0]}",
        )
    return data
