"""JSON in, JSON out for the tax computations.

Input is read into the frozen dataclasses of :mod:`cbec.tax.import_tax`,
:mod:`cbec.tax.export_refund` and :mod:`cbec.tax.return_relief`; every problem is collected and
reported at once as an :class:`InvalidInput` whose details name the field and the line (zh + en).
Field names follow CEB where CEB has them (OrderHead/OrderList of CEB311, CEB603 lines, CEB816 tax
names). Amounts are read exactly (JSON strings or numbers; a float goes through its shortest repr,
never binary arithmetic) and written as strings with two decimals ("12.34"); rates are decimal
fractions ("0.13").

Each result carries a ``basis``: the rule set and its sources, the date, each rate with the table
row (file, row, validity, source, status) or the input field it came from, the [I] policy
parameters used, and a sha256 of the tables, so a figure can be explained and reproduced later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.cn import ric

from cbec.errors import FieldError, InvalidInput
from cbec.kit.codes import code_lists
from cbec.kit.money import to_ceb, to_fen
from cbec.tax import import_tax
from cbec.tax.export_refund import (
    CNY,
    TREATMENT_ZH,
    CreditPosition,
    EnterpriseKind,
    ExportClaim,
    ExportLine,
    ExportLineResult,
    ExportRefundAssessment,
    IncomeTaxInput,
)
from cbec.tax.import_tax import (
    TREATMENT_EN,
    ImportAssessment,
    ImportLine,
    ImportOrder,
    ThresholdCheck,
)
from cbec.tax.rates import AppliedRate, PolicyValue
from cbec.tax.return_relief import ReturnedGoods, ReturnLine, ReturnReliefAssessment
from cbec.tax.rules import Condition, StatutoryTaxes

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GCODE = re.compile(r"^\d{8}(\d{2})?$")
_UNIT_ALIASES = {"ml": "096", "l": "095", "g": "036", "kg": "035", "pcs": "007", "piece": "007"}
IMPORT_TRADE_MODES = frozenset({"1210", "9610"})


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


class _Reader:
    """Reads fields of one JSON document and collects every problem before raising once."""

    def __init__(self, document: str) -> None:
        self.document = document
        self.errors: list[FieldError] = []

    def fail(self, code: str, field: str, zh: str, en: str, line: int | None = None) -> None:
        self.errors.append(FieldError(code, field, zh, en, document=self.document, line=line))

    def done(self) -> None:
        if self.errors:
            first = self.errors[0]
            where = f" (line {first.line})" if first.line is not None else ""
            raise InvalidInput(
                f"{len(self.errors)} problem(s) in the input; first: [{first.field}]{where} {first.message_en}",
                f"输入有 {len(self.errors)} 处问题；首个：[{first.field}]{where} {first.message_zh}",
                field=first.field,
                document=self.document,
                details=list(self.errors),
            )

    def mapping(self, data: Mapping[str, Any], key: str, *, required: bool = True) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail("required", key, f"缺少 {key}", f"{key} is missing")
            return None
        if not isinstance(value, Mapping):
            self.fail("type", key, f"{key} 须为 JSON 对象", f"{key} must be a JSON object")
            return None
        return value

    def items(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.fail("required", key, f"{key} 须为非空数组", f"{key} must be a non-empty array")
            return []
        out = []
        for i, item in enumerate(value, start=1):
            if isinstance(item, Mapping):
                out.append(item)
            else:
                self.fail("type", key, f"第 {i} 个元素须为 JSON 对象", f"element {i} must be a JSON object", i)
        return out

    def text(
        self, data: Mapping[str, Any], key: str, *, line: int | None = None, required: bool = True, max_len: int = 0
    ) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("required", key, f"缺少 {key}", f"{key} is missing", line)
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail("type", key, f"{key} 须为文本", f"{key} must be text", line)
            return ""
        text = str(value).strip()
        if max_len and len(text) > max_len:
            self.fail("max_length", key, f"{key} 超过 {max_len} 个字符", f"{key} is longer than {max_len}", line)
        return text

    def amount(
        self,
        data: Mapping[str, Any],
        key: str,
        *,
        line: int | None = None,
        required: bool = True,
        default: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("required", key, f"缺少 {key}", f"{key} is missing", line)
            return default
        number = _number(value)
        if number is None:
            self.fail("number", key, f"{key} 不是数字：{value!r}", f"{key} is not a number: {value!r}", line)
            return default
        if number < 0 or (positive and number == 0):
            need_zh, need_en = ("须大于0", "must be above 0") if positive else ("不能为负数", "cannot be negative")
            self.fail("range", key, f"{key} {need_zh}：{value!r}", f"{key} {need_en}: {value!r}", line)
            return default
        return number

    def rate(self, data: Mapping[str, Any], key: str, *, line: int | None = None) -> Decimal | None:
        value = self.amount(data, key, line=line, required=False)
        if value is not None and value >= 1:
            self.fail(
                "range",
                key,
                f"{key} 须为小数形式的税率（如 13% 填 0.13）：{value}",
                f"{key} is a decimal fraction (13% is 0.13): {value}",
                line,
            )
            return None
        return value

    def day(self, data: Mapping[str, Any], key: str, *, line: int | None = None, required: bool = True) -> date | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("required", key, f"缺少 {key}", f"{key} is missing", line)
            return None
        parsed = _day(value)
        if parsed is None:
            self.fail(
                "date",
                key,
                f"{key} 须为日期 YYYY-MM-DD、YYYYMMDD 或 YYYYMMDDhhmmss：{value!r}",
                f"{key} must be a date YYYY-MM-DD, YYYYMMDD or YYYYMMDDhhmmss: {value!r}",
                line,
            )
        return parsed

    def flag(
        self, data: Mapping[str, Any], key: str, *, line: int | None = None, default: bool | None = False
    ) -> bool | None:
        value = data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.fail("type", key, f"{key} 须为 true 或 false", f"{key} must be true or false", line)
        return default

    def required_flag(self, data: Mapping[str, Any], key: str, *, line: int | None = None) -> bool:
        value = self.flag(data, key, line=line, default=None)
        if value is None:
            if key not in data:
                self.fail("required", key, f"缺少 {key}（true 或 false）", f"{key} is missing (true or false)", line)
            return False
        return value

    def integer(self, data: Mapping[str, Any], key: str, *, line: int | None = None) -> int:
        value = data.get(key)
        if isinstance(value, bool) or value is None:
            self.fail("required", key, f"缺少 {key}", f"{key} is missing", line)
            return 0
        try:
            number = int(str(value).strip())
        except ValueError:
            self.fail("number", key, f"{key} 须为整数：{value!r}", f"{key} must be an integer: {value!r}", line)
            return 0
        if number < 1:
            self.fail("range", key, f"{key} 须从1开始：{value!r}", f"{key} starts at 1: {value!r}", line)
        return number

    def gcode(self, data: Mapping[str, Any], *, line: int | None = None, key: str = "gcode") -> str:
        text = self.text(data, key, line=line)
        if text and not _GCODE.match(text):
            self.fail(
                "format",
                key,
                f"商品编码须为8位或10位数字：{text!r}",
                f"the HS code (gcode) must be 8 or 10 digits: {text!r}",
                line,
            )
        return text

    def unit(self, data: Mapping[str, Any], key: str, *, line: int | None = None, required: bool = True) -> str:
        text = self.text(data, key, line=line, required=required)
        if not text:
            return ""
        code = unit_code(text)
        if code is None:
            self.fail(
                "code_list",
                key,
                f"{key} 不是海关计量单位代码或名称：{text!r}",
                f"{key} is not a customs unit code or name: {text!r}",
                line,
            )
            return ""
        return code

    def trade_mode(self, data: Mapping[str, Any], key: str = "tradeMode", *, required: bool = True) -> str:
        text = self.text(data, key, required=required)
        if text and not re.fullmatch(r"\d{4}", text):
            self.fail("format", key, f"监管方式须为4位数字：{text!r}", f"the trade mode is 4 digits: {text!r}")
        return text

    def unique_gnums(self, gnums: Sequence[int]) -> None:
        seen: set[int] = set()
        for g in gnums:
            if g in seen:
                self.fail("duplicate", "gnum", f"项号 {g} 重复", f"gnum {g} is repeated", g)
            seen.add(g)


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str) and _PLAIN_NUMBER.match(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern excludes it
            return None
    else:
        return None
    return number if number.is_finite() else None


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(r"\d{8}", text):
            return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, no zone
        if re.fullmatch(r"\d{14}", text):
            return datetime.strptime(text, "%Y%m%d%H%M%S").date()  # noqa: DTZ007 - CEB appTime, local time
    except ValueError:
        return None
    return None


def _given(data: Mapping[str, Any], key: str) -> bool:
    return data.get(key) not in (None, "")


def unit_code(text: str) -> str | None:
    """Customs unit code for a code (``096``), a Chinese name (``毫升``) or a short alias (``ml``)."""
    units = code_lists().units
    key = text.strip()
    if key in units:
        return key
    if key.lower() in _UNIT_ALIASES:
        return _UNIT_ALIASES[key.lower()]
    for unit in units.values():
        if key == unit.name_zh or (unit.name_en and key.lower() == unit.name_en.lower()):
            return unit.code
    return None


def _check_total(reader: _Reader, data: Mapping[str, Any], key: str, expected: Decimal, line: int | None) -> None:
    given = reader.amount(data, key, line=line, required=False)
    if given is not None and to_fen(given) != to_fen(expected):
        reader.fail(
            "arithmetic",
            key,
            f"{key} {given} 与计算值 {to_fen(expected)} 不符",
            f"{key} {given} does not equal the computed {to_fen(expected)}",
            line,
        )


# --------------------------------------------------------------------------------------------
# Import order
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportRequest:
    order: ImportOrder
    prior_purchases: Decimal
    date_source: str  # "on" or "appTime"


def _check_buyer(reader: _Reader, buyer: str) -> None:
    if buyer and not ric.is_valid(buyer):
        reader.fail(
            "format",
            "buyerIdNumber",
            "订购人身份证件号码无效（18位居民身份证，校验位不符或出生日期无效）",
            "buyerIdNumber is not a valid 18-character resident identity card number (check character or birth date)",
        )


def _check_trade_mode(reader: _Reader, trade_mode: str) -> None:
    if trade_mode and trade_mode not in IMPORT_TRADE_MODES:
        reader.fail(
            "code_list",
            "tradeMode",
            f"零售进口监管方式须为 1210 或 9610：{trade_mode}",
            f"tradeMode must be 1210 or 9610: {trade_mode}",
        )


@dataclass(frozen=True, slots=True)
class ImportToAssess:
    """A matched retail import order handed to tax by customs before it is declared: the order
    as the tax rules read it, and whose it is (the seller, the platform that keys the ledger)."""

    order: ImportOrder
    seller_code: str
    platform_code: str


@dataclass(frozen=True, slots=True)
class ImportOrderVoided:
    """An assessed import order that will not be bought after all: the declaration builder
    refused it, customs rejected its list, or the list was cancelled or its goods returned. It
    uses none of the buyer's annual quota (财关税〔2018〕49号 counts what a person bought); tax
    takes it out of the ledger (``ebp_code`` + ``order_no`` key the ledger entry)."""

    ebp_code: str
    order_no: str


def checked_import_request(order: ImportOrder) -> ImportRequest:
    """An order built by another area, checked by the same rules as the JSON reader's for what
    that reader checks of a typed order: the buyer's ID number (required, GB 11643 check
    character), the trade mode, at least one line."""
    reader = _Reader(f"import_order orderNo={order.order_no}" if order.order_no else "import_order")
    if not order.buyer_id_number:
        reader.fail("required", "buyerIdNumber", "缺少 buyerIdNumber", "buyerIdNumber is missing")
    _check_buyer(reader, order.buyer_id_number)
    _check_trade_mode(reader, order.trade_mode)
    if not order.lines:
        reader.fail("required", "OrderList", "OrderList 须为非空数组", "OrderList must be a non-empty array")
    reader.unique_gnums([line.gnum for line in order.lines])
    reader.done()
    return ImportRequest(order=order, prior_purchases=Decimal(0), date_source="on")


def parse_import_order(data: object) -> ImportRequest:
    """Read ``{"OrderHead": {...}, "OrderList": [...], "priorPurchases": "0"}`` (an ``Order``
    wrapper around OrderHead/OrderList is accepted too)."""
    reader = _Reader("import_order")
    if not isinstance(data, Mapping):
        raise InvalidInput("the input must be a JSON object", "输入须为 JSON 对象", document="import_order")
    body: Mapping[str, Any] = data["Order"] if isinstance(data.get("Order"), Mapping) else data
    head = reader.mapping(body, "OrderHead") or {}
    lines_in = reader.items(body, "OrderList")
    order_no = reader.text(head, "orderNo", max_len=60)
    if order_no:
        reader.document = f"import_order orderNo={order_no}"
    on_text = head.get("on", data.get("on"))
    on: date | None
    if on_text not in (None, ""):
        on = reader.day({"on": on_text}, "on")
        date_source = "on"
    elif head.get("appTime") not in (None, ""):
        app_time = reader.text(head, "appTime")
        on = _day(app_time) if re.fullmatch(r"\d{14}", app_time) else None
        if on is None:
            reader.fail(
                "date",
                "appTime",
                f"appTime 须为 YYYYMMDDhhmmss：{app_time!r}",
                f"appTime must be YYYYMMDDhhmmss: {app_time!r}",
            )
        date_source = "appTime"
    else:
        reader.fail(
            "required",
            "appTime",
            "缺少 appTime 或 on（计税日期）",
            "appTime or on (the date the tax applies on) is missing",
        )
        on, date_source = None, ""
    buyer = reader.text(head, "buyerIdNumber").upper()
    _check_buyer(reader, buyer)
    trade_mode = reader.trade_mode(head, required=False)
    _check_trade_mode(reader, trade_mode)
    freight = reader.amount(head, "freight", required=False, default=Decimal(0))
    insured = reader.amount(head, "insuredFee", required=False, default=Decimal(0))
    discount = reader.amount(head, "discount", required=False, default=Decimal(0))
    lines: list[ImportLine] = []
    for i, item in enumerate(lines_in, start=1):
        gnum = reader.integer(item, "gnum", line=i)
        n = gnum or i
        gcode = reader.gcode(item, line=n)
        qty = reader.amount(item, "qty", line=n, positive=True)
        unit = reader.unit(item, "unit", line=n)
        price = reader.amount(item, "price", line=n)
        qty2 = reader.amount(item, "qty2", line=n, required=False, positive=True)
        unit2 = reader.unit(item, "unit2", line=n, required=False) or None
        if _given(item, "qty2") != _given(item, "unit2"):
            reader.fail("pair", "unit2", "qty2 与 unit2 须同时填写", "qty2 and unit2 go together", n)
        rates = [reader.rate(item, key, line=n) for key in ("tariffRate", "vatRate", "consumptionTaxRate")]
        item_name = reader.text(item, "itemName", line=n, required=False)
        if qty is None or price is None:
            continue
        _check_total(reader, item, "totalPrice", qty * price, n)
        lines.append(
            ImportLine(
                gnum=n,
                gcode=gcode,
                qty=qty,
                unit=unit,
                price=price,
                item_name=item_name,
                qty2=qty2,
                unit2=unit2,
                tariff_rate=rates[0],
                vat_rate=rates[1],
                consumption_tax_rate=rates[2],
            )
        )
    reader.unique_gnums([line.gnum for line in lines])
    if lines and not reader.errors:
        _check_total(reader, head, "goodsValue", sum((line.total_price for line in lines), Decimal(0)), None)
    prior = reader.amount(data, "priorPurchases", required=False, default=Decimal(0))
    reader.done()
    assert on is not None and prior is not None and freight is not None and insured is not None and discount is not None
    order = ImportOrder(
        order_no=order_no,
        on=on,
        buyer_id_number=buyer,
        lines=tuple(lines),
        freight=freight,
        insured_fee=insured,
        discount=discount,
        trade_mode=trade_mode,
    )
    return ImportRequest(order=order, prior_purchases=prior, date_source=date_source)


# --------------------------------------------------------------------------------------------
# Export refund claim
# --------------------------------------------------------------------------------------------


def parse_export_claim(data: object) -> ExportClaim:
    """Read ``{"enterpriseKind", "claimDate", "zoneRegistered", "exports": [...], "credit", "incomeTax"}``."""
    reader = _Reader("export_refund_claim")
    if not isinstance(data, Mapping):
        raise InvalidInput("the input must be a JSON object", "输入须为 JSON 对象", document=reader.document)
    kind_text = reader.text(data, "enterpriseKind")
    kind: EnterpriseKind | None = None
    if kind_text:
        try:
            kind = EnterpriseKind(kind_text)
        except ValueError:
            reader.fail(
                "code_list",
                "enterpriseKind",
                f"enterpriseKind 须为 trading（外贸企业）或 manufacturer（生产企业）：{kind_text!r}",
                f"enterpriseKind must be trading or manufacturer: {kind_text!r}",
            )
    claim_on = reader.day(data, "claimDate")
    zone = reader.flag(data, "zoneRegistered") or False
    lines: list[ExportLine] = []
    for i, item in enumerate(reader.items(data, "exports"), start=1):
        gnum = reader.integer(item, "gnum", line=i)
        n = gnum or i
        export_on = reader.day(
            item, "ieDate" if _given(item, "ieDate") and not _given(item, "exportDate") else "exportDate", line=n
        )
        trade_mode = reader.trade_mode(item)
        gcode = reader.gcode(item, line=n)
        qty = reader.amount(item, "qty", line=n, required=False, positive=True)
        price = reader.amount(item, "price", line=n, required=False)
        fob = reader.amount(item, "totalPrice", line=n, positive=True)
        if fob is not None and qty is not None and price is not None:
            _check_total(reader, item, "totalPrice", qty * price, n)
        currency_text = reader.text(item, "currency", line=n, required=False) or CNY
        currency = CNY
        try:
            currency = code_lists().currency(currency_text)
        except InvalidInput:
            reader.fail(
                "code_list", "currency", f"未知币制：{currency_text!r}", f"unknown currency: {currency_text!r}", n
            )
        rate = reader.amount(item, "exchangeRate", line=n, required=currency != CNY, positive=True)
        if currency == CNY and rate is not None and rate != 1:
            reader.fail("range", "exchangeRate", "人民币金额的折合率须为1", "exchangeRate must be 1 for CNY amounts", n)
        voucher = reader.flag(item, "hasPurchaseVoucher", line=n, default=True)
        invoice = reader.amount(item, "invoiceAmount", line=n, required=False)
        materials = reader.amount(item, "dutyFreeMaterials", line=n, required=False, default=Decimal(0))
        extra: dict[str, Any] = {  # read before a missing value skips the line, so every problem is reported
            "gname": reader.text(item, "gname", line=n, required=False),
            "unit": reader.unit(item, "unit", line=n, required=False),
            "invt_no": reader.text(item, "invtNo", line=n, required=False),
            "is_recorded_on_zone_platform": bool(reader.flag(item, "recordedOnZonePlatform", line=n)),
            "is_declared_at_zone_customs": bool(reader.flag(item, "declaredAtZoneCustoms", line=n)),
            "vat_rate": reader.rate(item, "vatRate", line=n),
            "refund_rate": reader.rate(item, "refundRate", line=n),
        }
        if export_on is None or fob is None:
            continue
        lines.append(
            ExportLine(
                gnum=n,
                gcode=gcode,
                export_on=export_on,
                trade_mode=trade_mode,
                fob=fob,
                currency=currency,
                exchange_rate=rate if rate is not None else Decimal(1),
                qty=qty,
                price=price,
                invoice_amount=invoice,
                has_purchase_voucher=bool(voucher),
                duty_free_materials=materials or Decimal(0),
                **extra,
            )
        )
    reader.unique_gnums([line.gnum for line in lines])
    credit: CreditPosition | None = None
    credit_in = reader.mapping(data, "credit", required=False)
    if credit_in is not None:
        output = reader.amount(credit_in, "domesticOutputVat")
        input_vat = reader.amount(credit_in, "inputVat")
        prior = reader.amount(credit_in, "priorCredit", required=False, default=Decimal(0))
        if output is not None and input_vat is not None and prior is not None:
            credit = CreditPosition(output, input_vat, prior)
    income: IncomeTaxInput | None = None
    income_in = reader.mapping(data, "incomeTax", required=False)
    if income_in is not None:
        year = reader.integer(income_in, "year")
        revenue = reader.amount(income_in, "revenue")
        small = reader.flag(income_in, "smallLowProfit") or False
        enjoyed = reader.flag(income_in, "noInvoiceExemption", default=None)
        if revenue is not None and year:
            income = IncomeTaxInput(year, revenue, small, enjoyed)
    reader.done()
    assert kind is not None and claim_on is not None
    return ExportClaim(
        kind=kind,
        claim_on=claim_on,
        lines=tuple(lines),
        is_zone_registered=zone,
        credit=credit,
        income_tax=income,
        period=reader.text(data, "period", required=False),
    )


# --------------------------------------------------------------------------------------------
# Returned goods
# --------------------------------------------------------------------------------------------


def parse_returned_goods(data: object) -> ReturnedGoods:
    """Read ``{"tradeMode", "exportDate", "leftAreaDate", "returnDate", "reason", "originalState", "lines": [...]}``."""
    reader = _Reader("returned_goods")
    if not isinstance(data, Mapping):
        raise InvalidInput("the input must be a JSON object", "输入须为 JSON 对象", document=reader.document)
    invt_no = reader.text(data, "invtNo", required=False)
    if invt_no:
        reader.document = f"returned_goods invtNo={invt_no}"
    trade_mode = reader.trade_mode(data)
    export_on = reader.day(data, "exportDate")
    left_area_on = reader.day(data, "leftAreaDate", required=False)
    return_on = reader.day(data, "returnDate")
    reason = reader.text(data, "reason")
    original = reader.required_flag(data, "originalState")
    refund_head = reader.amount(data, "exportRefundReceived", required=False, default=Decimal(0))
    duty_head = reader.amount(data, "exportDutyPaid", required=False, default=Decimal(0))
    lines: list[ReturnLine] = []
    for i, item in enumerate(reader.items(data, "lines"), start=1):
        gnum = reader.integer(item, "gnum", line=i)
        n = gnum or i
        gcode = reader.gcode(item, line=n)
        value = reader.amount(item, "value", line=n, positive=True)
        is_food = reader.required_flag(item, "isFood", line=n)
        qty2 = reader.amount(item, "qty2", line=n, required=False, positive=True)
        unit2 = reader.unit(item, "unit2", line=n, required=False) or None
        refund = reader.amount(item, "exportRefundReceived", line=n, required=False, default=Decimal(0))
        duty = reader.amount(item, "exportDutyPaid", line=n, required=False, default=Decimal(0))
        extra_return: dict[str, Any] = {  # read before a missing value skips the line, so every problem is reported
            "gname": reader.text(item, "gname", line=n, required=False),
            "qty": reader.amount(item, "qty", line=n, required=False, positive=True),
            "unit": reader.unit(item, "unit", line=n, required=False),
            "tariff_rate": reader.rate(item, "tariffRate", line=n),
            "vat_rate": reader.rate(item, "vatRate", line=n),
            "consumption_tax_rate": reader.rate(item, "consumptionTaxRate", line=n),
        }
        if _given(item, "qty2") != _given(item, "unit2"):
            reader.fail("pair", "unit2", "qty2 与 unit2 须同时填写", "qty2 and unit2 go together", n)
        if value is None:
            continue
        lines.append(
            ReturnLine(
                gnum=n,
                gcode=gcode,
                value=value,
                is_food=is_food,
                qty2=qty2,
                unit2=unit2,
                export_refund_received=refund or Decimal(0),
                export_duty_paid=duty or Decimal(0),
                **extra_return,
            )
        )
    reader.unique_gnums([line.gnum for line in lines])
    reader.done()
    assert export_on is not None and return_on is not None
    return ReturnedGoods(
        trade_mode=trade_mode,
        export_on=export_on,
        return_on=return_on,
        reason=reason,
        is_original_state=original,
        lines=tuple(lines),
        left_area_on=left_area_on,
        invt_no=invt_no,
        export_refund_received=refund_head or Decimal(0),
        export_duty_paid=duty_head or Decimal(0),
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _amt(value: Decimal) -> str:
    """An amount with two decimals, as text ("12.34")."""
    return format(to_fen(value), "f")


def _exact(value: Decimal) -> str:
    """An unrounded intermediate, to CEB's five decimals."""
    return format(to_ceb(value), "f")


def _rate(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _qty(value: Decimal) -> str:
    return _rate(value)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def mask_id_number(number: str) -> str:
    """The buyer's ID number with the birth date and serial hidden (personal data)."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else number


def applied_rate_dict(rate: AppliedRate) -> dict[str, Any]:
    out: dict[str, Any] = {"rate": _rate(rate.rate), "origin": rate.origin, "source": rate.source}
    if rate.status:
        out["status"] = rate.status
    if rate.table:
        out["table"] = rate.table
        out["row"] = rate.line
        out["hsPrefix"] = rate.hs_prefix
        out["validFrom"] = _iso(rate.valid_from)
        out["validTo"] = _iso(rate.valid_to)
    if rate.note:
        out["note"] = rate.note
    return out


def _threshold_dict(check: ThresholdCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "per": check.per,
        "unitPrice": format(check.unit_price.quantize(Decimal("0.0001")), "f"),
        "minimum": _rate(check.minimum),
        "priceBasis": _amt(check.price_basis),
        "quantity": _qty(check.quantity),
        "taxable": check.is_taxable,
    }


def _policy_list(values: Sequence[PolicyValue]) -> list[dict[str, str]]:
    return [{"key": v.key, "value": v.value, "status": v.status, "source": v.source} for v in values]


def _tables(digest: str, origins: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"sha256": digest, "files": dict(origins)}


def _conditions(conditions: Sequence[Condition]) -> list[dict[str, object]]:
    return [c.as_dict() for c in conditions]


def _taxes(customs: Decimal, vat: Decimal, ct: Decimal) -> dict[str, str]:
    return {
        "customsTax": _amt(customs),
        "valueAddedTax": _amt(vat),
        "consumptionTax": _amt(ct),
        "taxTotal": _amt(customs + vat + ct),
    }


def _statutory(taxes: StatutoryTaxes) -> dict[str, str]:
    return {
        "customsTax": _exact(taxes.customs_tax),
        "consumptionTax": _exact(taxes.consumption_tax),
        "valueAddedTax": _exact(taxes.value_added_tax),
    }


RETAIL_FORMULA = (
    "CT = (P + duty) / (1 − c) × c; VAT = (P + duty + CT) × v; within the limits duty = 0 and "
    "CT, VAT × 0.7; each tax rounded per line (RULES.md §1.3–1.4)"
)


def import_assessment_dict(a: ImportAssessment, *, date_source: str = "") -> dict[str, Any]:
    order, limits, rs = a.order, a.limits, a.rule_set
    treatment = a.treatment
    return {
        "kind": "cbec.tax.import",
        "orderNo": order.order_no,
        "on": order.on.isoformat(),
        "tradeMode": order.trade_mode or None,
        "buyerIdNumber": mask_id_number(order.buyer_id_number),
        "withinLimits": limits.is_within_limits,
        "treatment": treatment.value,
        "treatmentZh": import_tax.TREATMENT_ZH[treatment],
        "treatmentEn": TREATMENT_EN[treatment],
        "goodsValue": _amt(order.goods_value),
        "freight": _amt(order.freight),
        "insuredFee": _amt(order.insured_fee),
        "discount": _amt(order.discount),
        "taxPrice": _amt(sum((t.tax_price for t in a.lines), Decimal(0))),
        **_taxes(a.customs_tax, a.value_added_tax, a.consumption_tax),
        "limits": {
            "orderValue": _amt(limits.order_value),
            "singleLimit": _amt(rs.single_limit),
            "annualLimit": _amt(rs.annual_limit),
            "singleItem": limits.is_single_item,
            "periodFrom": limits.period_start.isoformat(),
            "periodTo": limits.period_end.isoformat(),
            "priorPurchases": _amt(limits.prior_purchases),
            "afterOrder": _amt(limits.after_order),
            "countsTowardAnnual": limits.counts_toward_annual,
            "remaining": _amt(limits.remaining),
        },
        "lines": [
            {
                "gnum": t.gnum,
                "gcode": t.gcode,
                "totalPrice": _amt(t.goods_value),
                "freightShare": _amt(t.freight_share),
                "taxPrice": _amt(t.tax_price),
                **_taxes(t.customs_tax, t.value_added_tax, t.consumption_tax),
            }
            for t in a.lines
        ],
        "basis": {
            "ruleSet": {
                "id": rs.id,
                "validFrom": rs.valid_from.isoformat(),
                "validTo": _iso(rs.valid_to),
                "sources": list(rs.sources),
                "withinLimitTariffRate": _rate(rs.within_limit_tariff_rate),
                "withinLimitFactor": _rate(rs.within_limit_factor),
            },
            "on": order.on.isoformat(),
            "dateFrom": date_source or None,
            "formula": RETAIL_FORMULA,
            "discountNote": "CEB311 discount (points, vouchers, coupons) is not deducted from the dutiable value "
            "(GACC price rule, RULES.md §1.1) / 非现金抵扣金额不从完税价格中扣减",
            "lines": [
                {
                    "gnum": t.gnum,
                    "factor": _rate(t.factor),
                    "tariffRate": applied_rate_dict(t.tariff),
                    "vatRate": applied_rate_dict(t.vat),
                    "consumptionTaxRate": applied_rate_dict(t.consumption),
                    "threshold": _threshold_dict(t.threshold),
                    "statutory": _statutory(t.statutory),
                    "due": _statutory(t.due),
                }
                for t in a.lines
            ],
            "policy": _policy_list(a.policy),
            "tables": _tables(a.tables_digest, a.tables_origins),
        },
    }


def _export_line_dict(r: ExportLineResult) -> dict[str, Any]:
    line = r.line
    out: dict[str, Any] = {
        "gnum": line.gnum,
        "gcode": line.gcode,
        "invtNo": line.invt_no or None,
        "tradeMode": line.trade_mode,
        "exportDate": line.export_on.isoformat(),
        "totalPrice": _amt(line.fob),
        "currency": line.currency,
        "exchangeRate": _rate(line.exchange_rate),
        "fobCny": _amt(r.fob_cny),
        "treatment": r.treatment.value,
        "treatmentZh": TREATMENT_ZH[r.treatment],
        "invoiceAmount": _amt(line.invoice_amount) if line.invoice_amount is not None else None,
        "refund": _amt(r.refund_amount),
        "costTransfer": _amt(r.cost_transfer),
        "nonCreditable": _amt(r.non_creditable),
        "exemptCreditRefund": _amt(r.exempt_credit_refund),
        "deadline": r.deadline.isoformat(),
        "pastDeadline": r.is_past_deadline,
    }
    if r.deadline_note:
        out["deadlineNote"] = {"message_zh": r.deadline_note[0], "message_en": r.deadline_note[1]}
    if r.conditions:
        out["conditions"] = _conditions(r.conditions)
        out["failedConditions"] = _conditions(r.failed_conditions)
    return out


def export_assessment_dict(a: ExportRefundAssessment) -> dict[str, Any]:
    claim = a.claim
    flags: list[dict[str, Any]] = []
    for r in a.lines:
        if r.deadline_note:
            flags.append(
                {
                    "gnum": r.line.gnum,
                    "code": "past_deadline",
                    "message_zh": r.deadline_note[0],
                    "message_en": r.deadline_note[1],
                }
            )
        flags.extend({"gnum": r.line.gnum, **c.as_dict()} for c in r.failed_conditions)
    manufacturer = None
    if a.manufacturer is not None:
        m = a.manufacturer
        assert claim.credit is not None
        manufacturer = {
            "domesticOutputVat": _amt(claim.credit.domestic_output_vat),
            "inputVat": _amt(claim.credit.input_vat),
            "priorCredit": _amt(claim.credit.prior_credit),
            "nonCreditable": _amt(m.non_creditable),
            "payable": _amt(m.payable),
            "taxPayable": _amt(m.tax_payable),
            "endingCredit": _amt(m.ending_credit),
            "exemptCreditRefund": _amt(m.exempt_credit_refund),
            "refund": _amt(m.refund),
            "offset": _amt(m.offset),
            "carryForwardCredit": _amt(m.carry_forward),
        }
    income = None
    if a.income_tax is not None:
        it = a.income_tax
        income = {
            "year": it.year,
            "applicable": it.is_applicable,
            "conditions": _conditions(it.conditions),
            "revenue": _amt(it.revenue),
            "taxableIncomeRate": _rate(it.rule.taxable_income_rate) if it.rule else None,
            "taxableIncome": _amt(it.taxable_income),
            "standardRate": _rate(it.standard_rate),
            "taxAtStandardRate": _amt(it.tax_at_standard_rate),
            "smallLowProfitClaimed": it.is_small_low_profit_claimed,
            "smallLowProfitApplied": it.is_small_low_profit_applied,
            "smallLowProfitNote": {
                "message_zh": it.small_low_profit_note[0],
                "message_en": it.small_low_profit_note[1],
            },
            "bands": [
                {
                    "from": _amt(b.band_from),
                    "to": _amt(b.band_to),
                    "taxableShare": _rate(b.taxable_share),
                    "rate": _rate(b.rate),
                    "source": b.source,
                    "status": b.status,
                }
                for b in it.bands
            ],
            "incomeTax": _amt(it.tax),
            "source": it.rule.source if it.rule else None,
        }
    return {
        "kind": "cbec.tax.refund",
        "enterpriseKind": claim.kind.value,
        "claimDate": claim.claim_on.isoformat(),
        "period": claim.period or None,
        "zoneRegistered": claim.is_zone_registered,
        "refundTotal": _amt(a.refund_total),
        "costTransferTotal": _amt(a.cost_transfer_total),
        "exemptValueTotal": _amt(a.exempt_value_total),
        "lines": [_export_line_dict(r) for r in a.lines],
        "manufacturer": manufacturer,
        "incomeTax": income,
        "flags": flags,
        "basis": {
            "claimDate": claim.claim_on.isoformat(),
            "method": "免退税 (trading: invoice × refund rate)"
            if claim.kind is EnterpriseKind.TRADING
            else "免抵退税 (manufacturer: FOB × (VAT − refund) non-creditable; refund limited by the credit)",
            "sources": [
                "财税〔2012〕39号",
                "财税〔2013〕96号",
                "国家税务总局公告2012年第24号",
                "财政部 税务总局公告2020年第2号",
                "财税〔2018〕103号",
                "国家税务总局公告2019年第36号",
            ],
            "lines": [
                {
                    "gnum": r.line.gnum,
                    "on": r.line.export_on.isoformat(),
                    "vatRate": applied_rate_dict(r.vat) if r.vat else None,
                    "refundRate": applied_rate_dict(r.refund) if r.refund else None,
                }
                for r in a.lines
            ],
            "policy": _policy_list(a.policy),
            "tables": _tables(a.tables_digest, a.tables_origins),
        },
    }


def return_assessment_dict(a: ReturnReliefAssessment) -> dict[str, Any]:
    g = a.goods
    steps: list[dict[str, str]] = []
    if any(t.is_relieved for t in a.lines):
        if a.export_refund_to_repay > 0:
            steps.append(
                {
                    "message_zh": f"先补缴已退出口退税 {_amt(a.export_refund_to_repay)} 元，取得税务机关《出口货物已补税/未退税证明》",
                    "message_en": f"first repay the export refund received ({_amt(a.export_refund_to_repay)}) and obtain "
                    "the tax office's 《出口货物已补税/未退税证明》",
                }
            )
        steps.append(
            {
                "message_zh": f"复运进境申报免征进口关税、进口环节增值税和消费税，共 {_amt(a.relieved_total)} 元",
                "message_en": f"declare the re-import free of import duty, import VAT and consumption tax "
                f"({_amt(a.relieved_total)} relieved)",
            }
        )
        if a.export_duty_refundable > 0:
            steps.append(
                {
                    "message_zh": f"申请退还出口时已征出口关税 {_amt(a.export_duty_refundable)} 元",
                    "message_en": f"claim back the export duty paid ({_amt(a.export_duty_refundable)})",
                }
            )
    if a.due_total > 0:
        steps.append(
            {
                "message_zh": f"不符合条件的货物按规定征收进口税款 {_amt(a.due_total)} 元",
                "message_en": f"goods that do not qualify pay the import taxes ({_amt(a.due_total)})",
            }
        )
    return {
        "kind": "cbec.tax.return-relief",
        "invtNo": g.invt_no or None,
        "eligible": a.is_eligible,
        "tradeMode": g.trade_mode,
        "exportDate": g.export_on.isoformat(),
        "leftAreaDate": _iso(g.left_area_on),
        "returnDate": g.return_on.isoformat(),
        "deadline": _iso(a.deadline),
        "reason": g.reason,
        "policyWindow": {
            "id": a.window.id,
            "exportsFrom": a.window.exports_from.isoformat(),
            "exportsTo": a.window.exports_to.isoformat(),
            "sources": list(a.window.sources),
        }
        if a.window
        else None,
        "failedConditions": _conditions(a.failed_conditions),
        "conditions": _conditions(a.conditions),
        "relieved": _taxes(a.relieved.customs_tax, a.relieved.value_added_tax, a.relieved.consumption_tax),
        "due": _taxes(a.due.customs_tax, a.due.value_added_tax, a.due.consumption_tax),
        "exportRefundToRepay": _amt(a.export_refund_to_repay),
        "exportDutyRefundable": _amt(a.export_duty_refundable),
        "steps": steps,
        "evidence": [{"message_zh": zh, "message_en": en} for zh, en in a.evidence],
        "lines": [
            {
                "gnum": t.line.gnum,
                "gcode": t.line.gcode,
                "value": _amt(t.line.value),
                "relieved": t.is_relieved,
                **_taxes(t.customs_tax, t.value_added_tax, t.consumption_tax),
            }
            for t in a.lines
        ],
        "basis": {
            "on": g.return_on.isoformat(),
            "formula": "duty = P × t; CT = (P + duty) / (1 − c) × c; VAT = (P + duty + CT) × v; rounded per line",
            "lines": [
                {
                    "gnum": t.line.gnum,
                    "tariffRate": applied_rate_dict(t.tariff),
                    "vatRate": applied_rate_dict(t.vat),
                    "consumptionTaxRate": applied_rate_dict(t.consumption),
                    "threshold": _threshold_dict(t.threshold),
                    "statutory": _statutory(t.statutory),
                }
                for t in a.lines
            ],
            "policy": _policy_list(a.policy),
            "tables": _tables(a.tables_digest, a.tables_origins),
        },
    }
