"""Field, code-list and arithmetic rules every received document is checked against.

* Field rules come from the official XSD (``cbec.ceb.schema``): required fields, exact and
  maximum lengths, N19,5 digits. Message plumbing that the platform itself fills when it
  declares (``guid``, ``appType``, ``appTime``, ``appStatus``) is not required from partners, and
  the 100-lines-per-order limit is a declaration concern (larger orders are split then).
* Code lists: currency, country and unit fields must be customs codes (``cbec.kit.codes``,
  replaceable data); ``gcode``/``hsCode`` must be China's 10-digit code whose first six digits are
  an HS2022 subheading (``cbec.catalogue.hs``).
* Arithmetic (CEB.md §5.1): a line's ``totalPrice`` = ``qty`` × ``price`` (SPEC "总价=成交数量*单价");
  ``goodsValue`` = Σ goods lines' ``totalPrice``; import ``acturalPaid`` = ``goodsValue`` +
  ``freight`` + ``taxTotal`` − ``discount``. Compared to the fen: N19,5 unit prices make an exact
  product impossible to send in general, and one fen is the unit every party settles in.

Every error names the document, the line (``gnum``) and the field, in Chinese and English. A
document with errors is still returned (with its values coerced where they could be read), so
intake stores it as received and marks it invalid; nothing is dropped.

Pure: no database, no I/O beyond the cached XSD field tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from cbec.catalogue.hs import validate_cn_hs_code
from cbec.ceb.schema import EXPORT_XSD, IMPORT_XSD, EntitySpec, FieldSpec, entity
from cbec.errors import FieldError
from cbec.intake.documents import EXTENSION_FIELDS, LINE_EXTENSION_FIELDS, DocType, ParsedDocument
from cbec.kit.codes import CodeLists
from cbec.kit.fx import FxTable
from cbec.kit.money import in_range, to_ceb

#: What to do about a required field that files usually leave to the submitter's context.
MISSING_HINTS: dict[str, tuple[str, str]] = {
    "ebpCode": (
        "：请用 --platform 代码（CLI）或 platform=代码（API）指明电商平台，或在企业资料中设置默认平台"
        "（cbec partner set-platform）；境外平台无代码时填 无",
        ": name the platform with --platform CODE (CLI) or platform=CODE (API), or set the seller's "
        "default platform (cbec partner set-platform, or the profile page); a foreign platform without "
        "a Chinese code is 无",
    ),
}

#: Filled by the platform when it builds a message; never asked of a partner.
PLUMBING_FIELDS = frozenset({"guid", "appType", "appTime", "appStatus"})

#: (schema file, head element, line element) of the CEB entity each document type is.
ENTITY: dict[DocType, tuple[str, str, str | None]] = {
    DocType.EXPORT_ORDER: (EXPORT_XSD, "OrderHead", "OrderList"),
    DocType.EXPORT_RECEIPT: (EXPORT_XSD, "Receipts", None),
    DocType.EXPORT_WAYBILL: (EXPORT_XSD, "Logistics", None),
    DocType.IMPORT_ORDER: (IMPORT_XSD, "OrderHead", "OrderList"),
    DocType.IMPORT_PAYMENT: (IMPORT_XSD, "PaymentHead", None),
    DocType.IMPORT_WAYBILL: (IMPORT_XSD, "LogisticsHead", None),
}

CURRENCY_FIELDS = frozenset({"currency"})
COUNTRY_FIELDS = frozenset({"country", "destinationCountry", "originCountry", "tradeCountry", "consigneeCountry"})
UNIT_FIELDS = frozenset({"unit", "unit1", "unit2"})
HS_FIELDS = frozenset({"gcode", "hsCode"})
CODE_FIELDS = CURRENCY_FIELDS | COUNTRY_FIELDS | UNIT_FIELDS | HS_FIELDS
#: extension fields holding a quantity (kept as exact text)
QUANTITY_EXTENSIONS = frozenset({"qty2"})
_FEN = Decimal("0.01")
_SAFE = Decimal(10) ** 13  # below this every N19,5 (and N18,...) integer part fits
_SAFE_STEP = Decimal("0.00001")

#: Field rules of a cancellation (a marketplace credit note; no CEB entity of its own).
_CANCEL_REQUIRED = ("cancelNo", "ebcCode")


_REQUIRED: dict[int, tuple[FieldSpec, ...]] = {}


def _required(spec: EntitySpec) -> tuple[FieldSpec, ...]:
    """Required fields a partner must send (the XSD's, less the plumbing we fill)."""
    found = _REQUIRED.get(id(spec))
    if found is None:
        found = tuple(f for f in spec.fields if f.required and f.name not in PLUMBING_FIELDS)
        _REQUIRED[id(spec)] = found
    return found


def _specs(doc_type: DocType) -> tuple[EntitySpec | None, EntitySpec | None]:
    target = ENTITY.get(doc_type)
    if target is None:
        return None, None
    xsd, head, line = target
    return entity(xsd, head), (entity(xsd, line) if line else None)


class _Checker:
    def __init__(self, doc: ParsedDocument, codes: CodeLists) -> None:
        self.doc = doc
        self.codes = codes
        self.label = doc.label
        self.errors: list[FieldError] = []

    def error(self, code: str, name: str, zh: str, en: str, line: int | None = None) -> None:
        self.errors.append(FieldError(code, name, zh, en, document=self.label, line=line))

    # -- one value -------------------------------------------------------------------------
    def coerce(self, spec: FieldSpec, value: Any, line: int | None) -> Any:
        name = spec.name
        if spec.kind == "decimal":
            number = _decimal(value)
            if number is None:
                self.error("number", name, f"{name} 的值 {value!r} 不是数字", f"{name} {value!r} is not a number", line)
                return value
            self._digits(spec, number, line)
            return number
        if spec.kind == "int":
            try:
                as_int = int(str(value).strip())
            except (TypeError, ValueError):
                self.error(
                    "integer", name, f"{name} 的值 {value!r} 不是整数", f"{name} {value!r} is not a whole number", line
                )
                return value
            if spec.total_digits is not None and len(str(abs(as_int))) > spec.total_digits:
                self.error(
                    "total_digits",
                    name,
                    f"{name} 超过 {spec.total_digits} 位",
                    f"{name} has more than {spec.total_digits} digits",
                    line,
                )
            return as_int
        text = value if isinstance(value, str) else str(value)
        text = text.strip()
        n = len(text)
        if spec.length is not None and n != spec.length and not (n == 0 and not spec.required):
            self.error(
                "length", name, f"{name} 应为 {spec.length} 个字符，实为 {n} 个",
                f"{name} must be exactly {spec.length} characters, got {n}", line,
            )  # fmt: skip
        if spec.max_length is not None and n > spec.max_length:
            self.error(
                "max_length", name, f"{name} 最长 {spec.max_length} 个字符，实为 {n} 个",
                f"{name} is at most {spec.max_length} characters, got {n}", line,
            )  # fmt: skip
        if spec.min_length is not None and 0 < n < spec.min_length:
            self.error(
                "min_length", name, f"{name} 至少 {spec.min_length} 个字符，实为 {n} 个",
                f"{name} needs at least {spec.min_length} characters, got {n}", line,
            )  # fmt: skip
        return text

    def _digits(self, spec: FieldSpec, number: Decimal, line: int | None) -> None:
        if (
            (spec.fraction_digits or 0) >= 5
            and (spec.total_digits or 99) - (spec.fraction_digits or 0) >= 13
            and 0 <= number < _SAFE
            and number == number.quantize(_SAFE_STEP, rounding=ROUND_DOWN)
        ):
            return  # fast path: the common N19,5 value that needs no digit counting
        sign, digits, exponent = number.as_tuple()
        if not isinstance(exponent, int):
            self.error("number", spec.name, f"{spec.name} 不是有限数", f"{spec.name} is not a finite number", line)
            return
        # trailing zeros dropped by hand: normalize() overflows the context on 1E+999999999
        if any(digits):
            zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))
            digits, exponent = digits[: len(digits) - zeros], exponent + zeros
        else:
            digits, exponent = (0,), 0
        fraction = max(0, -exponent)
        integer = max(0, len(digits) + exponent) if exponent < 0 else len(digits) + exponent
        if spec.fraction_digits is not None and fraction > spec.fraction_digits:
            self.error(
                "fraction_digits", spec.name,
                f"{spec.name} 的值 {number} 小数超过 {spec.fraction_digits} 位",
                f"{spec.name} {number} has more than {spec.fraction_digits} decimal places", line,
            )  # fmt: skip
        if spec.total_digits is not None:
            allowed = spec.total_digits - (spec.fraction_digits or 0)
            if integer > allowed:
                self.error(
                    "total_digits", spec.name, f"{spec.name} 的值 {number} 整数部分超过 {allowed} 位",
                    f"{spec.name} {number} has more than {allowed} digits before the decimal point", line,
                )  # fmt: skip
        if sign and spec.name not in {"discount"}:
            self.error("negative", spec.name, f"{spec.name} 不能为负数", f"{spec.name} cannot be negative", line)

    def codes_of(self, name: str, value: Any, line: int | None) -> None:
        if not isinstance(value, str) or not value:
            return
        if name in CURRENCY_FIELDS and not self.codes.is_currency(value):
            self.error(
                "unknown_code", name, f"币制 {value!r} 不是海关币制代码（如 142 人民币、502 美元）",
                f"currency {value!r} is not a customs currency code (e.g. 142 CNY, 502 USD)", line,
            )  # fmt: skip
        elif name in COUNTRY_FIELDS and not self.codes.is_country(value):
            self.error(
                "unknown_code", name, f"{name} {value!r} 不是海关国别（地区）代码（如 502 美国、303 英国）",
                f"{name} {value!r} is not a customs country code (e.g. 502 USA, 303 UK)", line,
            )  # fmt: skip
        elif name in UNIT_FIELDS and not self.codes.is_unit(value):
            self.error(
                "unknown_code", name, f"计量单位 {value!r} 不是海关计量单位代码（如 011 件、035 千克）",
                f"unit {value!r} is not a customs unit code (e.g. 011 piece, 035 kg)", line,
            )  # fmt: skip
        elif name in HS_FIELDS:
            problem = validate_cn_hs_code(value, document=self.label, line=line)
            if problem is not None:
                self.errors.append(replace(problem, field=name))

    # -- a record (head or line) -----------------------------------------------------------
    def record(
        self, spec: EntitySpec, values: Any, extensions: frozenset[str], line: int | None, *, pseudo: bool = False
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        by_name = spec.by_name
        for name, value in values.items():
            field_spec = by_name.get(name)
            if field_spec is None:
                if name not in extensions:
                    shown = name if name.strip() else repr(name)  # a key of "" or " " is named as such
                    self.error(
                        "unknown_field", shown, f"{spec.element} 没有字段 {shown}（字段名须与 CEB 报文一致）",
                        f"{spec.element} has no field {shown} (field names must be the CEB names)", line,
                    )  # fmt: skip
                out[name] = value
                if name in CODE_FIELDS and value not in (None, ""):
                    self.codes_of(name, str(value).strip(), line)
                if name in QUANTITY_EXTENSIONS and value not in (None, ""):
                    number = _decimal(value)
                    if number is None or number <= 0:
                        self.error(
                            "number",
                            name,
                            f"{name} 须为正数：{value!r}",
                            f"{name} must be a positive number: {value!r}",
                            line,
                        )
                    else:
                        out[name] = str(number)
                continue
            if value is None or (isinstance(value, str) and not value.strip()):
                out[name] = "" if value is None else value.strip()
                continue
            coerced = self.coerce(field_spec, value, line)
            out[name] = coerced
            if name in CODE_FIELDS:
                self.codes_of(name, coerced, line)
        if not pseudo:
            for field_spec in _required(spec):
                value = out.get(field_spec.name)
                if value is None or value == "":
                    hint_zh, hint_en = MISSING_HINTS.get(field_spec.name, ("", ""))
                    self.error(
                        "required", field_spec.name, f"{spec.element} 缺少必填字段 {field_spec.name}（{field_spec.doc_zh[:30]}）{hint_zh}",
                        f"{spec.element} lacks the required field {field_spec.name}{hint_en}", line,
                    )  # fmt: skip
        return out


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    else:
        try:
            number = Decimal(str(value).strip().replace(" ", ""))
        except (InvalidOperation, ValueError):
            return None
    return number if in_range(number) else None


def _fen(value: Decimal) -> Decimal:
    return value.quantize(_FEN)


def validate(doc: ParsedDocument, codes: CodeLists) -> tuple[ParsedDocument, list[FieldError]]:
    """Check one document; return it with values coerced (Decimal/int) and every problem found."""
    if doc.doc_type is DocType.ORDER_CANCEL:
        return _validate_cancel(doc)
    head_spec, line_spec = _specs(doc.doc_type)
    assert head_spec is not None
    checker = _Checker(doc, codes)
    head = checker.record(head_spec, doc.head, EXTENSION_FIELDS[doc.doc_type], None)
    lines: list[dict[str, Any]] = []
    if line_spec is not None:
        if not any("kind" not in ln or ln.get("kind") in (None, "", "goods") for ln in doc.lines):
            checker.error(
                "required",
                line_spec.element,
                f"订单没有商品明细（{line_spec.element}）：只有运费、费用或折扣行的订单不能申报",
                f"the order has no goods lines ({line_spec.element}): an order of only postage, fee or discount lines cannot be declared",
            )
        seen_gnum: set[int] = set()
        for index, raw in enumerate(doc.lines, start=1):
            pseudo = "kind" in raw and raw.get("kind") not in (None, "", "goods")
            gnum = raw.get("gnum")
            where = gnum if isinstance(gnum, int) else index
            line = checker.record(line_spec, raw, LINE_EXTENSION_FIELDS, where, pseudo=pseudo)
            lines.append(line)
            if pseudo:
                continue
            if isinstance(line.get("gnum"), int):
                if line["gnum"] in seen_gnum:
                    checker.error(
                        "duplicate",
                        "gnum",
                        f"商品序号 {line['gnum']} 重复",
                        f"item number gnum {line['gnum']} appears twice",
                        where,
                    )
                seen_gnum.add(line["gnum"])
            _line_arithmetic(checker, line, where)
        _order_arithmetic(checker, doc.doc_type, head, lines)
    elif doc.lines:
        checker.error("unexpected", "lines", f"{head_spec.element} 没有明细行", f"{head_spec.element} has no lines")
    return replace(doc, head=head, lines=tuple(lines)), checker.errors


def _line_arithmetic(checker: _Checker, line: dict[str, Any], where: int) -> None:
    qty, price, total = line.get("qty"), line.get("price"), line.get("totalPrice")
    if isinstance(qty, Decimal) and isinstance(price, Decimal) and isinstance(total, Decimal):
        expected = _fen(qty * price)
        if _fen(total) != expected:
            checker.error(
                "arithmetic", "totalPrice", f"总价 {total} 不等于数量 {qty} × 单价 {price} = {expected}",
                f"totalPrice {total} is not qty {qty} × price {price} = {expected}", where,
            )  # fmt: skip


def _order_arithmetic(checker: _Checker, doc_type: DocType, head: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    goods = head.get("goodsValue")
    goods_lines = [ln for ln in lines if "kind" not in ln or ln.get("kind") in (None, "", "goods")]
    totals = [t for ln in goods_lines if isinstance(t := ln.get("totalPrice"), Decimal)]
    if isinstance(goods, Decimal) and totals and len(totals) == len(goods_lines):
        expected = _fen(sum(totals, Decimal(0)))
        if _fen(goods) != expected:
            checker.error(
                "arithmetic", "goodsValue", f"商品价格 goodsValue {goods} 不等于明细总价之和 {expected}",
                f"goodsValue {goods} is not the sum of the lines' totalPrice {expected}",
            )  # fmt: skip
    if doc_type is DocType.IMPORT_ORDER:
        parts = [head.get(f) for f in ("goodsValue", "freight", "taxTotal", "discount", "acturalPaid")]
        if all(isinstance(p, Decimal) for p in parts):
            goods_v, freight, tax, discount, paid = parts
            expected = _fen(goods_v + freight + tax - discount)  # type: ignore[operator]
            if _fen(paid) != expected:  # type: ignore[arg-type]
                checker.error(
                    "arithmetic", "acturalPaid",
                    f"实际支付金额 {paid} 不等于 商品价格+运杂费+代扣税款−非现金抵扣 = {expected}",
                    f"acturalPaid {paid} is not goodsValue + freight + taxTotal − discount = {expected}",
                )  # fmt: skip


def _validate_cancel(doc: ParsedDocument) -> tuple[ParsedDocument, list[FieldError]]:
    errors = [
        FieldError(
            "required",
            name,
            f"撤单缺少必填字段 {name}",
            f"the cancellation lacks the required field {name}",
            document=doc.label,
        )
        for name in _CANCEL_REQUIRED
        if not str(doc.head.get(name) or "").strip()
    ]
    return doc, errors


# --- versions ---------------------------------------------------------------------------------


class VersionOutcome(StrEnum):
    NEW = "new"  # no document under this key yet
    DUPLICATE = "duplicate"  # the same content again: nothing is stored
    NEW_VERSION = "new_version"  # changed content: stored as the next version, the earlier one superseded
    CONFLICT = "conflict"  # the key is another seller's: refused


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """The current version of a document under one (type, key): stored, or earlier in the batch."""

    id: int | None
    version: int
    content_sha256: str
    seller_code: str


@dataclass(frozen=True, slots=True)
class VersionDecision:
    outcome: VersionOutcome
    version: int = 0  # the incoming document's version (0 when it is not stored)
    supersedes: int | None = None  # the stored document it replaces as current
    reason: str = ""
    reason_zh: str = ""


def decide_version(
    content_sha256: str,
    seller_code: str,
    *,
    earlier_in_batch: StoredVersion | None,
    stored: StoredVersion | None,
) -> VersionDecision:
    """New, duplicate, new version or conflict for an incoming document (the corrected submission
    of a document becomes its next version; the same content twice is stored once).

    A document earlier in the same batch under the same key is the one compared against (the batch
    is stored together, so it is not yet in the database). A stored document of another seller under
    the same key is never replaced: one tenant must not overwrite another's order or waybill.
    """
    if earlier_in_batch is not None:
        if earlier_in_batch.content_sha256 == content_sha256:
            return VersionDecision(VersionOutcome.DUPLICATE, reason="same content", reason_zh="内容相同")
        return VersionDecision(
            VersionOutcome.NEW_VERSION, earlier_in_batch.version + 1, reason="content changed", reason_zh="内容已变更"
        )
    if stored is None:
        return VersionDecision(VersionOutcome.NEW, 1, reason="first version", reason_zh="首个版本")
    if stored.seller_code != seller_code:
        return VersionDecision(
            VersionOutcome.CONFLICT, reason="belongs to another seller", reason_zh="属于其他电商企业"
        )
    if stored.content_sha256 == content_sha256:
        return VersionDecision(VersionOutcome.DUPLICATE, reason="same content", reason_zh="内容相同")
    return VersionDecision(
        VersionOutcome.NEW_VERSION, stored.version + 1, stored.id, reason="content changed", reason_zh="内容已变更"
    )


def net_of_discount(discount: Decimal, totals: Sequence[Decimal]) -> list[Decimal]:
    """The goods lines' totals after a goods discount: the one rule every order parser applies.

    A promotion or discount is a price reduction, so it comes off the goods value: CEB303
    ``goodsValue`` is the actual transaction price (XSD: "商品实际成交价…含非现金抵扣金额"; a
    non-cash payment such as a gift card is not a discount). A discount of one line (Amazon's
    ``item-promotion-discount``) is this rule on that line alone; an order's discount (Shopify's
    Subtotal below its lines, an Online Retail ``D`` line) is shared among the goods lines in
    proportion to their value, to the fen, the largest line taking the rounding remainder so the
    nets add up to Σ totals − discount exactly. The parsers keep the discount as a ``discount``
    line without ``gnum`` for the record: already deducted, never to be deducted again.

    Raises ValueError when the discount is negative or larger than the lines' value (the caller
    reports it on the document's field).
    """
    whole = sum(totals, Decimal(0))
    if discount < 0 or discount > whole:
        raise ValueError(f"discount {discount} is not between 0 and the goods value {whole}")
    if not discount:
        return list(totals)
    shares = [(discount * t / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for t in totals]
    largest = max(range(len(totals)), key=totals.__getitem__)
    shares[largest] += discount - sum(shares, Decimal(0))
    return [t - s for t, s in zip(totals, shares, strict=True)]


def unit_price(total: Decimal, qty: Decimal) -> Decimal:
    """total / qty, kept exact when it fits CEB's five decimals, else rounded half up to them."""
    exact = total / qty
    rounded = to_ceb(exact)
    return exact if exact == rounded else rounded


#: money fields of the documents a partner sends, head and lines (CEB names)
HEAD_AMOUNTS = ("goodsValue", "freight", "insuredFee", "taxTotal", "discount", "acturalPaid", "amountPaid")
LINE_AMOUNTS = ("totalPrice",)
CNY = "142"


def convert_to_cny(doc: ParsedDocument, rates: FxTable) -> tuple[ParsedDocument, list[FieldError]]:
    """A document in a currency without a customs code (its ISO code, as the parsers leave it),
    converted to CNY at the operator's rate for the order's day, the conversion noted; without a
    rate, the document as it is and the error that says what is missing (it is kept, invalid).

    Amounts become CNY to the fen (half up) line by line; a line's unit price is its converted
    total over its quantity; the goods value is the sum of the converted goods lines, so the
    arithmetic rules hold exactly after conversion.
    """
    currency = str(doc.head.get("currency") or "")
    if not (len(currency) == 3 and currency.isalpha()):
        return doc, []
    day = _document_day(doc)
    rate = rates.rate_on(currency, day) if day is not None else None
    if rate is None:
        on = day.isoformat() if day else "?"
        return doc, [
            FieldError(
                "no_rate",
                "currency",
                f"币制 {currency} 不在海关币制代码表中，且没有 {on} 适用的 {currency}→人民币汇率：请运营方在汇率表"
                f"（CBEC_FX_RATES_FILE）中补充后重新提交，单证已保存",
                f"currency {currency} has no customs code and there is no {currency}→CNY rate for {on}: the operator "
                f"adds one to the rates file (CBEC_FX_RATES_FILE), then resubmit; the document is kept",
                document=doc.label,
            )
        ]
    factor = rate.cny_per_unit

    def cny(value: Any) -> Any:
        amount = _decimal(value)
        return value if amount is None else (amount * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    lines = []
    for raw in doc.lines:
        line = {**raw, **{f: cny(raw[f]) for f in LINE_AMOUNTS if f in raw}}
        if "currency" in line:
            line["currency"] = CNY
        qty, total = _decimal(line.get("qty")), _decimal(line.get("totalPrice"))
        if qty and total is not None and "price" in line:
            line["price"] = unit_price(total, qty)
        lines.append(line)
    head = {**doc.head, **{f: cny(doc.head[f]) for f in HEAD_AMOUNTS if f in doc.head}, "currency": CNY}
    if "goodsValue" in head and lines:
        goods = [_decimal(ln.get("totalPrice")) for ln in lines if "kind" not in ln]
        if goods and all(g is not None for g in goods):
            head["goodsValue"] = sum((g for g in goods if g is not None), Decimal(0))
    note = (
        f"converted from {currency} to CNY at {factor} CNY per {currency} (rate of {rate.valid_from.isoformat()}, "
        f"source: {rate.source}) / 按 {rate.valid_from.isoformat()} 汇率 {factor}（来源：{rate.source}）由 {currency} 折算为人民币"
    )
    return replace(doc, head=head, lines=tuple(lines), notes=(*doc.notes, note)), []


def _document_day(doc: ParsedDocument) -> date | None:
    """The day a document's amounts are converted on: its order time (Beijing), else None."""
    text = str(doc.head.get("orderTime") or doc.head.get("payTime") or "")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
