"""JSON with CEB field names and CEB XML as partners send it; hostile XML refused."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cbec.ceb.envelope import envelope_for, wrap_envelope
from cbec.ceb.messages import BaseTransfer, Entity, build
from cbec.errors import HostileInput, InvalidInput
from cbec.intake.documents import DocType, ParseContext
from cbec.intake.parsers import ceb_xml, json_docs
from cbec.intake.rules import validate
from cbec.kit.codes import code_lists

CTX = ParseContext(
    "91330782MA2DEMN016", "义乌示范礼品家居有限公司", "91330782MA2DEMP02Y", "义乌示范跨境电商平台有限公司"
)

ORDER_HEAD = {
    "orderType": "E",
    "orderNo": "SO-1",
    "ebpCode": CTX.platform_code,
    "ebpName": CTX.platform_name,
    "ebcCode": CTX.seller_code,
    "ebcName": CTX.seller_name,
    "goodsValue": Decimal("0.30"),
    "freight": Decimal("0"),
    "currency": "502",
}
ORDER_LINE = {
    "gnum": 1,
    "itemNo": "A1",
    "itemName": "贴纸 sticker",
    "unit": "011",
    "currency": "502",
    "qty": Decimal("3"),
    "price": Decimal("0.1"),
    "totalPrice": Decimal("0.3"),
}


def test_json_list_single_and_ceb_element_shapes() -> None:
    items = [
        {
            "type": "export_order",
            "head": {"orderNo": "A", "goodsValue": 0.1, "freight": 0.2, "currency": "502"},
            "lines": [],
        },
        {"type": "import_order", "OrderHead": {"orderNo": "B"}, "OrderList": [{"gnum": 1}]},
        {"type": "import_payment", "PaymentHead": {"payTransactionId": "P1"}},
    ]
    result = json_docs.parse(json.dumps(items).encode(), CTX)
    docs = list(result.documents)
    assert [d.doc_type for d in docs] == [DocType.EXPORT_ORDER, DocType.IMPORT_ORDER, DocType.IMPORT_PAYMENT]
    assert docs[0].head["goodsValue"] == Decimal("0.1") and docs[0].head["freight"] == Decimal("0.2")  # never a float
    assert docs[0].head["ebcCode"] == CTX.seller_code and docs[1].lines == ({"gnum": 1},)
    single = json_docs.parse(json.dumps(items[2]).encode(), CTX)
    assert len(list(single.documents)) == 1


def test_json_bad_items_are_reported_by_position_and_the_rest_read() -> None:
    payload = [{"type": "export_order", "head": {"orderNo": "A"}}, {"type": "invoice"}, 7]
    result = json_docs.parse(json.dumps(payload).encode(), CTX)
    assert len(list(result.documents)) == 1
    assert [(e.document, e.field) for e in result.errors] == [("item 2", "type"), ("item 3", "item")]
    assert "invoice" in result.errors[0].message_en and "未知" in result.errors[0].message_zh


def test_json_syntax_error_names_line_and_column() -> None:
    with pytest.raises(InvalidInput) as exc:
        json_docs.parse(b'[{"type": "export_order",\n "head": {', CTX)
    assert "line 2" in exc.value.message_en and "第 2 行" in exc.value.message_zh


def _ceb303(n: int = 2) -> bytes:
    orders = [Entity({**ORDER_HEAD, "orderNo": f"SO-{i}"}, (ORDER_LINE,)) for i in range(1, n + 1)]
    transfer = BaseTransfer(copCode=CTX.seller_code, copName=CTX.seller_name, dxpId="DXPENT0000000002")
    [message] = build("CEB303", orders, transfer, at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    return message.data


def test_ceb303_message_gives_one_valid_document_per_order() -> None:
    result = ceb_xml.parse(_ceb303(2), CTX)
    docs = list(result.documents)
    assert [d.head["orderNo"] for d in docs] == ["SO-1", "SO-2"]
    assert docs[0].head["goodsValue"] == Decimal("0.3") and docs[0].lines[0]["gnum"] == 1
    assert "DXPENT0000000002" in docs[0].notes[0]
    checked, errors = validate(docs[0], code_lists())
    assert errors == [] and checked.doc_type is DocType.EXPORT_ORDER


def test_ceb_message_inside_a_dxpmsg_envelope_reads_the_same() -> None:
    data = _ceb303(1)
    wrapped = wrap_envelope(
        envelope_for(data, sender_id="DXPENT0000000002", created_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    )
    assert base64.b64encode(data)[:20] in wrapped
    assert [d.head for d in ceb_xml.parse(wrapped, CTX).documents] == [
        d.head for d in ceb_xml.parse(data, CTX).documents
    ]


def test_a_receipt_or_foreign_xml_is_not_something_partners_submit() -> None:
    with pytest.raises(InvalidInput) as exc:
        ceb_xml.parse(b"<invoice/>", CTX)
    assert "CEB" in exc.value.message_en


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ceb:CEB303Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1.0"><ceb:Order><ceb:OrderHead><ceb:orderNo>&lol9;</ceb:orderNo></ceb:OrderHead></ceb:Order></ceb:CEB303Message>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ceb:CEB303Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1.0"><ceb:Order><ceb:OrderHead><ceb:orderNo>&x;</ceb:orderNo></ceb:OrderHead></ceb:Order></ceb:CEB303Message>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "http://example.com/evil.dtd"><r/>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, EXTERNAL_DTD], ids=["billion-laughs", "xxe", "external-dtd"])
def test_hostile_xml_is_refused_quickly_and_never_expanded(payload: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(HostileInput) as exc:
        ceb_xml.parse(payload, CTX)
    assert time.perf_counter() - started < 2  # refused, not expanded (a generous bound, not a speed target)
    assert "DOCTYPE" in exc.value.message_en and "DOCTYPE" in exc.value.message_zh
    assert "root:" not in exc.value.message_en  # nothing of /etc/passwd


def test_malformed_xml_names_the_line() -> None:
    with pytest.raises(InvalidInput) as exc:
        ceb_xml.parse(b"<a>\n<b></a>", CTX)
    assert "line 2" in exc.value.message_en


def test_an_order_of_only_postage_lines_is_invalid() -> None:
    from cbec.intake.documents import ParsedDocument

    doc = ParsedDocument(
        DocType.EXPORT_ORDER,
        {**ORDER_HEAD, "goodsValue": Decimal(0), "freight": Decimal(18)},
        (
            {
                "itemNo": "POST",
                "itemName": "POSTAGE",
                "qty": Decimal(1),
                "price": Decimal(18),
                "totalPrice": Decimal(18),
                "unit": "011",
                "currency": "502",
                "kind": "freight",
            },
        ),
    )
    _, errors = validate(doc, code_lists())
    assert [(e.code, e.field) for e in errors] == [("required", "OrderList")]
    assert "goods" in errors[0].message_en and "商品" in errors[0].message_zh


def test_a_line_may_carry_its_content_in_a_second_unit_and_a_bad_one_is_named() -> None:
    """``qty2``/``unit2`` (the CEB621 names) carry what the import tax of cosmetics needs (the
    price per ml or g); a value that is not a positive number, or a unit not in the code list,
    is refused naming the field and the line."""
    from cbec.intake.documents import ParsedDocument

    def check(line: dict) -> tuple[dict, list[tuple[str, str, int | None]]]:
        doc = ParsedDocument(DocType.EXPORT_ORDER, ORDER_HEAD, ({**ORDER_LINE, **line},))
        checked, errors = validate(doc, code_lists())
        return dict(checked.lines[0]), [(e.code, e.field, e.line) for e in errors]

    line, errors = check({"qty2": "150.0", "unit2": "096"})
    assert errors == [] and (line["qty2"], line["unit2"]) == ("150.0", "096")
    assert check({"qty2": "-5", "unit2": "096"})[1] == [("number", "qty2", 1)]
    assert check({"qty2": "fifty", "unit2": "096"})[1] == [("number", "qty2", 1)]
    assert [f for _, f, _ in check({"qty2": "50", "unit2": "ZZZ"})[1]] == ["unit2"]
