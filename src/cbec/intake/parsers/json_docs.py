"""JSON documents whose field names are the CEB field names, one object or a list.

Two shapes are accepted for each item::

    {"type": "export_order", "head": {...OrderHead...}, "lines": [{...OrderList...}]}
    {"type": "import_order", "OrderHead": {...}, "OrderList": [{...}]}      # CEB element names

``type`` is one of export_order (CEB303), export_receipt (CEB403), export_waybill (CEB505),
import_order (CEB311), import_payment (CEB411), import_waybill (CEB511). For flat entities the
CEB element name carries the head (``Receipts``, ``Logistics``, ``PaymentHead``, ``LogisticsHead``).

Numbers are read with ``parse_float=Decimal``, so an amount is never a binary float; numbers
given as strings are coerced later by ``intake.rules``. Orders without ``ebpCode``/
``ebcCode`` (and their names) take them from the submission's context. An item that is not
an object or has an unknown ``type`` is reported with its position ("item 3"); the other items
are still read. Pure: bytes in, documents out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cbec.errors import FieldError, InvalidInput
from cbec.intake.documents import DocType, ParseContext, ParsedDocument
from cbec.intake.parsers.base import ParseResult
from cbec.kit.limits import load_json
from cbec.kit.money import in_range

#: CEB element names that may carry the head / the lines of each document type
HEAD_ELEMENTS: dict[DocType, tuple[str, ...]] = {
    DocType.EXPORT_ORDER: ("OrderHead",),
    DocType.EXPORT_RECEIPT: ("Receipts",),
    DocType.EXPORT_WAYBILL: ("Logistics",),
    DocType.IMPORT_ORDER: ("OrderHead",),
    DocType.IMPORT_PAYMENT: ("PaymentHead", "Payment"),
    DocType.IMPORT_WAYBILL: ("LogisticsHead", "Logistics"),
}
LINE_ELEMENTS: dict[DocType, str] = {DocType.EXPORT_ORDER: "OrderList", DocType.IMPORT_ORDER: "OrderList"}
_ORDERS = frozenset({DocType.EXPORT_ORDER, DocType.IMPORT_ORDER})
_ACCEPTED = ", ".join(t.value for t in HEAD_ELEMENTS)


def _error(item: int, field: str, zh: str, en: str) -> FieldError:
    return FieldError("format", field, zh, en, document=f"item {item}")


def _load(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the JSON submission is not UTF-8 (byte {exc.start})",
            f"JSON 提交内容不是 UTF-8 编码（第 {exc.start} 字节）",
        ) from None
    try:
        return load_json(text, "the JSON submission", "JSON 提交内容", parse_float=_number, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the submission is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            f"提交内容不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}",
            field="json",
        ) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise InvalidInput(
            f"the submission is not valid JSON: {exc}", f"提交内容不是有效的 JSON：{exc}", field="json"
        ) from None


def _number(text: str) -> Decimal | str:
    """A JSON number as an exact Decimal; one no amount can be (1E+999999999) stays the text it
    was, and the field rules name it as not a number in its document."""
    value = Decimal(text)
    return value if in_range(value) else text


def _constant(name: str) -> Any:
    """NaN and Infinity are not JSON (Python reads them as floats): no amount may be one."""
    raise InvalidInput(
        f"the submission is not valid JSON: {name} is not a number JSON allows",
        f"提交内容不是有效的 JSON：{name} 不是 JSON 允许的数值",
        field="json",
    )


def _document(item: Mapping[str, Any], n: int, ctx: ParseContext, result: ParseResult) -> ParsedDocument | None:
    raw_type = item.get("type")
    try:
        doc_type = DocType(str(raw_type))
        if doc_type not in HEAD_ELEMENTS:
            raise ValueError
    except ValueError:
        result.errors.append(
            _error(
                n,
                "type",
                f"未知单证类型 {raw_type!r}；可选：{_ACCEPTED}",
                f"unknown document type {raw_type!r}; allowed: {_ACCEPTED}",
            )
        )
        return None
    head_src = item.get("head")
    if head_src is None:
        head_src = next((item[k] for k in HEAD_ELEMENTS[doc_type] if k in item), None)
    if not isinstance(head_src, Mapping):
        result.errors.append(
            _error(
                n,
                "head",
                "缺少表头对象 head（或 CEB 元素名）",
                f"no head object ('head' or {'/'.join(HEAD_ELEMENTS[doc_type])})",
            )
        )
        return None
    lines_src = item.get("lines")
    if lines_src is None and doc_type in LINE_ELEMENTS:
        lines_src = item.get(LINE_ELEMENTS[doc_type], [])
    lines_src = lines_src or []
    if isinstance(lines_src, Mapping):
        lines_src = [lines_src]
    if not isinstance(lines_src, list) or not all(isinstance(ln, Mapping) for ln in lines_src):
        result.errors.append(_error(n, "lines", "lines 应为对象数组", "lines must be a list of objects"))
        return None
    head = dict(head_src)
    if doc_type in _ORDERS:
        head.setdefault("ebcCode", ctx.seller_code)
        head.setdefault("ebcName", ctx.seller_name)
        if ctx.platform_code:
            head.setdefault("ebpCode", ctx.platform_code)
            head.setdefault("ebpName", ctx.platform_name)
        head.setdefault("orderType", "E" if doc_type is DocType.EXPORT_ORDER else "I")
    result.stats[doc_type.value] += 1
    return ParsedDocument(doc_type, head, tuple(dict(ln) for ln in lines_src), source_ref=f"item {n}")


def parse(data: bytes, ctx: ParseContext) -> ParseResult:
    payload = _load(data)
    items = payload if isinstance(payload, list) else [payload]
    result = ParseResult()
    result.stats["items"] = len(items)
    for n, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            result.errors.append(_error(n, "item", "每一项应为 JSON 对象", "each item must be a JSON object"))
            continue
        doc = _document(item, n, ctx, result)
        if doc is not None:
            assert isinstance(result.documents, list)
            result.documents.append(doc)
    return result
