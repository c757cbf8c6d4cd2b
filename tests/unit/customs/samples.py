"""Realistic documents for every declaration message, keyed by CEB field names.

Invented enterprises and people; code values from CEB.md §4 (142 CNY, 502 USD/USA, 011 件,
035 千克, trafMode 5 air / 4 road, wrapType 2 carton). Plumbing (guid, appType, appTime,
appStatus, msgCount/msgSeqNo, gnum) is left to the builder.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D
from typing import Any

from cbec.ceb.messages import BaseTransfer, Entity, export_order_type

AT = datetime(2026, 11, 23, 10, 30, 0)

EBP = {"ebpCode": "3301961234", "ebpName": "杭州示例跨境电商平台有限公司"}
EBC = {"ebcCode": "3301965678", "ebcName": "杭州示例贸易有限公司"}
LOGISTICS = {"logisticsCode": "3301980001", "logisticsName": "示例国际物流有限公司"}
AGENT = {"agentCode": "3301965678", "agentName": "杭州示例贸易有限公司"}
BUYER = {
    "buyerIdType": "1",
    "buyerIdNumber": "110101199001010000",  # invented, not a real person
    "buyerName": "张三",
    "buyerTelephone": "13800000000",
}
TRANSFER = BaseTransfer(copCode="3301965678", copName="杭州示例贸易有限公司", dxpId="DXPENT0000000001")


def export_order(trade_mode: str = "9610", order_no: str = "EO202611230001") -> Entity:
    return Entity(
        {
            "orderType": export_order_type(trade_mode),
            "orderNo": order_no,
            **EBP,
            **EBC,
            "goodsValue": D("59.90"),
            "freight": D("0"),
            "currency": "502",
            "orderTime": "20261123093000",  # an intake extension field: never written
        },
        (
            {
                "itemNo": "SKU-001",
                "itemName": "陶瓷马克杯",
                "barCode": "6901234567892",
                "unit": "011",
                "currency": "502",
                "qty": D("2"),
                "price": D("19.95"),
                "totalPrice": D("39.90"),
                "hsCode": "6912001000",  # extension field
            },
            {
                "itemNo": "SKU-002",
                "itemName": "竹制杯垫 & 收纳 <礼盒>",
                "unit": "011",
                "currency": "502",
                "qty": D("4"),
                "price": D("5"),
                "totalPrice": D("20"),
            },
        ),
    )


def export_list(trade_mode: str = "9610") -> Entity:
    head: dict[str, Any] = {
        "customsCode": "2991",
        **EBP,
        "orderNo": "EO202611230001",
        **LOGISTICS,
        "logisticsNo": "SF1234567890",
        "copNo": f"INV{trade_mode}202611230001",
        "ieFlag": "E",
        "portCode": "2991",
        "ieDate": "20261123",
        "statisticsFlag": "A",
        **AGENT,
        **EBC,
        "ownerCode": "3301965678",
        "ownerName": "杭州示例贸易有限公司",
        "tradeMode": trade_mode,
        "trafMode": "5",
        "trafName": "CA1234",
        "voyageNo": "CA1234",
        "billNo": "999-12345678",
        "country": "502",
        "POD": "USA",
        "freight": D("0"),
        "fCurrency": "502",
        "fFlag": "3",
        "insuredFee": D("0"),
        "iCurrency": "502",
        "iFlag": "3",
        "wrapType": "2",
        "packNo": 1,
        "grossWeight": D("1.25"),
        "netWeight": D("1.1"),
    }
    line: dict[str, Any] = {
        "itemNo": "SKU-001",
        "itemName": "陶瓷马克杯",
        "gcode": "6912001000",
        "gname": "陶瓷马克杯",
        "gmodel": "无品牌|陶瓷|350ml",
        "barCode": "无",
        "country": "502",
        "currency": "502",
        "qty": D("2"),
        "qty1": D("0.8"),
        "unit": "011",
        "unit1": "035",
        "price": D("19.95"),
        "totalPrice": D("39.90"),
    }
    if trade_mode in ("1210", "1239"):
        head |= {"emsNo": "T2991W000001", "iacCode": "3301960999", "iacName": "示例保税仓储有限公司"}
        line |= {"itemRecordNo": "1001"}
    return Entity(head, (line,))


def import_order() -> Entity:
    return Entity(
        {
            "orderType": "I",
            "orderNo": "IO202611230001",
            **EBP,
            **EBC,
            "goodsValue": D("14000"),
            "freight": D("5000"),
            "discount": D("0"),
            "taxTotal": D("50"),
            "acturalPaid": D("19050"),
            "currency": "142",
            "buyerRegNo": "buyer-0001",
            **BUYER,
            "payCode": "3301960PAY",
            "payName": "示例支付有限公司",
            "payTransactionId": "PAY202611230001",
            "consignee": "张三",
            "consigneeTelephone": "13800000000",
            "consigneeAddress": "浙江省杭州市西湖区示例路1号",
            "consigneeDistrict": "330106",
        },
        (
            {
                "itemNo": "IMP-001",
                "itemName": "婴儿奶粉",
                "gmodel": "900g/罐",
                "unit": "122",
                "qty": D("2"),
                "price": D("7000"),
                "totalPrice": D("14000"),
                "currency": "142",
                "country": "306",
            },
        ),
    )


def import_list(trade_mode: str = "9610") -> Entity:
    head: dict[str, Any] = {
        "orderNo": "IO202611230001",
        **EBP,
        **EBC,
        "logisticsNo": "YT1234567890123",
        **LOGISTICS,
        "copNo": f"CI{trade_mode}20261123001",
        "assureCode": "3301965678",
        "ieFlag": "I",
        "declTime": "20261123",
        "customsCode": "2991",
        "portCode": "2991",
        **BUYER,
        "consigneeAddress": "浙江省杭州市西湖区示例路1号",
        **AGENT,
        "tradeMode": trade_mode,
        "trafMode": "5" if trade_mode == "9610" else "W",
        "country": "306" if trade_mode == "9610" else "142",
        "freight": D("5000"),
        "insuredFee": D("0"),
        "currency": "142",
        "packNo": 1,
        "grossWeight": D("2.1"),
        "netWeight": D("1.8"),
    }
    line: dict[str, Any] = {
        "itemNo": "IMP-001",
        "itemName": "婴儿奶粉",
        "gcode": "1901101000",
        "gname": "婴儿奶粉",
        "gmodel": "900g/罐|牛奶基|0-6月龄",
        "country": "306",
        "currency": "142",
        "qty": D("2"),
        "unit": "122",
        "qty1": D("1.8"),
        "unit1": "035",
        "price": D("7000"),
        "totalPrice": D("14000"),
    }
    if trade_mode == "9610":
        head |= {"trafNo": "EI250", "voyageNo": "EI250", "billNo": "053-98765432"}
    else:
        head |= {"emsNo": "T2991W000002", "areaCode": "3301960999", "areaName": "示例保税仓储有限公司"}
        line |= {"itemRecordNo": "2001"}
    return Entity(head, (line,))


_IMPORT_LIST_KEYS = {
    "customsCode": "2991",
    "orderNo": "IO202611230001",
    **EBP,
    **EBC,
    "logisticsNo": "YT1234567890123",
    **LOGISTICS,
    "copNo": "CI961020261123001",
    "invtNo": "299120261000000001",
    **BUYER,
    **AGENT,
}

DECLARATIONS: dict[str, list[Entity]] = {
    "CEB303": [export_order("9610")],
    "CEB403": [
        Entity(
            {
                **EBP,
                **EBC,
                "orderNo": "EO202611230001",
                "payName": "现金支付",
                "payNo": "PAY202611230001",
                "charge": D("59.90"),
                "currency": "502",
                "accountingDate": "20261123101500",
            }
        )
    ],
    "CEB505": [
        Entity(
            {
                **LOGISTICS,
                "logisticsNo": "SF1234567890",
                "freight": D("8"),
                "insuredFee": D("0"),
                "currency": "142",
                "grossWeight": D("1.25"),
                "packNo": 1,
                "goodsInfo": "陶瓷马克杯等",
                **EBC,
            }
        )
    ],
    "CEB507": [
        Entity(
            {
                "customsCode": "2991",
                "copNo": "ARR202611230001",
                "operatorCode": "3301960888",
                "operatorName": "示例监管场所有限公司",
                "ieFlag": "E",
                "trafMode": "4",
                "domesticTrafNo": "浙A12345",
                **LOGISTICS,
            },
            ({"logisticsNo": "SF1234567890"}, {"logisticsNo": "SF1234567891", "totalPackageNo": "PLT-01"}),
        )
    ],
    "CEB509": [
        Entity(
            {
                "customsCode": "2991",
                "copNo": "DEP202611230001",
                **LOGISTICS,
                "trafMode": "5",
                "trafName": "CA1234",
                "voyageNo": "CA1234",
                "billNo": "999-12345678",
                "leaveTime": datetime(2026, 11, 24, 1, 5, 0),
            },
            ({"logisticsNo": "SF1234567890"},),
        )
    ],
    "CEB603": [export_list("9610"), export_list("9710"), export_list("9810"), export_list("1210")],
    "CEB605": [
        Entity(
            {
                "customsCode": "2991",
                "copNo": "CAN202611230001",
                "invtNo": "29912026E000000001",
                "reason": "买家取消订单",
                **AGENT,
                **EBC,
            }
        )
    ],
    "CEB607": [
        Entity(
            {
                "customsCode": "2991",
                "copNo": "WB202611230001",
                **AGENT,
                "trafMode": "5",
                "trafName": "CA1234",
                "voyageNo": "CA1234",
                "billNo": "999-12345678",
                "grossWeight": D("120.5"),
                **LOGISTICS,
            },
            ({"logisticsNo": "SF1234567890", "totalPackageNo": "PLT-01"}, {"logisticsNo": "SF1234567891"}),
        )
    ],
    "CEB213": [
        Entity(
            {
                "customsCode": "2991",
                **EBP,
                **EBC,
                "logisticsNo": "SF1234567890",
                **LOGISTICS,
                "coElNo": "RET202611230001",
                "invtNo": "29912026E000000001",
                "tradeMode": "9610",
                **AGENT,
                "billNo": "999-12345678",
                "ieFlag": "I",
                "trafMode": "5",
                "trafName": "CA1235",
                "portCode": "2991",
                "reason": "买家退货",
                "country": "502",
                "voyageNo": "CA1235",
            },
            (
                {
                    "gnum": 1,
                    "gcode": "6912001000",
                    "gname": "陶瓷马克杯",
                    "gmodel": "无品牌|陶瓷|350ml",
                    "qty": D("1"),
                    "qty1": D("0.4"),
                    "unit": "011",
                    "unit1": "035",
                },
            ),
        )
    ],
    "CEB215": [
        Entity(
            {
                "customsCode": "2991",
                "operatorCode": "3301960888",
                "operatorName": "示例监管场所有限公司",
                **LOGISTICS,
                "logisticsNo": "SF1234567890",
                "invtNo": "29912026E000000001",
                "coElNo": "TAL202611230001",
                "billNo": "999-12345678",
                "ieFlag": "I",
                "trafMode": "5",
                "trafName": "CA1235",
                "voyageNo": "CA1235",
                "location": "A区-03-12",
            }
        )
    ],
    "CEB701": [
        Entity(
            {
                "customsCode": "2991",
                "copNo": "SUM202611230001",
                **AGENT,
                **EBC,
                "declAgentCode": "3301980777",
                "declAgentName": "示例报关有限公司",
                "summaryFlag": "1",
                "itemNameFlag": "1",
            },
            ({"invtNo": "29912026E000000001"}, {"invtNo": "29912026E000000002"}),
        )
    ],
    "CEB311": [import_order()],
    "CEB411": [
        Entity(
            {
                "payCode": "3301960PAY",
                "payName": "示例支付有限公司",
                "payTransactionId": "PAY202611230001",
                "orderNo": "IO202611230001",
                **EBP,
                "payerIdType": "1",
                "payerIdNumber": BUYER["buyerIdNumber"],
                "payerName": BUYER["buyerName"],
                "telephone": BUYER["buyerTelephone"],
                "amountPaid": D("19050"),
                "currency": "142",
                "payTime": datetime(2026, 11, 23, 9, 31, 5),
            }
        )
    ],
    "CEB511": [
        Entity(
            {
                **LOGISTICS,
                "logisticsNo": "YT1234567890123",
                "billNo": "053-98765432",
                "orderNo": "IO202611230001",
                "freight": D("5000"),
                "insuredFee": D("0"),
                "currency": "142",
                "weight": D("2.1"),
                "packNo": 1,
                "goodsInfo": "婴儿奶粉",
                "consignee": "张三",
                "consigneeAddress": "浙江省杭州市西湖区示例路1号",
                "consigneeTelephone": "13800000000",
            }
        )
    ],
    "CEB513": [
        Entity(
            {
                **LOGISTICS,
                "logisticsNo": "YT1234567890123",
                "logisticsStatus": "S",
                "logisticsTime": "20261126143000",
            }
        )
    ],
    "CEB621": [import_list("9610"), import_list("1210")],
    "CEB623": [Entity({**_IMPORT_LIST_KEYS, "reason": "订单取消"})],
    "CEB625": [
        Entity(
            {**_IMPORT_LIST_KEYS, "reason": "商品破损退货"},
            ({"gnum": 1, "gcode": "1901101000", "gname": "婴儿奶粉", "qty": D("1"), "unit": "122"},),
        )
    ],
    "CEB711": [
        Entity(
            {
                "customsCode": "2991",
                "copNo": "RK202611230001",
                "operatorCode": "3301960888",
                "operatorName": "示例监管场所有限公司",
                "ieFlag": "I",
                "trafMode": "5",
                "trafNo": "EI250",
                "voyageNo": "EI250",
                "billNo": "053-98765432",
                **LOGISTICS,
                "unloadLocation": "B区",
            },
            ({"logisticsNo": "YT1234567890123"}, {"logisticsNo": "YT1234567890124"}),
        )
    ],
}


#: Customs-initiated messages (no official samples kept for these; 792's official sample lacks gseqno).
CUSTOMS: dict[str, list[Entity]] = {
    "CEB792": [
        Entity(
            {
                "customsCode": "2991",
                "sumNo": "S29912026000000001",
                "opDate": "20261130101112012",
                "declSeqNo": "D29912026000000001",
                "entryId": "299120261000000123",
                "decState": "A",
                **AGENT,
                **EBC,
                "declAgentCode": "3301980777",
                "declAgentName": "示例报关有限公司",
                "grossWeight": D("120.5"),
                "netWeight": D("110.25"),
            },
            (
                {
                    "invtNo": "29912026E000000001",
                    "logisticsNo": "SF1234567890",
                    "gseqno": 1,
                    "gnum": 1,
                    "gcode": "6912001000",
                },
                {
                    "invtNo": "29912026E000000002",
                    "logisticsNo": "SF1234567891",
                    "gseqno": 1,
                    "gnum": 1,
                    "gcode": "6912001000",
                },
            ),
        )
    ],
    "CEB816": [
        Entity(
            {
                "returnTime": "20261123120000123",
                "invtNo": "299120261000000001",
                "taxNo": "TAX299120261000000001",
                "customsTax": D("0"),
                "valueAddedTax": D("1274"),
                "consumptionTax": D("0"),
                "status": "1",
                "assureCode": "3301965678",
                **{k: v for k, v in EBC.items() if k == "ebcCode"},
                "logisticsCode": LOGISTICS["logisticsCode"],
                "agentCode": AGENT["agentCode"],
                "customsCode": "2991",
            },
            (
                {
                    "gnum": 1,
                    "gcode": "1901101000",
                    "taxPrice": D("14000"),
                    "customsTax": D("0"),
                    "valueAddedTax": D("1274"),
                    "consumptionTax": D("0"),
                },
            ),
        )
    ],
    "CEB818": [
        Entity(
            {
                "returnTime": "20261201090000000",
                "invtNo": "299120261000000001",
                "taxNo": "TAX299120261000000001",
                "status": "2",
                "entDutyNo": "JKS2026120100001",
                "assureCode": "3301965678",
            }
        )
    ],
    "CEB900": [
        Entity(
            {
                "returnStatus": "-1",
                "returnInfo": "报文格式校验失败：Element 'ceb:orderNo': [facet 'maxLength'] …",
                "returnTime": "20261123103001001",
                "oriCopMsgId": "0F8E2A4C-7B1D-4E0A-9C3B-2D5F6A7B8C9D",
                "oriMessageType": "CEB311Message",
                "oriBizMessage": '<?xml version="1.0"?><ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb"/>',
            }
        )
    ],
}
