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
from cbec.ceb.schema import FieldSpec
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


#: text and attribute escapes as libxml2 writes them (UTF-8 output: other characters as they are)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
)
_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"


def receipt_xml(code: str, entities: Sequence[Mapping[str, Any]], guid: str, *, check: bool = True) -> bytes:
    """A receipt message, fields in XSD order; checked against the official XSD when ``check``.

    Written here rather than with ``build`` because customs leaves some required fields empty
    until it assigns them: an export list receipt at status 2 carries an empty ``invtNo`` (the
    export XSD allows it; the import XSD makes invtNo optional instead). Written as text, each
    value through ``field_text`` (its facets checked as ``build`` checks them), byte for byte
    what ``receipt_tree`` (lxml) writes; a CEB900, which echoes the original message in CDATA,
    is written by ``receipt_tree``.
    """
    if any(values.get("oriBizMessage") for values in entities):
        data = receipt_tree(code, entities, guid)
    else:
        data = _receipt_text(code, entities, guid)
    if check:
        problems = check_message(data)
        if problems:
            raise SandboxFault(
                f"the sandbox built a {code} that fails its XSD: {problems[0]}",
                f"模拟海关生成的 {code} 未通过 XSD 校验：{problems[0]}",
            )
    return data


#: per receipt code: its layout's fields, and the escaped text of each (field, value) met so far
_TEXTS: dict[str, tuple[tuple[FieldSpec, ...], dict[tuple[int, type, Any], str]]] = {}


def _receipt_text(code: str, entities: Sequence[Mapping[str, Any]], guid: str) -> bytes:
    _spec, lay = layout_of(code)
    fields, texts = _TEXTS.setdefault(code, (lay.head_spec.fields, {}))
    if len(texts) > 1 << 16:
        texts.clear()
    ns = f'"{CEB_NS}"'
    parts = [f'{_DECLARATION}<ceb:{lay.root} xmlns:ceb={ns} guid="{guid.translate(_ATTR_ESCAPES)}" version="1.0">']
    open_entity, close_entity = f"<ceb:{lay.entity}>", f"</ceb:{lay.entity}>"
    for values in entities:
        parts.append(open_entity)
        for i, f in enumerate(fields):
            value = values.get(f.name)
            key = (i, type(value), value)
            try:
                element = texts.get(key)
            except TypeError:  # an unhashable value: not kept
                element, key = None, (i, object, object())
            if element is None:
                text = field_text(f, value)  # the value's facets checked, once per distinct value
                if text is None and not f.required:
                    element = ""
                else:
                    element = f"<ceb:{f.name}>{(text or '').translate(_TEXT_ESCAPES)}</ceb:{f.name}>"
                texts[key] = element
            parts.append(element)
        parts.append(close_entity)
    parts.append(f"</ceb:{lay.root}>")
    return "".join(parts).encode()


def receipt_tree(code: str, entities: Sequence[Mapping[str, Any]], guid: str) -> bytes:
    """The same receipt built as an lxml tree (the CEB900's CDATA; the reference of the text
    writer in the tests)."""
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
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
