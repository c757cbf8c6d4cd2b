"""The pure builders of requests on a declared list (CEB605/623 cancel, CEB213/625 return) and of
the export summary (CEB701): the entity's fields, and that its message validates against the
official XSD through the codec's build path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cbec.ceb.messages import Entity, build, check_message
from cbec.customs import builders

from .samples import AT, TRANSFER, export_list, import_list

INVT_NO = "299120261000000001"
COP_NO = "COP-LIST-0001"


def _stored(entity: Entity) -> dict[str, Any]:
    """A list as the platform keeps it: its entity as JSON, amounts as strings, lines numbered."""
    lines = [
        {"gnum": i, **{k: str(v) if isinstance(v, Decimal) else v for k, v in ln.items()}}
        for i, ln in enumerate(entity.lines, start=1)
    ]
    return {"head": dict(entity.head), "lines": lines}


def _validates(message: str, entity: Entity) -> None:
    [msg] = build(message, [entity], TRANSFER, at=AT)
    assert check_message(msg.data) == []


def test_cancel_of_an_export_list_is_a_ceb605() -> None:
    source = export_list()
    message, entity = builders.cancel_request(
        "CEB603", COP_NO, INVT_NO, "B20261123000000001", source.head, "  客户取消  "
    )
    head = entity.head
    assert message == "CEB605"
    assert head["copNo"] == "COP-LIST-0001-605" and head["invtNo"] == INVT_NO
    assert head["reason"] == "客户取消" and head["preNo"] == "B20261123000000001"
    assert head["ebcCode"] == source.head["ebcCode"] and entity.lines == ()
    _validates("CEB605", entity)


def test_cancel_without_a_pre_no_leaves_it_out() -> None:
    _, entity = builders.cancel_request("CEB603", COP_NO, INVT_NO, "", export_list().head, "x")
    assert "preNo" not in entity.head


def test_cancel_of_an_import_list_is_a_ceb623_with_the_buyer() -> None:
    source = import_list()
    message, entity = builders.cancel_request("CEB621", COP_NO, INVT_NO, "", source.head, "订单取消")
    head = entity.head
    assert message == "CEB623" and head["copNo"] == "COP-LIST-0001-623"
    assert (head["orderNo"], head["buyerIdNumber"]) == (source.head["orderNo"], source.head["buyerIdNumber"])
    _validates("CEB623", entity)


def test_an_export_return_needs_the_return_shipment() -> None:
    assert builders.ReturnShipment().missing() == ["billNo", "voyageNo", "trafName"]
    assert builders.ReturnShipment("784-12345675", "CA930", " ").missing() == ["trafName"]


def test_return_of_an_export_list_is_a_ceb213_with_every_line() -> None:
    source = export_list()
    shipment = builders.ReturnShipment("784-12345675", "CA930", "CA930")
    entity = builders.export_return_request(COP_NO, INVT_NO, "9610", _stored(source), "退运", shipment)
    head = entity.head
    assert head["coElNo"] == "COP-LIST-0001-213" and head["ieFlag"] == "I"  # CEB.md §4.1
    assert (head["billNo"], head["voyageNo"], head["trafName"]) == ("784-12345675", "CA930", "CA930")
    assert len(entity.lines) == len(source.lines)
    assert entity.lines[0]["qty"] == Decimal(str(source.lines[0]["qty"]))
    _validates("CEB213", entity)


def test_return_of_an_import_list_is_a_ceb625_with_every_line() -> None:
    source = import_list()
    entity = builders.import_return_request(COP_NO, INVT_NO, _stored(source), "质量问题")
    head = entity.head
    assert head["copNo"] == "COP-LIST-0001-625" and head["reason"] == "质量问题"
    assert head["buyerIdNumber"] == source.head["buyerIdNumber"]
    assert [ln["gnum"] for ln in entity.lines] == list(range(1, len(source.lines) + 1))
    assert set(entity.lines[0]) == {"gnum", "gcode", "gname", "qty", "unit"}
    _validates("CEB625", entity)


def test_summary_of_a_consignors_lists_is_a_ceb701() -> None:
    source = export_list()
    lists = [INVT_NO, "299120261000000002"]
    entity = builders.summary_application("3301965678", source.head, lists, "20261101", "20261130")
    head = entity.head
    assert head["copNo"] == builders.summary_cop_no("3301965678", "20261101", "20261130") == "S01965678202611011130"
    assert (head["startTime"], head["endTime"]) == ("20261101000000", "20261130235959")
    assert head["ebcCode"] == "3301965678" and head["declAgentCode"] == str(source.head["agentCode"])
    assert [ln["invtNo"] for ln in entity.lines] == lists
    _validates("CEB701", entity)


def test_a_list_goes_into_the_summary_of_its_period_when_flagged_b() -> None:
    head = {"statisticsFlag": "B", "ieDate": "20261115"}
    assert builders.in_summary(head, "20261101", "20261130")
    assert not builders.in_summary({**head, "statisticsFlag": "A"}, "20261101", "20261130")
    assert not builders.in_summary({**head, "ieDate": "20261201"}, "20261101", "20261130")
