"""The tax engine's JSON reader: ``{"OrderHead": …, "OrderList": […]}``, export claims and returned
goods read into the frozen dataclasses of the rules, every problem of a document collected and
raised once with the field and the line (zh/en). Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from stdnum.cn import ric

from cbec.errors import InvalidInput
from cbec.kit.codes import code_lists
from cbec.tax.export_refund import (
    CNY,
    CreditPosition,
    EnterpriseKind,
    ExportClaim,
    ExportLine,
)
from cbec.tax.fields import IMPORT_TRADE_MODES, _check_total, _day, _given, _Reader
from cbec.tax.import_tax import (
    ImportLine,
    ImportOrder,
)
from cbec.tax.income_tax import IncomeTaxInput
from cbec.tax.return_relief import ReturnedGoods, ReturnLine
from cbec.tax.schemas import ImportRequest


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


def _tax_day(reader: _Reader, data: Mapping[str, Any], head: Mapping[str, Any]) -> tuple[date | None, str]:
    """The day the tax applies on, and where it came from: ``on``, else the order's appTime."""
    on_text = head.get("on", data.get("on"))
    if on_text not in (None, ""):
        return reader.day({"on": on_text}, "on"), "on"
    if head.get("appTime") not in (None, ""):
        app_time = reader.text(head, "appTime")
        on = _day(app_time) if re.fullmatch(r"\d{14}", app_time) else None
        if on is None:
            reader.fail(
                "date",
                "appTime",
                f"appTime 须为 YYYYMMDDhhmmss：{app_time!r}",
                f"appTime must be YYYYMMDDhhmmss: {app_time!r}",
            )
        return on, "appTime"
    reader.fail(
        "required",
        "appTime",
        "缺少 appTime 或 on（计税日期）",
        "appTime or on (the date the tax applies on) is missing",
    )
    return None, ""


def _import_line(reader: _Reader, item: Mapping[str, Any], i: int) -> ImportLine | None:
    """One OrderList line; None when its quantity or price is missing (the problem is recorded)."""
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
    qty1 = reader.amount(item, "qty1", line=n, required=False, positive=True)
    unit1 = reader.unit(item, "unit1", line=n, required=False) or None
    if _given(item, "qty1") != _given(item, "unit1"):
        reader.fail("pair", "unit1", "qty1 与 unit1 须同时填写", "qty1 and unit1 go together", n)
    rates = [reader.rate(item, key, line=n) for key in ("tariffRate", "vatRate", "consumptionTaxRate")]
    item_name = reader.text(item, "itemName", line=n, required=False)
    if qty is None or price is None:
        return None
    _check_total(reader, item, "totalPrice", qty * price, n)
    return ImportLine(
        gnum=n,
        gcode=gcode,
        qty=qty,
        unit=unit,
        price=price,
        item_name=item_name,
        qty2=qty2,
        unit2=unit2,
        qty1=qty1,
        unit1=unit1,
        tariff_rate=rates[0],
        vat_rate=rates[1],
        consumption_tax_rate=rates[2],
    )


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
    on, date_source = _tax_day(reader, data, head)
    buyer = reader.text(head, "buyerIdNumber").upper()
    _check_buyer(reader, buyer)
    trade_mode = reader.trade_mode(head, required=False)
    _check_trade_mode(reader, trade_mode)
    freight = reader.amount(head, "freight", required=False, default=Decimal(0))
    insured = reader.amount(head, "insuredFee", required=False, default=Decimal(0))
    discount = reader.amount(head, "discount", required=False, default=Decimal(0))
    read = (_import_line(reader, item, i) for i, item in enumerate(lines_in, start=1))
    lines = [line for line in read if line is not None]
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
