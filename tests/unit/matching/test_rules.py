"""The matching rule table: each rule decides what a seller or customs would decide."""

from __future__ import annotations

from cbec.matching.rules import EXPORT, IMPORT, Doc, MatchInput, MatchState, match

EXPORT_ORDER = {
    "orderNo": "536365",
    "ebpCode": "91330782MA2DEMP02Y",
    "ebcCode": "91330782MA2DEMN016",
    "goodsValue": "139.12",
    "freight": "15",
    "currency": "303",
    "destinationCountry": "303",
}
LINES = [{"gnum": 1, "itemNo": "85123A"}, {"gnum": 2, "itemNo": "71053"}, {"itemNo": "POST", "kind": "freight"}]
WAYBILL = {"logisticsNo": "LP100000013CN", "orderNo": "536365", "ebcCode": "91330782MA2DEMN016"}
SKUS = frozenset({"85123A", "71053"})


def _export(**kw: object) -> MatchInput:
    base: dict[str, object] = {
        "order": Doc(1, EXPORT_ORDER, LINES),
        "waybill": Doc(2, WAYBILL),
        "confirmed_skus": SKUS,
    }
    base.update(kw)
    return MatchInput(**base)  # type: ignore[arg-type]


def test_export_order_with_waybill_and_confirmed_skus_is_matched() -> None:
    out = match(_export(), EXPORT)
    assert out.state is MatchState.MATCHED
    assert out.reason == ""
    assert all(r.passed for r in out.rules)


def test_export_without_waybill_is_unmatched_with_the_reason_in_both_languages() -> None:
    out = match(_export(waybill=None), EXPORT)
    assert out.state is MatchState.UNMATCHED
    assert out.reason == "waybill_present"
    failed = out.failed[0]
    assert "运单" in failed.reason_zh and "waybill" in failed.reason_en


def test_payment_receipt_is_optional_for_export_but_checked_when_present() -> None:
    assert match(_export(payment=None), EXPORT).state is MatchState.MATCHED
    good = Doc(3, {"charge": "154.12", "currency": "303"})
    assert match(_export(payment=good), EXPORT).state is MatchState.MATCHED
    short = Doc(3, {"charge": "150.00", "currency": "303"})
    out = match(_export(payment=short), EXPORT)
    assert out.state is MatchState.UNMATCHED and out.reason == "receipt"
    assert "154.12" in out.failed[0].reason_en


def test_unconfirmed_sku_holds_the_order_instead_of_guessing() -> None:
    out = match(_export(confirmed_skus=frozenset({"85123A"})), EXPORT)
    assert out.state is MatchState.HELD
    assert out.reason == "hs_confirmed"
    assert "71053" in out.failed[0].reason_en
    assert "POST" not in out.failed[0].reason_en  # postage is not goods


def test_waybill_of_another_seller_does_not_match() -> None:
    out = match(_export(waybill=Doc(2, {**WAYBILL, "ebcCode": "91310000MA1FL0G03T"})), EXPORT)
    assert out.state is MatchState.UNMATCHED and out.reason == "waybill_seller"


def test_export_to_china_is_refused() -> None:
    out = match(_export(order=Doc(1, {**EXPORT_ORDER, "destinationCountry": "142"}, LINES)), EXPORT)
    assert out.reason == "destination"


def test_every_reason_is_reported_not_only_the_first() -> None:
    out = match(
        _export(order=Doc(1, EXPORT_ORDER, LINES, is_valid=False), waybill=None, confirmed_skus=frozenset()), EXPORT
    )
    assert {r.rule for r in out.failed} == {"order_valid", "waybill_present", "hs_confirmed"}
    assert out.reason == "order_valid"


IMPORT_ORDER = {
    "orderNo": "IM2024000001",
    "ebpCode": "1105910159",
    "acturalPaid": "19050",
    "buyerIdNumber": "110101199003072316",
    "buyerName": "张三",
    "consignee": "张三",
    "consigneeTelephone": "13800138000",
    "consigneeAddress": "北京市东城区东华门街道1号",
    "payTransactionId": "PAY0001",
}
PAYMENT = {
    "payTransactionId": "PAY0001",
    "orderNo": "IM2024000001",
    "amountPaid": "19050.00000",
    "payerIdNumber": "110101199003072316",
    "payerName": "张三",
}
IMPORT_WAYBILL = {
    "orderNo": "IM2024000001",
    "consignee": "张三",
    "consigneeTelephone": "13800138000",
    "consigneeAddress": "北京市东城区东华门街道1号",
}


def _import(**kw: object) -> MatchInput:
    base: dict[str, object] = {
        "order": Doc(1, IMPORT_ORDER, [{"gnum": 1, "itemNo": "SKU1"}]),
        "payment": Doc(2, PAYMENT),
        "waybill": Doc(3, IMPORT_WAYBILL),
        "confirmed_skus": frozenset({"SKU1"}),
    }
    base.update(kw)
    return MatchInput(**base)  # type: ignore[arg-type]


def test_three_documents_that_agree_match() -> None:
    assert match(_import(), IMPORT).state is MatchState.MATCHED


def test_amount_paid_compares_exact_decimals_not_text() -> None:
    # "19050.00000" on the payment equals "19050" on the order
    assert match(_import(), IMPORT).state is MatchState.MATCHED
    out = match(_import(payment=Doc(2, {**PAYMENT, "amountPaid": "19049.99"})), IMPORT)
    assert out.reason == "amount_paid"
    assert "19049.99" in out.failed[0].reason_en


def test_consignee_must_equal_the_waybill() -> None:
    out = match(_import(waybill=Doc(3, {**IMPORT_WAYBILL, "consigneeTelephone": "13900139000"})), IMPORT)
    assert out.reason == "consignee"
    assert "consigneeTelephone" in out.failed[0].reason_en
    assert "收货人电话" in out.failed[0].reason_zh


def test_payer_must_be_the_buyer() -> None:
    out = match(_import(payment=Doc(2, {**PAYMENT, "payerIdNumber": "11010119900307233X"})), IMPORT)
    assert out.reason == "payer_is_buyer"


def test_missing_payment_is_named() -> None:
    out = match(_import(payment=None), IMPORT)
    assert out.state is MatchState.UNMATCHED and out.reason == "payment_present"
