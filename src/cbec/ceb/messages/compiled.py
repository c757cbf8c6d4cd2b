"""The generic CEB reader compiled per layout: the same result as ``reader.parse``, faster.

``parse`` looks up each child's local name and its field spec, then converts the text through
``field_value``, for every field of every entity. Here each entity spec is compiled once into a
table from the child's full tag (``{ns}name``) to its name and kind, text fields are taken as
they are, and number texts are converted once per distinct text (amounts and quantities recur).
Any child the table does not know (another namespace, a field the XSD does not define, a child
with children of its own) goes through the generic path, so the result is ``parse``'s, field for
field (``tests/unit/ceb/test_compiled_reader.py`` compares them). Pure, as ``reader``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from lxml import etree

from cbec.ceb.messages.codec import layout_of
from cbec.ceb.messages.model import Entity, ParsedMessage
from cbec.ceb.messages.reader import field_value, parse
from cbec.ceb.schema import EntitySpec
from cbec.ceb.xsd import CEB_NS, Layout, parse_xml
from cbec.errors import InvalidInput
from cbec.kit.money import in_range

_Table = dict[str, tuple[str, str]]
#: per entity spec (the specs live for the process, cached by the schema reader)
_TABLES: dict[int, tuple[EntitySpec, _Table]] = {}


def _table(spec: EntitySpec) -> _Table:
    cached = _TABLES.get(id(spec))
    if cached is not None and cached[0] is spec:
        return cached[1]
    table = {f"{{{CEB_NS}}}{f.name}": (f.name, f.kind) for f in spec.fields}
    _TABLES[id(spec)] = (spec, table)
    return table


@lru_cache(maxsize=1 << 16)
def _decimal(stripped: str) -> Decimal:
    value = Decimal(stripped)
    if not in_range(value):
        raise ValueError(stripped)
    return value


def _number(kind: str, text: str | None) -> Any:
    stripped = (text or "").strip()
    if not stripped:
        return None
    if kind == "int":
        return int(stripped)
    return _decimal(stripped)


def _not_a_number(document: str, line: int | None, name: str, text: str | None) -> InvalidInput:
    where = f" line {line}" if line is not None else ""
    return InvalidInput(
        f"{document}{where}: {name} is not a number: {text!r}",
        f"{document}{where}：{name} 不是数字：{text!r}",
        field=name,
        document=document,
    )


def _read(element: etree._Element, spec: EntitySpec, document: str, line: int | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    table = _table(spec)
    for child in element.iterchildren("*"):
        entry = table.get(child.tag)
        if entry is not None and len(child) == 0:
            name, kind = entry
            text = child.text
            if kind == "str":
                values[name] = text or ""
                continue
            try:
                values[name] = _number(kind, text)
            except (ValueError, InvalidOperation):
                raise _not_a_number(document, line, name, text) from None
            continue
        tag = child.tag
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        text = child.text if len(child) == 0 else etree.tostring(child, encoding="unicode")
        try:
            values[name] = field_value(spec.by_name.get(name), text)
        except (ValueError, InvalidOperation):
            raise _not_a_number(document, line, name, text) from None
    return values


def _read_entity(element: etree._Element, lay: Layout, document: str) -> Entity:
    if lay.head is None:
        return Entity(_read(element, lay.head_spec, document))
    head: dict[str, Any] = {}
    lines: list[dict[str, Any]] = []
    head_tag, line_tag = f"{{{CEB_NS}}}{lay.head}", f"{{{CEB_NS}}}{lay.line}"
    for child in element.iterchildren("*"):
        tag = child.tag
        if tag == head_tag or _local(tag) == lay.head:
            head = _read(child, lay.head_spec, document)
        elif (tag == line_tag or _local(tag) == lay.line) and lay.line_spec is not None:
            lines.append(_read(child, lay.line_spec, document, len(lines) + 1))
    return Entity(head, tuple(lines))


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def parse_compiled(data: bytes | etree._Element, *, document: str = "") -> ParsedMessage:
    """``reader.parse`` for a CEB message whose layout has a line spec when it has lines, its
    entities read by the compiled reader; any other message is read by ``parse`` alone. Same
    result, field for field."""
    root = parse_xml(data, document) if isinstance(data, bytes | bytearray) else data
    qname = etree.QName(root)
    if qname.namespace != CEB_NS:
        return parse(root, document=document)  # raises the reader's error
    _spec, lay = layout_of(qname.localname)
    if lay.line is not None and lay.line_spec is None:
        return parse(root, document=document)
    return parse(root, document=document, read_entity=_read_entity)
