"""CEB entities of the physical movements of parcels (pure: a ``Movement`` in, an ``Entity`` out).

Field rules (CEB.md §3.1 and the 202205 XSD annotations):
* CEB507 运抵单: head customsCode (4-digit office), operatorCode/Name = supervised-site operator
  (postal route: the postal company), domesticTrafNo = the vehicle to the site, billNo may be empty
  on the postal route; the list may be empty; msgCount/msgSeqNo 1 when not split.
* CEB509 离境单: leaveTime YYYYMMDDhhmmss; trafName, voyageNo, billNo may be empty (postal route).
* CEB607 清单总分单: trafMode, trafName, voyageNo, billNo and grossWeight required; a line per parcel
  (gnum, totalPackageNo ≤60, logisticsNo, invtNo only for returned goods) — it gives the transport
  data of lists declared before it was known (CEB603 trafName/voyageNo/billNo left empty).
* CEB513 物流运单状态: logisticsStatus fixed S (签收), logisticsTime the real time of delivery.
* CEB711 入库明细单: one Delivery per message; trafNo, voyageNo, billNo required.
* CEB215 退运理货明细单: one parcel per entity; ieFlag I for export returns; billNo "如无则填物流运单号".
"""

from __future__ import annotations

from typing import Any

from cbec.ceb.messages import Entity
from cbec.ceb.messages.codec import CHINA_TIME
from cbec.customs.schemas import Movement


def _lines(m: Movement, *, packages: bool = False) -> tuple[dict[str, Any], ...]:
    out = []
    for i, number in enumerate(m.parcels, start=1):
        line: dict[str, Any] = {"gnum": i, "logisticsNo": number}
        if packages and i <= len(m.packages) and m.packages[i - 1]:
            line["totalPackageNo"] = m.packages[i - 1]
        out.append(line)
    return tuple(out)


def _time(m: Movement) -> str:
    """YYYYMMDDhhmmss in Beijing time, as customs reads CEB times."""
    at = m.at if m.at.tzinfo else m.at.replace(tzinfo=CHINA_TIME)
    return at.astimezone(CHINA_TIME).strftime("%Y%m%d%H%M%S")


def _carrier(m: Movement) -> dict[str, Any]:
    return {"logisticsCode": m.logistics_code, "logisticsName": m.logistics_name}


def _optional(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None)}


def arrival(m: Movement) -> Entity:
    head = {
        "customsCode": m.customs_code, "copNo": m.cop_no,
        "operatorCode": m.operator_code or m.logistics_code, "operatorName": m.operator_name or m.logistics_name,
        "ieFlag": m.ie_flag, "trafMode": m.traf_mode, **_optional(billNo=m.bill_no),
        "domesticTrafNo": m.domestic_traf_no or "-", **_carrier(m), "msgCount": 1, "msgSeqNo": 1,
    }  # fmt: skip
    return Entity(head, _lines(m))


def departure(m: Movement) -> Entity:
    head = {
        "customsCode": m.customs_code, "copNo": m.cop_no, **_carrier(m), "trafMode": m.traf_mode,
        **_optional(trafName=m.traf_name, voyageNo=m.voyage_no, billNo=m.bill_no),
        "leaveTime": _time(m), "msgCount": 1, "msgSeqNo": 1,
    }  # fmt: skip
    return Entity(head, _lines(m, packages=True))


def master_bill(m: Movement) -> Entity:
    head = {
        "customsCode": m.customs_code, "copNo": m.cop_no,
        "agentCode": m.operator_code or m.logistics_code, "agentName": m.operator_name or m.logistics_name,
        "trafMode": m.traf_mode, "trafName": m.traf_name, "voyageNo": m.voyage_no, "billNo": m.bill_no,
        **_optional(domesticTrafNo=m.domestic_traf_no), "grossWeight": m.gross_weight,
        **_carrier(m), "msgCount": 1, "msgSeqNo": 1,
    }  # fmt: skip
    return Entity(head, _lines(m, packages=True))


def delivery_status(m: Movement) -> Entity:
    """CEB513 is one waybill per entity: the movement's first parcel."""
    head = {**_carrier(m), "logisticsNo": m.parcels[0], "logisticsStatus": "S", "logisticsTime": _time(m)}
    return Entity(head)


def site_entry(m: Movement) -> Entity:
    head = {
        "customsCode": m.customs_code, "copNo": m.cop_no,
        "operatorCode": m.operator_code or m.logistics_code, "operatorName": m.operator_name or m.logistics_name,
        "ieFlag": "I", "trafMode": m.traf_mode, "trafNo": m.traf_name, "voyageNo": m.voyage_no, "billNo": m.bill_no,
        **_carrier(m), **_optional(unloadLocation=m.location),
    }  # fmt: skip
    return Entity(head, _lines(m))


def refund_tally(m: Movement) -> Entity:
    """CEB215 is one returned parcel per entity: the movement's first parcel."""
    head = {
        "customsCode": m.customs_code,
        "operatorCode": m.operator_code or m.logistics_code, "operatorName": m.operator_name or m.logistics_name,
        **_carrier(m), "logisticsNo": m.parcels[0], **_optional(invtNo=m.invt_no), "coElNo": m.cop_no,
        "billNo": m.bill_no or m.parcels[0], "ieFlag": "I", "trafMode": m.traf_mode,
        "trafName": m.traf_name or "-", "voyageNo": m.voyage_no or "-", **_optional(location=m.location),
    }  # fmt: skip
    return Entity(head)


BUILDERS = {
    "CEB507": arrival,
    "CEB509": departure,
    "CEB607": master_bill,
    "CEB513": delivery_status,
    "CEB711": site_entry,
    "CEB215": refund_tally,
}


def movement_entity(m: Movement) -> Entity:
    return BUILDERS[m.message](m)
