"""Field rules read from the official CEB XSDs: order, required-ness, lengths, number facets.

The 202205 XSDs (``ceb-export-202205.xsd``, ``ceb-import-202205.xsd``) are the authority on
every field; CEB.md §3.4 lists where the PDF disagrees, and we trust the XSD. Rather than
re-typing some 900 field definitions, we read them once from the schema folder
(``CBEC_CEB_SCHEMA_DIR``, default ``../shared/reference/ceb/xsd``) and keep them. The schemas are
never copied into the repository.

Pure apart from reading the schema files once (cached per folder and file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from lxml import etree

from cbec.config import get_settings
from cbec.errors import CbecError

XS = "{http://www.w3.org/2001/XMLSchema}"
EXPORT_XSD = "ceb-export-202205.xsd"
IMPORT_XSD = "ceb-import-202205.xsd"


class SchemaUnavailable(CbecError):
    code = "schema_unavailable"
    http_status = 500


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One simple field of a CEB entity as its XSD defines it."""

    name: str
    required: bool  # minOccurs ≠ 0
    kind: str  # "str" | "decimal" | "int"
    length: int | None = None  # exact length (xs:length)
    min_length: int | None = None
    max_length: int | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None
    default: str | None = None
    doc_zh: str = ""  # the XSD's own annotation, e.g. "订单编号-交易平台的订单编号…"


@dataclass(frozen=True)
class EntitySpec:
    element: str  # e.g. "OrderHead"
    fields: tuple[FieldSpec, ...]
    children: tuple[tuple[str, int], ...]  # (child element, maxOccurs) for nested entities
    by_name: Mapping[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", MappingProxyType({f.name: f for f in self.fields}))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _int(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _field_spec(el: etree._Element) -> FieldSpec:
    name = el.get("name", "")
    required = el.get("minOccurs", "1") != "0"
    doc = el.findtext(f"{XS}annotation/{XS}documentation") or ""
    restriction = el.find(f"{XS}simpleType/{XS}restriction")
    base = restriction.get("base", "xs:string") if restriction is not None else (el.get("type") or "xs:string")
    kind = {"xs:decimal": "decimal", "xs:int": "int", "xs:integer": "int"}.get(base, "str")
    facets: dict[str, str] = {}
    if restriction is not None:
        for facet in restriction:
            if isinstance(facet.tag, str):
                facets[etree.QName(facet).localname] = facet.get("value", "")
    return FieldSpec(
        name=name,
        required=required,
        kind=kind,
        length=_int(facets.get("length")),
        min_length=_int(facets.get("minLength")),
        max_length=_int(facets.get("maxLength")),
        total_digits=_int(facets.get("totalDigits")),
        fraction_digits=_int(facets.get("fractionDigits")),
        default=el.get("default"),
        doc_zh=doc.strip(),
    )


@lru_cache(maxsize=4)
def _entities(path: Path) -> dict[str, EntitySpec]:
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise SchemaUnavailable(
            f"cannot read the CEB schema {path}: {exc}; set CBEC_CEB_SCHEMA_DIR to the folder of the official XSDs",
            f"无法读取 CEB 报文 XSD {path}：{exc}；请用 CBEC_CEB_SCHEMA_DIR 指定官方 XSD 所在目录",
        ) from exc
    out: dict[str, EntitySpec] = {}
    for el in root.findall(f"{XS}element"):
        sequence = el.find(f"{XS}complexType/{XS}sequence")
        if sequence is None:
            continue
        fields: list[FieldSpec] = []
        children: list[tuple[str, int]] = []
        for child in sequence.findall(f"{XS}element"):
            ref = child.get("ref")
            if ref is not None:
                occurs = child.get("maxOccurs", "1")
                children.append((ref.split(":")[-1], 10**9 if occurs == "unbounded" else int(occurs)))
            elif child.get("type") == "ceb:XMLElement":
                continue
            else:
                fields.append(_field_spec(child))
        out[el.get("name", "")] = EntitySpec(el.get("name", ""), tuple(fields), tuple(children))
    return out


def schema_dir() -> Path:
    directory = get_settings().ceb_schema_dir
    if directory is not None and directory in _FOUND:
        return directory  # looked up on every entity access: stat the folder once per process
    if directory is None or not directory.exists():
        raise SchemaUnavailable(
            "the official CEB XSD folder is not configured; set CBEC_CEB_SCHEMA_DIR",
            "未配置官方 CEB XSD 目录；请设置 CBEC_CEB_SCHEMA_DIR",
        )
    _FOUND.add(directory)
    return directory


#: schema folders seen to exist (only found ones are remembered: a folder made later is seen)
_FOUND: set[Path] = set()


def entity(xsd: str, element: str, directory: Path | None = None) -> EntitySpec:
    """The fields of a global element of the export or import schema, e.g. ("…export…", "OrderHead")."""
    specs = _entities((directory or schema_dir()) / xsd)
    try:
        return specs[element]
    except KeyError:
        raise SchemaUnavailable(f"{xsd} has no element {element}", f"{xsd} 中没有元素 {element}") from None
