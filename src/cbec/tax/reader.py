"""The tax engine's JSON reader: ``{"OrderHead": …, "OrderList": […]}``, export claims and returned
goods read into the frozen dataclasses of the rules, every problem of a document collected and
raised once with the field and the line (zh/en). Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.cn import ric

from cbec.errors import FieldError, InvalidInput
from cbec.kit.codes import code_lists
from cbec.kit.money import to_fen
from cbec.tax.export_refund import (
    CNY,
    CreditPosition,
    EnterpriseKind,
    ExportClaim,
    ExportLine,
    IncomeTaxInput,
)
from cbec.tax.import_tax import (
    ImportLine,
    ImportOrder,
)
from cbec.tax.return_relief import ReturnedGoods, ReturnLine
from cbec.tax.schemas import ImportRequest

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


def _enterprise_kind(reader: _Reader, data: Mapping[str, Any]) -> EnterpriseKind | None:
    kind_text = reader.text(data, "enterpriseKind")
    if not kind_text:
        return None
    try:
        return EnterpriseKind(kind_text)
    except ValueError:
        reader.fail(
            "code_list",
            "enterpriseKind",
            f"enterpriseKind 须为 trading（外贸企业）或 manufacturer（生产企业）：{kind_text!r}",
            f"enterpriseKind must be trading or manufacturer: {kind_text!r}",
        )
        return None


def _claim_currency(reader: _Reader, item: Mapping[str, Any], n: int) -> tuple[str, Decimal | None]:
    """A line's customs currency code and its exchange rate (1 for CNY, required otherwise)."""
    currency_text = reader.text(item, "currency", line=n, required=False) or CNY
    currency = CNY
    try:
        currency = code_lists().currency(currency_text)
    except InvalidInput:
        reader.fail("code_list", "currency", f"未知币制：{currency_text!r}", f"unknown currency: {currency_text!r}", n)
    rate = reader.amount(item, "exchangeRate", line=n, required=currency != CNY, positive=True)
    if currency == CNY and rate is not None and rate != 1:
        reader.fail("range", "exchangeRate", "人民币金额的折合率须为1", "exchangeRate must be 1 for CNY amounts", n)
    return currency, rate


def _export_line(reader: _Reader, item: Mapping[str, Any], i: int) -> ExportLine | None:
    """One exported line of a claim; None when a value it cannot do without is missing (the
    problem is recorded)."""
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
    currency, rate = _claim_currency(reader, item, n)
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
        return None
    return ExportLine(
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


def _credit(reader: _Reader, data: Mapping[str, Any]) -> CreditPosition | None:
    """A manufacturer's VAT credit position, when given."""
    credit_in = reader.mapping(data, "credit", required=False)
    if credit_in is None:
        return None
    output = reader.amount(credit_in, "domesticOutputVat")
    input_vat = reader.amount(credit_in, "inputVat")
    prior = reader.amount(credit_in, "priorCredit", required=False, default=Decimal(0))
    if output is not None and input_vat is not None and prior is not None:
        return CreditPosition(output, input_vat, prior)
    return None


def _income(reader: _Reader, data: Mapping[str, Any]) -> IncomeTaxInput | None:
    """The deemed-profit income tax question, when asked."""
    income_in = reader.mapping(data, "incomeTax", required=False)
    if income_in is None:
        return None
    year = reader.integer(income_in, "year")
    revenue = reader.amount(income_in, "revenue")
    small = reader.flag(income_in, "smallLowProfit") or False
    enjoyed = reader.flag(income_in, "noInvoiceExemption", default=None)
    return IncomeTaxInput(year, revenue, small, enjoyed) if revenue is not None and year else None


def parse_export_claim(data: object) -> ExportClaim:
    """Read ``{"enterpriseKind", "claimDate", "zoneRegistered", "exports": [...], "credit", "incomeTax"}``."""
    reader = _Reader("export_refund_claim")
    if not isinstance(data, Mapping):
        raise InvalidInput("the input must be a JSON object", "输入须为 JSON 对象", document=reader.document)
    kind = _enterprise_kind(reader, data)
    claim_on = reader.day(data, "claimDate")
    zone = reader.flag(data, "zoneRegistered") or False
    read = (_export_line(reader, item, i) for i, item in enumerate(reader.items(data, "exports"), start=1))
    lines = [line for line in read if line is not None]
    reader.unique_gnums([line.gnum for line in lines])
    credit = _credit(reader, data)
    income = _income(reader, data)
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
