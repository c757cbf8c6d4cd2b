"""CEB message builders and parsers: every message of the standard validates against the official XSD.

The schemas are the official 202205 ones under ../shared/reference/ceb/xsd (never copied here).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cbec.ceb.messages import (
    MESSAGES,
    BaseSubscribe,
    Entity,
    Kind,
    ParsedMessage,
    build,
    check_message,
    is_receipt,
    layout_of,
    message_spec,
    parse,
    parse_receipts,
    split_lines,
)
from cbec.ceb.xsd import CEB_NS
from cbec.errors import HostileInput, InvalidInput, ValidationFailed
from cbec.intake.documents import DocType, ParsedDocument

from .samples import AT, CUSTOMS, DECLARATIONS, TRANSFER, export_order, import_order
from .strategies import entity

RECEIPTS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "ceb" / "receipts"
RECEIPT_FILES = sorted(RECEIPTS_DIR.glob("*.xml"))
#: Official samples that do not validate as shipped (CEB.md §3.4): root "CEB214", 792 without gseqno.
INVALID_AS_SHIPPED = {"CEB214Message.xml", "CEB792Message.xml"}

DECLARATION_CODES = [m.code for m in MESSAGES if m.kind is Kind.DECLARATION]
ANSWER_CODES = [m.code for m in MESSAGES if m.kind is not Kind.DECLARATION]


def fixed_guids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


# --- the catalogue covers the standard --------------------------------------------------------


def test_catalogue_has_every_message_of_the_standard() -> None:
    export = "303 304 403 404 505 506 507 508 509 510 603 604 605 606 607 608 213 214 215 216 701 702 792"
    imported = "311 312 411 412 511 512 513 514 621 622 623 624 625 626 711 712 816 818 900"
    assert {m.code for m in MESSAGES} == {f"CEB{n}" for n in f"{export} {imported}".split()}
    for m in MESSAGES:
        if m.answers:  # receipt number = declaration number + 1 (CEB.md §1)
            assert int(m.code[3:]) == int(m.answers[3:]) + 1
            assert is_receipt(m.code)


@pytest.mark.parametrize(
    ("code", "entity", "head", "line", "max_lines", "signature"),
    [
        ("CEB303", "Order", "OrderHead", "OrderList", 100, "optional"),
        ("CEB311", "Order", "OrderHead", "OrderList", 99, "optional"),
        ("CEB621", "Inventory", "InventoryHead", "InventoryList", 99, "required"),
        ("CEB411", "Payment", "PaymentHead", None, 0, "optional"),
        ("CEB403", "Receipts", None, None, 0, "optional"),
        ("CEB711", "Delivery", "DeliveryHead", "DeliveryList", 10**9, "required"),
        ("CEB304", "OrderReturn", None, None, 0, "none"),
    ],
)
def test_layouts_are_read_from_the_xsd(
    code: str, entity: str, head: str | None, line: str | None, max_lines: int, signature: str
) -> None:
    _spec, lay = layout_of(code)
    assert (lay.entity, lay.head, lay.line, lay.max_lines, lay.signature) == (entity, head, line, max_lines, signature)


# --- one builder test per message -------------------------------------------------------------


@pytest.mark.parametrize("code", DECLARATION_CODES)
def test_declaration_builds_and_validates_against_the_official_xsd(code: str) -> None:
    documents = DECLARATIONS[code]
    built = build(code, documents, TRANSFER, at=AT)
    assert len(built) == 1
    message = built[0]
    assert check_message(message.data) == []
    root = _tree(message.data)
    assert root.tag == f"{{{CEB_NS}}}{code}Message"
    assert len(message.guid) == 36 and message.guid == message.guid.upper()
    parsed = parse(message.data)
    assert parsed.message == code
    assert parsed.base_transfer == TRANSFER
    assert len(parsed.entities) == len(documents)
    for sent, got in zip(message.entities, parsed.entities, strict=True):
        _spec, lay = layout_of(code)
        expected_head = {k: v for k, v in sent.head.items() if k in lay.head_spec.by_name}
        assert _normalised(got.head) == _normalised(expected_head)
        assert len(got.lines) == len(sent.lines)
        if "appTime" in lay.head_spec.by_name:
            assert got.head["appTime"] == "20261123103000"
            assert got.head["appStatus"] == "2" and got.head["appType"] == "1"


def _normalised(values: dict[str, object] | object) -> dict[str, object]:
    from datetime import datetime

    assert isinstance(values, dict)
    out = {}
    for k, v in values.items():
        out[k] = v.strftime("%Y%m%d%H%M%S") if isinstance(v, datetime) else v
    return out


@pytest.mark.parametrize("trade_mode", ["9610", "9710", "9810", "1210"])
def test_export_list_for_each_trade_mode(trade_mode: str) -> None:
    from .samples import export_list

    message = build("CEB603", [export_list(trade_mode)], TRANSFER, at=AT)[0]
    assert check_message(message.data) == []
    head = parse(message.data).entities[0].head
    assert head["tradeMode"] == trade_mode
    assert ("emsNo" in head) is (trade_mode == "1210")


@pytest.mark.parametrize(("trade_mode", "order_type"), [("9610", "E"), ("9710", "B"), ("9810", "W")])
def test_export_order_types_follow_the_trade_mode(trade_mode: str, order_type: str) -> None:
    message = build("CEB303", [export_order(trade_mode)], TRANSFER, at=AT)[0]
    assert parse(message.data).entities[0].head["orderType"] == order_type


def test_import_list_direct_and_bonded_fields() -> None:
    from .samples import import_list

    direct, bonded = (
        parse(build("CEB621", [import_list(m)], TRANSFER, at=AT)[0].data).entities[0] for m in ("9610", "1210")
    )
    assert {"trafNo", "voyageNo", "billNo"} <= set(direct.head) and "emsNo" not in direct.head
    assert {"emsNo", "areaCode", "areaName"} <= set(bonded.head)
    assert bonded.lines[0]["itemRecordNo"] == "2001"


@pytest.mark.parametrize("code", ANSWER_CODES)
def test_receipt_and_customs_message_builds_and_validates(code: str) -> None:
    """The sandbox answers with these; each validates against the official XSD."""
    if code in CUSTOMS:
        entities = CUSTOMS[code]
    else:
        sample = RECEIPTS_DIR / f"{code}Message.xml"
        entities = list(parse(sample.read_bytes()).entities)
    built = build(code, entities)
    assert built and all(check_message(m.data) == [] for m in built)
    parsed = parse(built[0].data)
    assert parsed.base_transfer is None
    _spec, lay = layout_of(code)
    # What comes back is what went in, less any field the XSD does not define (appSenderId in 214).
    expected = {k: v for k, v in built[0].entities[0].head.items() if k in lay.head_spec.by_name}
    assert parsed.entities[0].head == expected
    assert all(v == built[0].entities[0].head[k] for k, v in entities[0].head.items() if k in expected)


def test_customs_format_error_echoes_the_message_in_cdata() -> None:
    data = build("CEB900", CUSTOMS["CEB900"])[0].data
    assert b"<![CDATA[<?xml" in data
    (receipt,) = parse_receipts(data)
    assert receipt.is_error and receipt.keys["oriMessageType"] == "CEB311Message"
    assert receipt.keys["oriBizMessage"].startswith("<?xml")


# --- the official receipt samples -------------------------------------------------------------


def test_the_receipt_samples_are_there() -> None:
    assert len(RECEIPT_FILES) == 20


@pytest.mark.parametrize("path", RECEIPT_FILES, ids=lambda p: p.name)
def test_official_receipt_sample_parses(path: Path) -> None:
    data = path.read_bytes()
    parsed = parse(data)
    assert parsed.message == path.name[:6]
    assert parsed.entities
    if path.name in INVALID_AS_SHIPPED:
        assert check_message(data) != []
    else:
        assert check_message(data) == []
    if is_receipt(parsed.message):
        records = parse_receipts(data)
        assert len(records) == len(parsed.entities)
        for r in records:
            assert r.returnStatus and len(r.returnTime) == 17 and r.returnInfo
            assert r.keys and not ({"guid", "returnStatus", "returnTime", "returnInfo"} & set(r.keys))
            assert r.answers == message_spec(parsed.message).answers
    else:  # CEB792: summary result with head and lines
        assert parsed.entities[0].head["sumNo"] and parsed.entities[0].lines


def test_receipt_records_carry_the_answered_document_keys() -> None:
    (first, *_rest) = parse_receipts((RECEIPTS_DIR / "CEB604Message.xml").read_bytes())
    assert first.answers == "CEB603" and first.status == 2 and not first.is_error
    assert first.keys["invtNo"] == "Invt20180507000001" and first.keys["copNo"] == "Cop20180507001"
    arrival = parse_receipts((RECEIPTS_DIR / "CEB508Message.xml").read_bytes())[0]
    assert arrival.keys["msgSeqNo"] == 1  # typed by the XSD (xs:int)


def test_a_declaration_is_not_a_receipt() -> None:
    data = build("CEB303", [export_order()], TRANSFER, at=AT)[0].data
    with pytest.raises(InvalidInput):
        parse_receipts(data)


# --- splitting ----------------------------------------------------------------------------


def test_101_orders_make_two_messages() -> None:
    orders = [export_order(order_no=f"EO{n:06d}") for n in range(101)]
    built = build("CEB303", orders, TRANSFER, at=AT)
    assert [len(m.entities) for m in built] == [100, 1]
    assert all(check_message(m.data) == [] for m in built)
    numbers = [e.head["orderNo"] for m in built for e in parse(m.data).entities]
    assert numbers == [f"EO{n:06d}" for n in range(101)]
    assert len({m.guid for m in built}) == 2


def test_smaller_batches_on_request_and_one_delivery_per_message() -> None:
    assert [len(m.entities) for m in build("CEB303", [export_order()] * 5, TRANSFER, at=AT, max_entities=2)] == [
        2,
        2,
        1,
    ]
    deliveries = DECLARATIONS["CEB711"] * 3
    assert len(build("CEB711", deliveries, TRANSFER, at=AT)) == 3  # the XSD allows one Delivery per message


def test_tax_bills_are_capped_at_100_per_message() -> None:
    assert [len(m.entities) for m in build("CEB816", CUSTOMS["CEB816"] * 150)] == [100, 50]


def test_an_import_order_of_100_lines_is_refused() -> None:
    order = import_order()
    big = Entity(order.head, tuple(dict(order.lines[0], gnum=n) for n in range(1, 101)))
    with pytest.raises(ValidationFailed) as caught:
        build("CEB311", [big], TRANSFER, at=AT)
    (detail,) = caught.value.details
    assert detail.field == "OrderList" and "99" in detail.message_en
    assert "orderNo=IO202611230001" in detail.document
    ok = Entity(order.head, big.lines[:99])
    assert check_message(build("CEB311", [ok], TRANSFER, at=AT)[0].data) == []


def test_long_arrival_lists_split_with_message_sequence_numbers() -> None:
    arrival = DECLARATIONS["CEB507"][0]
    parcels = tuple({"gnum": n, "logisticsNo": f"SF{n:010d}"} for n in range(1, 2502))
    parts = split_lines("CEB507", Entity(arrival.head, parcels), 1000)
    assert [(p.head["msgSeqNo"], p.head["msgCount"], len(p.lines)) for p in parts] == [
        (1, 3, 1000),
        (2, 3, 1000),
        (3, 3, 501),
    ]
    built = build("CEB507", parts, TRANSFER, at=AT)
    assert len(built) == 1 and check_message(built[0].data) == []


# --- errors name the document, the line and the field ------------------------------------------


def test_missing_and_malformed_fields_are_all_reported() -> None:
    order = export_order()
    head = {k: v for k, v in order.head.items() if k != "ebcName"} | {"currency": "USD1", "goodsValue": 59.9}
    lines = (dict(order.lines[0], price=Decimal("1.123456")), order.lines[1])
    with pytest.raises(ValidationFailed) as caught:
        build("CEB303", [Entity(head, lines)], TRANSFER, at=AT)
    problems = {(d.field, d.code, d.line) for d in caught.value.details}
    assert problems == {
        ("ebcName", "required", None),
        ("currency", "length", None),
        ("goodsValue", "type", None),  # a float near an amount is refused
        ("price", "digits", 1),
    }
    assert all(
        d.document.startswith("CEB303 #1 ebpCode=3301961234 orderNo=EO202611230001") for d in caught.value.details
    )


def test_codes_and_trade_mode_rules_are_checked() -> None:
    from .samples import import_list

    bad_type = Entity(dict(export_order().head, orderType="X"), export_order().lines)
    with pytest.raises(ValidationFailed) as caught:
        build("CEB303", [bad_type], TRANSFER, at=AT)
    assert [(d.field, d.code) for d in caught.value.details] == [("orderType", "code")]

    bonded = import_list("1210")
    head = {k: v for k, v in bonded.head.items() if k != "emsNo"}
    lines = tuple({k: v for k, v in line.items() if k != "itemRecordNo"} for line in bonded.lines)
    with pytest.raises(ValidationFailed) as caught:
        build("CEB621", [Entity(head, lines)], TRANSFER, at=AT)
    assert {(d.field, d.line) for d in caught.value.details} == {("emsNo", None), ("itemRecordNo", 1)}


def test_app_time_must_be_given() -> None:
    with pytest.raises(ValidationFailed) as caught:
        build("CEB303", [export_order()], TRANSFER)
    assert [d.field for d in caught.value.details] == ["appTime"]


def test_declarations_need_a_base_transfer_and_receipts_have_none() -> None:
    with pytest.raises(InvalidInput):
        build("CEB303", [export_order()], None, at=AT)
    with pytest.raises(InvalidInput):
        build("CEB304", [Entity({"orderNo": "x"})], TRANSFER)
    with pytest.raises(InvalidInput):
        build("CEB303", [], TRANSFER, at=AT)
    with pytest.raises(InvalidInput):
        build("CEB999", [export_order()], TRANSFER, at=AT)


def test_plumbing_given_by_the_caller_is_kept() -> None:
    guids = fixed_guids()
    head = dict(export_order().head, guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94", appType="2", appStatus="1")
    built = build("CEB303", [Entity(head, export_order().lines)], TRANSFER, at=AT, guid_factory=guids)
    got = parse(built[0].data)
    assert got.guid == "00000000-0000-4000-8000-000000000001"
    assert (got.entities[0].head["guid"], got.entities[0].head["appType"], got.entities[0].head["appStatus"]) == (
        "4CDE1CFD-EDED-46B1-946C-B8022E42FC94",
        "2",
        "1",
    )
    assert [line["gnum"] for line in got.entities[0].lines] == [1, 2]


def test_intake_documents_build_directly() -> None:
    order = export_order()
    document = ParsedDocument(DocType.EXPORT_ORDER, order.head, order.lines, source_ref="row 2")
    data = build("CEB303", [document], TRANSFER, at=AT)[0].data
    assert b"orderTime" not in data and b"hsCode" not in data  # extension fields stay out
    assert b"&amp; \xe6\x94\xb6\xe7\xba\xb3 &lt;" in data  # text is escaped


def test_subscribers_are_written_and_read() -> None:
    subscriber = BaseSubscribe(status="RET", dxpAddress="DXPENT0000000002")
    data = build("CEB303", [export_order()], TRANSFER, at=AT, subscribers=[subscriber])[0].data
    assert check_message(data) == []
    assert parse(data).base_subscribe == (subscriber,)


def test_hostile_and_foreign_xml_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ceb:CEB304Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">&a;</ceb:CEB304Message>'
    with pytest.raises(HostileInput):
        parse(bomb)
    with pytest.raises(InvalidInput):
        parse(b"<CEB304Message/>")
    with pytest.raises(InvalidInput):
        parse(b"not xml")


def test_bad_numbers_in_a_receipt_name_the_field() -> None:
    data = (RECEIPTS_DIR / "CEB508Message.xml").read_bytes().replace(b"<ceb:msgSeqNo>1<", b"<ceb:msgSeqNo>one<", 1)
    with pytest.raises(InvalidInput) as caught:
        parse(data)
    assert caught.value.field == "msgSeqNo"


# --- property: every generated valid document builds, validates and comes back unchanged ----------


@pytest.mark.parametrize("code", [m.code for m in MESSAGES])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_round_trip_without_loss(code: str, data: st.DataObject) -> None:
    spec = message_spec(code)
    entities = data.draw(st.lists(entity(spec), min_size=1, max_size=3), label="entities")
    transfer = TRANSFER if spec.kind is Kind.DECLARATION else None
    built = build(code, entities, transfer, at=AT)  # validates against the XSD
    parsed = [parse(m.data) for m in built]
    got = tuple(e for p in parsed for e in p.entities)
    assert got == tuple(entities)
    assert all(p.base_transfer == transfer for p in parsed)
    again = build(code, got, transfer, at=AT, guid_factory=_constant(parsed[0].guid))
    assert _same(parse(again[0].data), parsed[0])


def _constant(value: str) -> Callable[[], str]:
    return lambda: value


def _same(a: ParsedMessage, b: ParsedMessage) -> bool:
    return replace(a, guid="") == replace(b, guid="")


def test_values_the_xsd_fixes_are_filled_and_enforced() -> None:
    from .samples import export_list

    listing = export_list("9610")
    head = {k: v for k, v in listing.head.items() if k not in ("fFlag", "iFlag")}
    parsed = parse(build("CEB603", [Entity(head, listing.lines)], TRANSFER, at=AT)[0].data)
    assert (parsed.entities[0].head["fFlag"], parsed.entities[0].head["iFlag"]) == ("3", "3")
    order = import_order()
    with pytest.raises(ValidationFailed) as caught:
        build("CEB311", [Entity(dict(order.head, currency="502"), order.lines)], TRANSFER, at=AT)
    assert [(d.field, d.code) for d in caught.value.details] == [("currency", "fixed")]


def test_times_are_written_in_china_time() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 23, 2, 30, 0, tzinfo=UTC)
    sample = DECLARATIONS["CEB509"][0]
    head = dict(sample.head, leaveTime=datetime(2026, 11, 23, 17, 5, 0, tzinfo=UTC))
    parsed = parse(build("CEB509", [Entity(head, sample.lines)], TRANSFER, at=at)[0].data).entities[0].head
    assert (parsed["appTime"], parsed["leaveTime"]) == ("20261123103000", "20261124010500")
