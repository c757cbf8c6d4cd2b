"""The generic CEB codec: documents → XML messages and back, driven by the XSD and the catalogue.

One builder and one parser serve every message of the standard. For each message the layout
(entity, head, lines, limits, signature position) and the fields (order, required-ness, lengths,
digits) come from the official XSD (``xsd.layout``); the catalogue row adds what the XSD cannot
say (codes, trade-mode rules, document keys). So a field is never misspelt, misplaced or
forgotten, and a new XSD version needs no code change.

Values: ``Decimal`` for xs:decimal fields (N19,5, written in plain notation without trailing
zeros, ``money.ceb_text``), ``int`` for xs:int, ``str`` for the rest; ``datetime``/``date`` are
accepted for the fixed-length time fields (8, 14 or 17 characters: YYYYMMDD, YYYYMMDDhhmmss,
yyyyMMddHHmmssSSS) and written in China time (UTC+8). Floats are refused: no binary fractions
near an amount. Keys a document carries that the entity does not define (the intake extension
fields such as ``orderTime`` or ``hsCode``) are not written.

Pure: no I/O beyond the cached schema files; the time is passed in (``at``), never read.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from lxml import etree

from cbec.ceb.messages.catalogue import MessageSpec, message_spec
from cbec.ceb.messages.model import (
    BaseSubscribe,
    BaseTransfer,
    BuiltMessage,
    Entity,
    EntityLike,
)
from cbec.ceb.schema import EntitySpec, FieldSpec
from cbec.ceb.signing import Signer, placeholder_signature, sign_element
from cbec.ceb.xsd import CEB_NS, DS_NS, Layout, base_spec, layout, parse_xml, validate
from cbec.errors import FieldError, InvalidInput, ValidationFailed
from cbec.kit.money import ceb_text

#: Customs reads CEB times as Beijing time; China has kept UTC+8 without DST since 1991.
CHINA_TIME = timezone(timedelta(hours=8), "CST")
#: At most this many entities per message, whatever the XSD allows (CEB.md §2.1).
MAX_ENTITIES = 100
#: Characters XML 1.0 cannot carry at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TIME_FORMATS = {8: "%Y%m%d", 14: "%Y%m%d%H%M%S"}


def new_guid() -> str:
    """A 36-character message/entity guid, upper case as the spec asks (CEB.md §3.2)."""
    return str(uuid.uuid4()).upper()


def layout_of(message: str) -> tuple[MessageSpec, Layout]:
    spec = message_spec(message)
    return spec, layout(spec.xsd, spec.code)


@lru_cache(maxsize=4096)
def _q(name: str) -> str:
    return f"{{{CEB_NS}}}{name}"


# --- values ---------------------------------------------------------------------------------


class _Problem(Exception):
    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


def _time_text(value: date, length: int | None) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA_TIME)
        if length == 17:
            return value.strftime("%Y%m%d%H%M%S") + f"{value.microsecond // 1000:03d}"
        if length in _TIME_FORMATS:
            return value.strftime(_TIME_FORMATS[length])
    elif length == 8:
        return value.strftime("%Y%m%d")
    raise _Problem("type", "该字段不是日期时间字段", "this field does not take a date or time")


def _decimal_text(f: FieldSpec, value: Any) -> str:
    if (type(value) is Decimal and value.is_finite()) or type(value) is str:
        # the same amounts and quantities recur across lines and messages: the text of a value
        # under given digit facets is computed once (Decimal('1.0') and Decimal('1.00') give the
        # same text and the same facet checks, so equal values may share an entry)
        return _decimal_text_cached(f.total_digits, f.fraction_digits, value)
    return _decimal_text_uncached(f.total_digits, f.fraction_digits, value)


@lru_cache(maxsize=1 << 16)
def _decimal_text_cached(total_digits: int | None, fraction_digits: int | None, value: Any) -> str:
    return _decimal_text_uncached(total_digits, fraction_digits, value)


def _decimal_text_uncached(total_digits: int | None, fraction_digits: int | None, value: Any) -> str:
    if isinstance(value, bool | float):
        raise _Problem(
            "type", "金额和数量须为 Decimal，不接受浮点数", "amounts and quantities must be Decimal, not float"
        )
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise _Problem("number", f"不是数字：{value!r}", f"not a number: {value!r}") from None
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _Problem("number", f"不是数字：{value!r}", f"not a number: {value!r}")
    _sign, digits, exponent = value.normalize().as_tuple()
    if not isinstance(exponent, int):
        raise _Problem("number", f"不是数字：{value!r}", f"not a number: {value!r}")
    # xs:totalDigits counts the digits of i in i × 10^-n (leading zeros of 0.00x do not count).
    fraction = max(0, -exponent)
    total = max(1, max(0, len(digits) + exponent) + fraction)
    if fraction_digits is not None and fraction > fraction_digits:
        raise _Problem(
            "digits",
            f"小数位超过 {fraction_digits} 位：{value}（请先按规则舍入）",
            f"more than {fraction_digits} decimals: {value} (round it by a named rule first)",
        )
    if total_digits is not None and total > total_digits:
        raise _Problem("digits", f"超过 {total_digits} 位数字：{value}", f"more than {total_digits} digits: {value}")
    return ceb_text(value)


def _int_text(f: FieldSpec, value: Any) -> str:
    if isinstance(value, bool | float):
        raise _Problem("type", "须为整数", "must be an integer")
    integral_text = isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value)
    integral_decimal = isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()
    if integral_text or integral_decimal:
        value = int(value)
    if not isinstance(value, int):
        raise _Problem("type", f"须为整数：{value!r}", f"must be an integer: {value!r}")
    if f.total_digits is not None and len(str(abs(value))) > f.total_digits:
        raise _Problem(
            "digits", f"超过 {f.total_digits} 位数字：{value}", f"more than {f.total_digits} digits: {value}"
        )
    if not -(2**31) <= value < 2**31:
        raise _Problem("digits", f"超出 xs:int 范围：{value}", f"outside xs:int: {value}")
    return str(value)


def _str_text(f: FieldSpec, value: Any) -> str:
    if type(value) is str:  # codes, names and units recur: check each distinct text once per facet set
        return _str_text_cached(f.length, f.min_length, f.max_length, value)
    return _str_text_uncached(f, value)


@lru_cache(maxsize=1 << 16)
def _str_text_cached(length: int | None, min_length: int | None, max_length: int | None, value: str) -> str:
    return _str_checked(length, min_length, max_length, value)


def _str_text_uncached(f: FieldSpec, value: Any) -> str:
    if isinstance(value, date):
        value = _time_text(value, f.length)
    if not isinstance(value, str):
        raise _Problem("type", f"须为文本：{value!r}", f"must be text: {value!r}")
    return _str_checked(f.length, f.min_length, f.max_length, value)


def _str_checked(length: int | None, min_length: int | None, max_length: int | None, value: str) -> str:
    if _NOT_XML.search(value):
        raise _Problem("characters", "含有 XML 不能承载的控制字符", "contains control characters XML cannot carry")
    n = len(value)
    if length is not None and n != length:
        raise _Problem("length", f"长度须为 {length}（实为 {n}）", f"must be exactly {length} characters (is {n})")
    if max_length is not None and n > max_length:
        raise _Problem("max_length", f"长度超过 {max_length}（实为 {n}）", f"longer than {max_length} (is {n})")
    if min_length is not None and n < min_length:
        raise _Problem("min_length", f"长度不足 {min_length}", f"shorter than {min_length}")
    return value


def field_text(f: FieldSpec, value: Any) -> str | None:
    """The XML text of one value, or None when the value is absent (None or empty text)."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if f.kind == "decimal":
        return _decimal_text(f, value)
    if f.kind == "int":
        return _int_text(f, value)
    return _str_text(f, value)


# --- building -------------------------------------------------------------------------------

_Plan = tuple[tuple[str, str, bool, int | None, int | None, int | None, FieldSpec], ...]
#: per entity spec (the specs live for the process, cached by the schema reader)
_PLANS: dict[int, tuple[EntitySpec, _Plan]] = {}


def _plan(spec: EntitySpec) -> _Plan:
    """The fields of a spec flattened for the build loop (one tuple unpack instead of attribute
    lookups per field of every line)."""
    found = _PLANS.get(id(spec))
    if found is not None and found[0] is spec:
        return found[1]
    plan = tuple((f.name, _q(f.name), f.kind == "str", f.length, f.min_length, f.max_length, f) for f in spec.fields)
    _PLANS[id(spec)] = (spec, plan)
    return plan


class _Builder:
    def __init__(self, spec: MessageSpec, lay: Layout) -> None:
        self.spec, self.lay = spec, lay
        self.errors: list[FieldError] = []
        #: entity index (in the call's ``entities``) → its problems; -1 for BaseTransfer/BaseSubscribe
        self.by_entity: dict[int, list[FieldError]] = {}
        self.current = -1

    def label(self, head: Mapping[str, Any], index: int) -> str:
        keys = " ".join(f"{k}={head[k]}" for k in self.spec.keys if head.get(k) not in (None, ""))
        return f"{self.spec.code} #{index + 1}" + (f" {keys}" if keys else "")

    def error(self, code: str, field: str, zh: str, en: str, document: str, line: int | None = None) -> None:
        e = FieldError(code, field, zh, en, document=document, line=line)
        self.errors.append(e)
        self.by_entity.setdefault(self.current, []).append(e)

    def fields(
        self,
        parent: etree._Element,
        spec: EntitySpec,
        values: Mapping[str, Any],
        document: str,
        line: int | None = None,
        fixed: Mapping[str, str] | None = None,
    ) -> None:
        fixed = fixed or {}
        get = values.get
        sub = etree.SubElement
        for name, qname, is_str, length, min_length, max_length, f in _plan(spec):
            value = get(name)
            # the common case first: a present value of a field without a fixed value
            if value is not None and value != "" and name not in fixed and name != "oriBizMessage":
                try:
                    if is_str and type(value) is str:
                        present = _str_text_cached(length, min_length, max_length, value)
                    else:
                        present = field_text(f, value) or ""
                except _Problem as p:
                    self.error(p.code, name, p.zh, p.en, document, line)
                    continue
                sub(parent, qname).text = present
                continue
            text: str | None
            try:
                text = field_text(f, value)
            except _Problem as p:
                self.error(p.code, f.name, p.zh, p.en, document, line)
                continue
            if f.name in fixed:
                if text is None:
                    text = fixed[f.name]  # the XSD allows exactly one value
                elif text != fixed[f.name]:
                    self.error(
                        "fixed",
                        f.name,
                        f"XSD 规定取值为 {fixed[f.name]}（实为 {text}）",
                        f"the XSD fixes this to {fixed[f.name]} (is {text})",
                        document,
                        line,
                    )
                    continue
            if text is None:
                if f.required:
                    self.error("required", f.name, "必填字段缺失", "required field is missing", document, line)
                continue
            element = etree.SubElement(parent, _q(f.name))
            if f.name == "oriBizMessage" and "]]>" not in text:
                element.text = etree.CDATA(text)  # CEB900 echoes the offending message in CDATA
            else:
                element.text = text

    def codes(
        self, values: Mapping[str, Any], allowed: Mapping[str, frozenset[str]], document: str, line: int | None
    ) -> None:
        for name, options in allowed.items():
            value = values.get(name)
            if value not in (None, "") and value not in options:
                wanted = "/".join(sorted(options))
                self.error(
                    "code",
                    name,
                    f"取值须为 {wanted}（实为 {value!r}）",
                    f"must be one of {wanted} (is {value!r})",
                    document,
                    line,
                )

    def rules(self, head: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], document: str) -> None:
        for rule in self.spec.rules:
            if head.get(rule.field) not in rule.values:
                continue
            why = f"{rule.field}={head.get(rule.field)}: {rule.why}"
            for name in rule.head:
                if head.get(name) in (None, ""):
                    self.error("required", name, f"{rule.field}={head.get(rule.field)} 时必填", why, document)
            for line in lines:
                for name in rule.lines:
                    if line.get(name) in (None, ""):
                        self.error(
                            "required",
                            name,
                            f"{rule.field}={head.get(rule.field)} 时必填",
                            why,
                            document,
                            line.get("gnum"),
                        )

    def entity(self, parent: etree._Element, entity: Entity, index: int) -> None:
        lay = self.lay
        document = self.label(entity.head, index)
        self.codes(entity.head, self.spec.codes, document, None)
        self.rules(entity.head, entity.lines, document)
        element = etree.SubElement(parent, _q(lay.entity))
        if lay.head is None:
            self.fields(element, lay.head_spec, entity.head, document, fixed=lay.head_fixed)
        else:
            head = etree.SubElement(element, _q(lay.head))
            self.fields(head, lay.head_spec, entity.head, document, fixed=lay.head_fixed)
        if lay.line is None or lay.line_spec is None:
            if entity.lines:
                self.error(
                    "lines", lay.entity, f"{self.spec.code} 不带表体", f"{self.spec.code} carries no lines", document
                )
            return
        if len(entity.lines) < lay.min_lines:
            self.error("lines", lay.line, "表体不能为空", "at least one line is required", document)
        if len(entity.lines) > lay.max_lines:
            self.error(
                "lines",
                lay.line,
                f"表体超过 {lay.max_lines} 行（{len(entity.lines)} 行），须拆分单据",
                f"more than {lay.max_lines} lines ({len(entity.lines)}); split the document",
                document,
            )
        for line in entity.lines:
            gnum = line.get("gnum")
            self.codes(line, self.spec.line_codes, document, gnum)
            self.fields(etree.SubElement(element, _q(lay.line)), lay.line_spec, line, document, gnum, lay.line_fixed)


def _with_plumbing(
    entity: EntityLike,
    lay: Layout,
    *,
    at: datetime | None,
    app_type: str,
    app_status: str,
    guid_factory: Callable[[], str],
) -> Entity:
    """Fill what the platform owns (CEB.md §3.5 rows 1-4): guid, appType, appTime, appStatus; msgCount/msgSeqNo 1/1; gnum 1..n."""
    head = dict(entity.head)
    names = lay.head_spec.by_name

    def fill(name: str, value: Callable[[], Any]) -> None:
        if name in names and head.get(name) in (None, ""):
            head[name] = value()

    fill("guid", guid_factory)
    fill("appType", lambda: app_type)
    fill("appStatus", lambda: app_status)
    if at is not None:
        fill("appTime", lambda: _time_text(at, 14))
    fill("msgCount", lambda: 1)
    fill("msgSeqNo", lambda: 1)
    lines: list[dict[str, Any]] = []
    numbered = lay.line_spec is not None and "gnum" in lay.line_spec.by_name
    for n, line in enumerate(entity.lines, start=1):
        copy = dict(line)
        if numbered and copy.get("gnum") in (None, ""):
            copy["gnum"] = n
        lines.append(copy)
    return Entity(head, tuple(lines))


def _base(parent: etree._Element, element: str, xsd: str, values: Mapping[str, Any], builder: _Builder) -> None:
    builder.fields(
        etree.SubElement(parent, _q(element)), base_spec(xsd, element), values, f"{builder.spec.code} {element}"
    )


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def build(
    message: str,
    entities: Sequence[EntityLike],
    base_transfer: BaseTransfer | None = None,
    *,
    at: datetime | None = None,
    app_type: str = "1",
    app_status: str = "2",
    guid_factory: Callable[[], str] = new_guid,
    subscribers: Sequence[BaseSubscribe] = (),
    version: str = "1.0",
    signer: Signer | None = None,
    check: bool = True,
    max_entities: int = MAX_ENTITIES,
    xsd_sample: float = 1.0,
) -> list[BuiltMessage]:
    """Build message ``message`` ("CEB303") for ``entities``, split into messages of ≤100 entities.

    ``at`` is the declaration time written as ``appTime`` where an entity has none; ``app_type``
    (1 new, 2 change, 3 delete) and ``app_status`` (1 draft, 2 declare) likewise. Every problem of
    every entity is reported at once (``ValidationFailed`` with one ``FieldError`` per field,
    naming the document and the line). With a ``signer`` each message is signed (enveloped
    XML-DSig, CEB.md §5.3). With ``check`` (default) each message is validated against the
    official XSD; a message whose XSD requires a signature and that is built unsigned (to be
    signed later, e.g. by an HSM at send time) is checked as if the signature were there;
    with ``xsd_sample`` below 1 only that share of the messages is (chosen by guid: the codec
    checks every field against the XSD's facets anyway, the sample guards against drift).
    """
    spec, lay = layout_of(message)
    _check_request(spec, lay, entities, base_transfer, subscribers)
    per_message = max(1, min(lay.max_entities, max_entities))
    prepared = [
        _with_plumbing(e, lay, at=at, app_type=app_type, app_status=app_status, guid_factory=guid_factory)
        for e in entities
    ]
    builder = _Builder(spec, lay)
    roots: list[tuple[etree._Element, tuple[Entity, ...]]] = []
    for start in range(0, len(prepared), per_message):
        chunk = tuple(prepared[start : start + per_message])
        root = etree.Element(_q(lay.root), nsmap={"ceb": CEB_NS})
        root.set("guid", guid_factory())
        root.set("version", version)
        for i, entity in enumerate(chunk):
            builder.current = start + i
            builder.entity(root, entity, start + i)
        builder.current = -1
        if base_transfer is not None:
            _base(root, "BaseTransfer", spec.xsd, _as_dict(base_transfer), builder)
        for subscriber in subscribers:
            _base(root, "BaseSubscribe", spec.xsd, _as_dict(subscriber), builder)
        roots.append((root, chunk))
    if builder.errors:
        exc = ValidationFailed(
            f"{spec.code}: {len(builder.errors)} field problem(s)",
            f"{spec.code}：{len(builder.errors)} 处字段问题",
            details=builder.errors,
        )
        exc.by_entity = builder.by_entity  # which entities are at fault, so callers rebuild the rest once
        raise exc
    return [
        _finish(spec, lay, root, chunk, signer=signer, check=check and in_sample(root.get("guid", ""), xsd_sample))
        for root, chunk in roots
    ]


def in_sample(guid: str, share: float) -> bool:
    """Whether the message of this guid is in a sample of ``share`` (0 to 1) of all messages:
    the guid's first 32 bits (uniform for the random guids ``new_guid`` makes) read as a
    fraction, so the same message is always in or out of the sample."""
    if share >= 1.0:
        return True
    try:
        return int(guid.replace("-", "")[:8], 16) < share * 2**32
    except ValueError:
        return True  # a guid given by the caller that is not hexadecimal: checked


def _check_request(
    spec: MessageSpec,
    lay: Layout,
    entities: Sequence[EntityLike],
    base_transfer: BaseTransfer | None,
    subscribers: Sequence[BaseSubscribe],
) -> None:
    """What a message of this layout must and must not carry besides its entities."""
    if not entities:
        raise InvalidInput(f"{spec.code}: nothing to declare", f"{spec.code}：没有要申报的单据")
    if lay.has_base_transfer and base_transfer is None:
        raise InvalidInput(
            f"{spec.code} needs a BaseTransfer (the transmitting enterprise)",
            f"{spec.code} 须有 BaseTransfer（传输企业）",
        )
    if not lay.has_base_transfer and (base_transfer is not None or subscribers):
        raise InvalidInput(
            f"{spec.code} carries no BaseTransfer/BaseSubscribe", f"{spec.code} 不带 BaseTransfer/BaseSubscribe"
        )
    if len(subscribers) > lay.max_subscribers:
        raise InvalidInput(
            f"at most {lay.max_subscribers} BaseSubscribe", f"BaseSubscribe 最多 {lay.max_subscribers} 个"
        )


def _finish(
    spec: MessageSpec,
    lay: Layout,
    root: etree._Element,
    chunk: tuple[Entity, ...],
    *,
    signer: Signer | None,
    check: bool,
) -> BuiltMessage:
    """Sign a built tree (when a signer is given), check it against the XSD, serialise it."""
    if signer is not None:
        _sign_root(root, lay, signer)
    if check:
        problems = check_message(root)
        if problems:
            raise ValidationFailed(
                f"{spec.code} does not validate against {spec.xsd}: {problems[0]}",
                f"{spec.code} 未通过 {spec.xsd} 校验：{problems[0]}",
                details=[FieldError("xsd", spec.code, p, p, document=spec.code) for p in problems],
            )
    return BuiltMessage(spec.code, root.get("guid", ""), _serialize(root), chunk)


def _as_dict(value: BaseTransfer | BaseSubscribe) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value)}


def split_lines(message: str, entity: EntityLike, max_lines: int) -> list[Entity]:
    """Split one entity whose list the XSD leaves unbounded (507/509/607/701 …) into several.

    Each part keeps the head, numbers itself with ``msgSeqNo`` 1..n of ``msgCount`` n (CEB.md
    §5.1 export rule 6: from 1, consecutive) and gets a fresh guid when built.
    """
    spec, lay = layout_of(message)
    if max_lines < 1:
        raise InvalidInput("max_lines must be at least 1", "每份报文至少 1 行")
    if not {"msgCount", "msgSeqNo"} <= set(lay.head_spec.by_name):
        raise InvalidInput(f"{spec.code} cannot be split (no msgCount/msgSeqNo)", f"{spec.code} 不支持拆分报文")
    lines = tuple(entity.lines)
    parts = [lines[i : i + max_lines] for i in range(0, len(lines), max_lines)] or [()]
    out = []
    for n, part in enumerate(parts, start=1):
        head = {k: v for k, v in entity.head.items() if k != "guid"}
        head.update(msgCount=len(parts), msgSeqNo=n)
        out.append(Entity(head, part))
    return out


# --- signing and checking -------------------------------------------------------------------


def sign(data: bytes, signer: Signer) -> bytes:
    """Sign a CEB message with an enveloped XML-DSig at the place its XSD puts ``ds:Signature``."""
    root = parse_xml(data, "CEB message")
    _spec, lay = layout_of(etree.QName(root).localname)
    _sign_root(root, lay, signer)
    return _serialize(root)


def _sign_root(root: etree._Element, lay: Layout, signer: Signer) -> None:
    """Sign a message tree in place, the signature where its XSD puts it (before ``ExtendMessage``
    in the export schema)."""
    sign_element(root, signer, insert_before="ExtendMessage" if lay.signature_before_extend else None)


def check_message(data: bytes | etree._Element) -> list[str]:
    """XSD errors of a CEB message (export or import schema chosen by its root); [] when valid.

    A message whose XSD requires ``ds:Signature`` but that has none yet is checked with a
    structural placeholder in its place, so "valid but still to be signed" reads as valid.
    """
    root = parse_xml(data, "CEB message") if isinstance(data, bytes | bytearray) else data
    spec, lay = layout_of(etree.QName(root).localname)
    signed = root.find(f"{{{DS_NS}}}Signature") is not None
    if lay.signature == "required" and not signed:
        root = etree.fromstring(etree.tostring(root))
        placeholder = placeholder_signature()
        extend = root.find(_q("ExtendMessage"))
        if extend is not None and lay.signature_before_extend:
            extend.addprevious(placeholder)
        else:
            root.append(placeholder)
    return validate(root, spec.xsd)
