"""Shared builders for integration and end-to-end tests: realistic partner documents."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from cbec.config import Settings
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.unit_of_work import UnitOfWork

PLATFORM = EnterpriseCreate(code="91330782MA2DEMP02Y", name="义乌示范跨境电商平台有限公司", roles=["ebp"])
SELLER = EnterpriseCreate(code="91330782MA2DEMN016", name="义乌示范礼品家居有限公司", roles=["ebc"])
LOGISTICS = EnterpriseCreate(code="91310000MA1FL0G03T", name="上海示范国际物流有限公司", roles=["logistics"])


def register_partners(settings: Settings) -> None:
    with UnitOfWork(settings) as uow:
        for e in (PLATFORM, SELLER, LOGISTICS, PAYER):
            partners.ensure_enterprise(uow.session, e)
        uow.commit()


def export_order(
    order_no: str = "SO20261123001", *, qty: str = "2", price: str = "12.50", sku: str = "MUG-001"
) -> dict[str, Any]:
    total = Decimal(qty) * Decimal(price)
    return {
        "type": "export_order",
        "head": {
            "orderType": "E",
            "orderNo": order_no,
            "ebpCode": PLATFORM.code,
            "ebpName": PLATFORM.name,
            "ebcCode": SELLER.code,
            "ebcName": SELLER.name,
            "goodsValue": str(total),
            "freight": "5",
            "currency": "502",
            "orderTime": "20261123101500",
            "destinationCountry": "502",
        },
        "lines": [
            {
                "gnum": 1,
                "itemNo": sku,
                "itemName": "陶瓷马克杯 ceramic mug",
                "qty": qty,
                "unit": "011",
                "price": price,
                "totalPrice": str(total),
                "currency": "502",
            }
        ],
    }


def export_waybill(order_no: str = "SO20261123001", logistics_no: str = "LP123456785CN") -> dict[str, Any]:
    return {
        "type": "export_waybill",
        "head": {
            "logisticsCode": LOGISTICS.code,
            "logisticsName": LOGISTICS.name,
            "logisticsNo": logistics_no,
            "freight": "5",
            "insuredFee": "0",
            "currency": "502",
            "grossWeight": "0.8",
            "packNo": "1",
            "goodsInfo": "ceramic mug",
            "orderNo": order_no,
            "ebpCode": PLATFORM.code,
        },
    }


def as_bytes(*docs: dict[str, Any]) -> bytes:
    return json.dumps(list(docs), ensure_ascii=False).encode()


PAYER = EnterpriseCreate(code="91310115MA1K4PAY00", name="示范支付有限公司", roles=["pay"])
BUYER = {"buyerName": "张三", "buyerIdNumber": "110101199003074477", "buyerTelephone": "13800138000"}
CONSIGNEE = {"consignee": "张三", "consigneeTelephone": "13800138000", "consigneeAddress": "北京市东城区示范路1号"}


def import_order(order_no: str = "IO20261123001", *, price: str = "199.00", tax: str = "23.65") -> dict[str, Any]:
    goods = Decimal(price)
    freight = Decimal("10")
    paid = goods + freight + Decimal(tax)
    return {
        "type": "import_order",
        "head": {
            "orderType": "I",
            "orderNo": order_no,
            "ebpCode": PLATFORM.code,
            "ebpName": PLATFORM.name,
            "ebcCode": SELLER.code,
            "ebcName": SELLER.name,
            "goodsValue": str(goods),
            "freight": str(freight),
            "discount": "0",
            "taxTotal": tax,
            "acturalPaid": str(paid),
            "currency": "142",
            "buyerRegNo": "buyer-0001",
            "buyerIdType": "1",
            **BUYER,
            **CONSIGNEE,
        },
        "lines": [
            {
                "gnum": 1,
                "itemNo": "CREAM-50",
                "itemName": "保湿面霜",
                "gmodel": "50ml/瓶",
                "unit": "011",
                "qty": "1",
                "price": price,
                "totalPrice": price,
                "qty2": "50",  # 50 ml: the price per ml decides the consumption tax of cosmetics
                "unit2": "096",
                "currency": "142",
                "country": "116",
            }
        ],
    }


def import_payment(order_no: str = "IO20261123001", amount: str = "232.65") -> dict[str, Any]:
    return {
        "type": "import_payment",
        "head": {
            "payCode": PAYER.code,
            "payName": PAYER.name,
            "payTransactionId": "PAY" + order_no,
            "orderNo": order_no,
            "ebpCode": PLATFORM.code,
            "ebpName": PLATFORM.name,
            "payerIdType": "1",
            "payerIdNumber": BUYER["buyerIdNumber"],
            "payerName": BUYER["buyerName"],
            "amountPaid": amount,
            "currency": "142",
            "payTime": "20261123101600",
        },
    }


def import_waybill(order_no: str = "IO20261123001", **overrides: str) -> dict[str, Any]:
    head = {
        "logisticsCode": LOGISTICS.code,
        "logisticsName": LOGISTICS.name,
        "logisticsNo": "EE123456785JP",
        "orderNo": order_no,
        "currency": "142",
        "weight": "0.3",
        "packNo": "1",
        **CONSIGNEE,
    }
    head.update(overrides)
    return {"type": "import_waybill", "head": head}
