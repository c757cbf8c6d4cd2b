"""Show one declaration's part of a sent message. Pure: bytes in, bytes out.

A message file carries up to a hundred entities, possibly of several sellers (CEB.md §2: one
message, many lists). A seller may read its own entity but not its neighbours', so the display
keeps the message's root, its ``BaseTransfer`` and the one entity; the signature is dropped
because it signs the whole file and no longer holds for the excerpt.
"""

from __future__ import annotations

from lxml import etree

from cbec.ceb.xsd import parse_xml

_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def entity_excerpt(data: bytes, guid: str) -> bytes:
    """The message with only the entity whose head carries ``guid`` (and BaseTransfer)."""
    root = parse_xml(data, "sent message")
    for child in list(root):
        if child.tag == _SIGNATURE:
            root.remove(child)
            continue
        if _local(child.tag) in ("BaseTransfer", "BaseSubscribe"):
            continue
        guids = {g.text for g in child.iter() if _local(g.tag) == "guid"}
        if guid not in guids:
            root.remove(child)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def pretty(data: bytes) -> str:
    """Indented text of an XML message, for reading on screen."""
    root = parse_xml(data, "message")
    etree.indent(root, space="  ")
    return str(etree.tostring(root, encoding="unicode"))
