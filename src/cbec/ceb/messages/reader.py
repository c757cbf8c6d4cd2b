"""The generic CEB reader: any message of the standard (declaration, receipt or one customs sends
first) → typed entities, typed by the official XSD where it defines a field. The counterpart of
``codec.build``; pure, the bytes are handed in."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from cbec.ceb.messages.codec import layout_of
from cbec.ceb.messages.model import BaseSubscribe, BaseTransfer, Entity, ParsedMessage
from cbec.ceb.schema import EntitySpec, FieldSpec
from cbec.ceb.xsd import CEB_NS, DS_NS, Layout, parse_xml
from cbec.errors import InvalidInput
from cbec.kit.money import in_range


def field_value(f: FieldSpec | None, text: str | None) -> Any:
    """The Python value of one XML text: Decimal, int or str (None for an empty number)."""
    text = text or ""
    if f is None or f.kind == "str":
        return text
    stripped = text.strip()
    if not stripped:
        return None
    if f.kind == "int":
        return int(stripped)
    value = Decimal(stripped)
    if not in_range(value):
        raise ValueError(stripped)
    return value


def _local(element: etree._Element) -> str:
    tag = element.tag  # "{namespace}name" or "name" (QName() would build an object per call)
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _read(element: etree._Element, spec: EntitySpec | None, document: str, line: int | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    by_name = spec.by_name if spec is not None else {}
    for child in element.iterchildren("*"):  # elements only: no comments, no processing instructions
        name = _local(child)
        text = child.text if len(child) == 0 else etree.tostring(child, encoding="unicode")
        try:
            values[name] = field_value(by_name.get(name), text)
        except (ValueError, InvalidOperation):
            where = f" line {line}" if line is not None else ""
            raise InvalidInput(
                f"{document}{where}: {name} is not a number: {text!r}",
                f"{document}{where}：{name} 不是数字：{text!r}",
                field=name,
                document=document,
            ) from None
    return values


EntityReader = Callable[[etree._Element, Layout, str], Entity]


def parse(
    data: bytes | etree._Element, *, document: str = "", read_entity: EntityReader | None = None
) -> ParsedMessage:
    """Read any CEB message of the standard (declaration, receipt or customs-initiated).

    Lenient on what customs sends (the official samples include a ``CEB214`` root without the
    ``Message`` suffix and fields the XSD does not define, such as ``appSenderId``): every field
    present is kept, typed by the XSD where it defines the field, text otherwise. Schema
    conformance is a separate question (``check_message``). ``read_entity`` replaces the reading
    of each entity (``compiled.parse_compiled``: the same result, read faster).
    """
    read_entity = read_entity or _read_entity
    root = parse_xml(data, document) if isinstance(data, bytes | bytearray) else data
    qname = etree.QName(root)
    if qname.namespace != CEB_NS:
        raise InvalidInput(
            f"{document or qname.localname}: not a CEB message (namespace {qname.namespace!r})",
            f"{document or qname.localname}：不是 CEB 报文（命名空间 {qname.namespace!r}）",
        )
    spec, lay = layout_of(qname.localname)
    label = document or spec.code
    entities: list[Entity] = []
    transfer: BaseTransfer | None = None
    subscribers: list[BaseSubscribe] = []
    signed = False
    ignored: list[str] = []
    for child in root.iterchildren("*"):
        child_q = etree.QName(child)
        name = child_q.localname
        if child_q.namespace == DS_NS and name == "Signature":
            signed = True
        elif child_q.namespace != CEB_NS:
            ignored.append(name)
        elif name == lay.entity:
            entities.append(read_entity(child, lay, f"{label} #{len(entities) + 1}"))
        elif name == "BaseTransfer":
            v = _read(child, None, label)
            transfer = BaseTransfer(
                copCode=v.get("copCode", ""),
                copName=v.get("copName", ""),
                dxpId=v.get("dxpId", ""),
                dxpMode=v.get("dxpMode", ""),
                note=v.get("note", ""),
            )
        elif name == "BaseSubscribe":
            v = _read(child, None, label)
            subscribers.append(
                BaseSubscribe(
                    status=v.get("status", ""),
                    dxpAddress=v.get("dxpAddress", ""),
                    dxpMode=v.get("dxpMode", ""),
                    note=v.get("note", ""),
                )
            )
        else:
            ignored.append(name)
    return ParsedMessage(
        message=spec.code,
        guid=root.get("guid", ""),
        version=root.get("version", ""),
        entities=tuple(entities),
        base_transfer=transfer,
        base_subscribe=tuple(subscribers),
        is_signed=signed,
        ignored=tuple(ignored),
    )


def _read_entity(element: etree._Element, lay: Layout, document: str) -> Entity:
    if lay.head is None:
        return Entity(_read(element, lay.head_spec, document))
    head: dict[str, Any] = {}
    lines: list[dict[str, Any]] = []
    for child in element.iterchildren("*"):
        name = _local(child)
        if name == lay.head:
            head = _read(child, lay.head_spec, document)
        elif name == lay.line:
            lines.append(_read(child, lay.line_spec, document, len(lines) + 1))
    return Entity(head, tuple(lines))
