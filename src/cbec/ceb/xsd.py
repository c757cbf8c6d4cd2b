"""The official CEB schemas, read at run time: hardened parsing, compiled validators, message layouts.

The XSDs live outside the repository (``CBEC_CEB_SCHEMA_DIR``, by default
``../shared/reference/ceb/xsd``) and are never copied into it. Everything a builder needs to
know about a message — which entity it carries, how many, its head and line elements and their
limits, whether a ``ds:Signature`` is required and where it goes — is read here from the
``CEBnnnMessage`` element of the export or import schema, and the fields of each entity from
``cbec.ceb.schema``. Nothing about field order, required-ness or lengths is typed by hand.

This module stands in for the planned ``cbec.kit.xml`` (same names: ``parse_xml``, ``schema``,
``validate``); when that lands, these can delegate to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from cbec.ceb.schema import EXPORT_XSD, IMPORT_XSD, EntitySpec, SchemaUnavailable, entity, schema_dir
from cbec.errors import HostileInput, InvalidInput
from cbec.kit.limits import refuse_xml_depth, xml_depth_over

XS = "{http://www.w3.org/2001/XMLSchema}"
CEB_NS = "http://www.chinaport.gov.cn/ceb"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DXP_NS = "http://www.chinaport.gov.cn/dxp"
DXP_TERMINAL_XSD = "dxp-terminal-202205.xsd"

__all__ = [
    "CEB_NS",
    "DS_NS",
    "DXP_NS",
    "DXP_TERMINAL_XSD",
    "EXPORT_XSD",
    "IMPORT_XSD",
    "Layout",
    "layout",
    "parse_xml",
    "schema",
    "validate",
]


_DOCTYPE = re.compile(rb"<!\s*DOCTYPE", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_:]")


def _has_doctype(head: bytes) -> bool:
    """A DOCTYPE in the prolog (before the root element; later it would be text or CDATA)."""
    doctype = _DOCTYPE.search(head)
    if doctype is None:
        return False
    root = _FIRST_ELEMENT.search(head)
    return root is None or doctype.start() < root.start()


def parse_xml(data: bytes, document: str = "", document_zh: str = "") -> etree._Element:
    """Parse bytes that came from outside: no DTD, no entity expansion, no network.

    A document that carries a DOCTYPE is refused outright (a CEB or DXP message never has one),
    so entity-expansion and external-entity attacks cannot reach the parser's output.
    ``document``/``document_zh`` name the input in the English and Chinese messages.
    """
    en = document or "message"
    zh = document_zh or document or "报文"
    if not isinstance(data, bytes | bytearray):
        raise InvalidInput(f"{en}: expected bytes", f"{zh}：应为字节串")
    if _has_doctype(bytes(data[:65536])) or _has_doctype(bytes(data[:131072]).replace(b"\x00", b"")):
        # refused before libxml2 sees it: entity declarations live only in a DOCTYPE
        raise HostileInput(
            f"{en} carries a DOCTYPE (DTDs and entities are not accepted); refused",
            f"{zh}含有 DOCTYPE 声明（不接受 DTD 和实体），已拒绝",
        )
    # A new parser per call: lxml parsers must not be shared between threads.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )
    try:
        root = etree.fromstring(bytes(data), parser)
    except etree.XMLSyntaxError as exc:
        if _DOCTYPE.search(bytes(data).replace(b"\x00", b"")):
            # a DOCTYPE behind a prolog longer than the look-ahead above: libxml2 stopped its
            # entities (amplification limit) or choked on them; an attack all the same
            raise HostileInput(
                f"{en} carries a DOCTYPE (DTDs and entities are not accepted); refused",
                f"{zh}含有 DOCTYPE 声明（不接受 DTD 和实体），已拒绝",
            ) from None
        raise InvalidInput(
            f"{en} is not well-formed XML: {exc}",
            f"{zh}不是格式正确的 XML：{exc}",
        ) from exc
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise HostileInput(
            f"{en} carries a DOCTYPE; refused",
            f"{zh}含有 DOCTYPE 声明，已拒绝",
        )
    if xml_depth_over(root):
        raise refuse_xml_depth(en, zh)
    return root


@lru_cache(maxsize=8)
def _compiled(path: Path) -> etree.XMLSchema:
    try:
        # The schema's own xs:import of xmldsig-core-schema.xsd resolves beside it, offline.
        return etree.XMLSchema(etree.parse(str(path), etree.XMLParser(no_network=True)))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaUnavailable(
            f"cannot compile the schema {path}: {exc}; set CBEC_CEB_SCHEMA_DIR to the folder of the official XSDs",
            f"无法编译 XSD {path}：{exc}；请用 CBEC_CEB_SCHEMA_DIR 指定官方 XSD 所在目录",
        ) from exc


def schema(name: str, directory: Path | None = None) -> etree.XMLSchema:
    """A compiled official schema by file name (``ceb-export-202205.xsd`` …), cached."""
    return _compiled((directory or schema_dir()) / name)


def validate(element: etree._Element, schema_name: str) -> list[str]:
    """Schema errors of ``element`` (as a whole document) against one official XSD; [] when valid."""
    compiled = schema(schema_name)
    if compiled.validate(element.getroottree() if element.getparent() is None else _detached(element)):
        return []
    return [f"line {e.line}: {e.message}" for e in compiled.error_log]  # type: ignore[attr-defined]


def _detached(element: etree._Element) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(etree.tostring(element)))


@dataclass(frozen=True)
class Layout:
    """How one CEB message is put together, as its ``CEBnnnMessage`` element in the XSD says."""

    code: str  # "CEB303"
    root: str  # "CEB303Message"
    xsd: str  # schema file
    entity: str  # business entity element: "Order", "Receipts", "OrderReturn" …
    max_entities: int  # maxOccurs of the entity (100; 1 for CEB711/CEB900; "unbounded" → 10**9)
    head: str | None  # "OrderHead" when the entity wraps a head; None when the entity is flat
    line: str | None  # "OrderList" …; None when the entity has no lines
    min_lines: int
    max_lines: int  # 10**9 for "unbounded"
    head_spec: EntitySpec  # fields of the head (or of the flat entity itself)
    line_spec: EntitySpec | None
    has_base_transfer: bool
    max_subscribers: int
    signature: str  # "none" | "optional" | "required"
    signature_before_extend: bool  # export: ds:Signature precedes ExtendMessage; import: follows it
    #: fields the XSD fixes to one value (export fFlag/iFlag "3", import currency "142")
    head_fixed: Mapping[str, str] = field(default_factory=dict)
    line_fixed: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_flat(self) -> bool:
        return self.head is None


_UNBOUNDED = 10**9


def _occurs(value: str | None, default: int = 1) -> int:
    if value is None:
        return default
    return _UNBOUNDED if value == "unbounded" else int(value)


def _local(ref: str) -> str:
    return ref.rsplit(":", maxsplit=1)[-1]


def _fixed(definition: etree._Element | None) -> dict[str, str]:
    if definition is None:
        return {}
    return {
        el.get("name", ""): el.get("fixed", "")
        for el in definition.findall(f"{XS}complexType/{XS}sequence/{XS}element")
        if el.get("fixed") is not None
    }


@lru_cache(maxsize=128)
def _layout(directory: Path, xsd: str, code: str) -> Layout:
    path = directory / xsd
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise SchemaUnavailable(
            f"cannot read the CEB schema {path}: {exc}", f"无法读取 CEB 报文 XSD {path}：{exc}"
        ) from exc
    root_name = f"{code}Message"
    globals_ = {el.get("name"): el for el in tree.getroot().findall(f"{XS}element")}
    message_el = globals_.get(root_name)
    if message_el is None:
        raise SchemaUnavailable(f"{xsd} defines no {root_name}", f"{xsd} 中没有 {root_name}")
    children = message_el.findall(f"{XS}complexType/{XS}sequence/{XS}element")
    entity_el = children[0]
    entity_name = entity_el.get("name") or _local(entity_el.get("ref", ""))
    # The entity is either declared inline (import: <xs:element name="Order">) or by reference.
    entity_def = entity_el if entity_el.get("name") else globals_[entity_name]
    parts = entity_def.findall(f"{XS}complexType/{XS}sequence/{XS}element")
    refs = [p for p in parts if p.get("ref")]
    head = line = None
    min_lines = max_lines = 0
    if refs and len(refs) == len(parts):  # a wrapper: head (+ lines)
        head = _local(refs[0].get("ref", ""))
        if len(refs) > 1:
            line = _local(refs[1].get("ref", ""))
            min_lines = _occurs(refs[1].get("minOccurs"))
            max_lines = _occurs(refs[1].get("maxOccurs"))
    names = [_local(c.get("ref") or c.get("name") or "") for c in children]
    signature = "none"
    for c in children:
        if c.get("ref") == "ds:Signature":
            signature = "optional" if c.get("minOccurs") == "0" else "required"
    subscribers = next((_occurs(c.get("maxOccurs")) for c in children if c.get("ref") == "ceb:BaseSubscribe"), 0)
    before_extend = (
        "Signature" in names and "ExtendMessage" in names and names.index("Signature") < names.index("ExtendMessage")
    )
    return Layout(
        code=code,
        root=root_name,
        xsd=xsd,
        entity=entity_name,
        max_entities=_occurs(entity_el.get("maxOccurs")),
        head=head,
        line=line,
        min_lines=min_lines,
        max_lines=max_lines,
        head_spec=entity(xsd, head or entity_name, directory),
        line_spec=entity(xsd, line, directory) if line else None,
        has_base_transfer="BaseTransfer" in names,
        max_subscribers=subscribers,
        signature=signature,
        signature_before_extend=before_extend,
        head_fixed=_fixed(globals_.get(head or entity_name)),
        line_fixed=_fixed(globals_.get(line)) if line else {},
    )


def layout(xsd: str, code: str, directory: Path | None = None) -> Layout:
    """The layout of message ``code`` ("CEB303") in schema file ``xsd``, read from the XSD once."""
    return _layout(directory or schema_dir(), xsd, code)


def base_spec(xsd: str, element: str) -> EntitySpec:
    """Fields of BaseTransfer / BaseSubscribe in one schema."""
    return entity(xsd, element)
