"""Declarations benchmark: CEB603 inventory lists built, signed, XSD-validated and sent through
the folder transport, next to the baseline measured in the same run: the same lists built with
``xml.etree.ElementTree`` and validated with the ``xmlschema`` package (what a newcomer writes).

    uv run python bench/customs.py [--lists N]

Prints lists/s per stage, the ratio to the baseline, and peak RSS. Single process, one core.
The goal (≥ 2,000 lists/s including XSD validation) is reported, never asserted.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from cbec.ceb.messages import BaseTransfer, Entity, build, check_message
from cbec.ceb.signing import SoftwareRsaSigner
from cbec.config import get_settings
from cbec.customs.transport import FolderTransport

AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TRANSFER = BaseTransfer(copCode="91330782MA2DEMN016", copName="义乌示范礼品家居有限公司", dxpId="DXPENT0000000002")
NS = "http://www.chinaport.gov.cn/ceb"


def inventory(i: int, lines: int = 3) -> Entity:
    head = {
        "customsCode": "2933", "ebpCode": "91330782MA2DEMP02Y", "ebpName": "义乌示范跨境电商平台", "orderNo": f"SO{i:08d}",
        "logisticsCode": "91310000MA1FL0G03T", "logisticsName": "上海示范国际物流", "logisticsNo": f"LP{i:09d}CN",
        "copNo": f"E{i:012d}", "ieFlag": "E", "portCode": "2933", "ieDate": "20261123", "statisticsFlag": "B",
        "agentCode": "91330782MA2DEMN016", "agentName": "义乌示范礼品家居", "ebcCode": "91330782MA2DEMN016",
        "ebcName": "义乌示范礼品家居", "ownerCode": "91330782MA2DEMN016", "ownerName": "义乌示范礼品家居",
        "tradeMode": "9610", "trafMode": "5", "country": "502", "POD": "0000", "freight": Decimal("5"),
        "fCurrency": "502", "fFlag": "3", "insuredFee": Decimal("0"), "iCurrency": "502", "iFlag": "3",
        "wrapType": "2", "packNo": 1, "grossWeight": Decimal("0.8"), "netWeight": Decimal("0.8"),
    }  # fmt: skip
    items = tuple(
        {
            "gnum": g,
            "itemNo": f"SKU{g}",
            "itemName": "陶瓷马克杯",
            "gcode": "6912001000",
            "gname": "陶瓷马克杯",
            "gmodel": "350ml",
            "barCode": "无",
            "country": "502",
            "currency": "502",
            "qty": Decimal(2),
            "qty1": Decimal(2),
            "unit": "011",
            "unit1": "011",
            "price": Decimal("12.5"),
            "totalPrice": Decimal("25"),
        }
        for g in range(1, lines + 1)
    )
    return Entity(head, items)


def ours(entities: list[Entity], out: Path, signer: SoftwareRsaSigner | None) -> dict[str, float]:
    transport = FolderTransport(out)
    t = time.perf_counter()
    built = build("CEB603", entities, TRANSFER, at=AT, check=False, signer=signer)
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    for m in built:
        assert check_message(m.data) == []
    t_check = time.perf_counter() - t
    t = time.perf_counter()
    for m in built:
        transport.send(f"CEB603_{m.guid}.xml", m.data)
    t_send = time.perf_counter() - t
    return {
        "build": t_build,
        "validate": t_check,
        "send": t_send,
        "total": t_build + t_check + t_send,
        "messages": len(built),
    }


def baseline(entities: list[Entity], out: Path) -> dict[str, float]:
    import xmlschema

    schema_path = get_settings().ceb_schema_dir / "ceb-export-202205.xsd"  # type: ignore[operator]
    t = time.perf_counter()
    schema = xmlschema.XMLSchema(str(schema_path))
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    docs = []
    for start in range(0, len(entities), 100):
        root = ET.Element(f"{{{NS}}}CEB603Message", {"guid": "A" * 8 + "-0000-0000-0000-" + "0" * 12, "version": "1.0"})
        for n, e in enumerate(entities[start : start + 100]):
            inv = ET.SubElement(root, f"{{{NS}}}Inventory")
            head = ET.SubElement(inv, f"{{{NS}}}InventoryHead")
            plumbing = {
                "guid": f"{start + n:08d}-0000-0000-0000-000000000000",
                "appType": "1",
                "appTime": "20261123160000",
                "appStatus": "2",
            }
            for k, v in {**plumbing, **e.head}.items():
                ET.SubElement(head, f"{{{NS}}}{k}").text = str(v)
            for line in e.lines:
                el = ET.SubElement(inv, f"{{{NS}}}InventoryList")
                for k, v in line.items():
                    ET.SubElement(el, f"{{{NS}}}{k}").text = str(v)
        bt = ET.SubElement(root, f"{{{NS}}}BaseTransfer")
        for k, v in (
            ("copCode", TRANSFER.copCode),
            ("copName", TRANSFER.copName),
            ("dxpMode", "DXP"),
            ("dxpId", TRANSFER.dxpId),
        ):
            ET.SubElement(bt, f"{{{NS}}}{k}").text = v
        docs.append(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    for d in docs:
        schema.validate(d.decode())
    t_check = time.perf_counter() - t
    t = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    for i, d in enumerate(docs):
        (out / f"b{i}.xml").write_bytes(d)
    t_send = time.perf_counter() - t
    return {
        "build": t_build,
        "validate": t_check,
        "send": t_send,
        "total": t_build + t_check + t_send,
        "schema_load": t_load,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lists", type=int, default=5000)
    args = ap.parse_args()
    entities = [inventory(i) for i in range(args.lists)]
    signer = SoftwareRsaSigner.generate("cbec bench", not_before=AT)
    with tempfile.TemporaryDirectory() as tmp:
        mine = ours(entities, Path(tmp) / "ours", None)
        signed = ours(entities, Path(tmp) / "signed", signer)
        base = baseline(entities, Path(tmp) / "base")
    n = args.lists
    print(f"declarations benchmark — {n:,} CEB603 lists (3 lines each), 100 per message, one core")
    print(f"{'case':<34}{'build/s':>12}{'validate/s':>13}{'send/s':>12}{'overall/s':>12}")
    rows = [("cbec (lxml codec, XSD from ../shared)", mine), ("baseline (xml.etree + xmlschema)", base)]
    if signed:
        rows.insert(1, ("cbec, signed per message (RSA-SHA1)", signed))
    for label, r in rows:
        print(
            f"{label:<34}{n / r['build']:>12,.0f}{n / r['validate']:>13,.0f}{n / r['send']:>12,.0f}{n / r['total']:>12,.0f}"
        )
    print(f"baseline schema load (once): {base['schema_load']:.2f} s, not counted above")
    print(f"ratio overall cbec / baseline: {base['total'] / mine['total']:.1f}x")
    print(f"goal ≥ 2,000 lists/s including XSD validation: reached {n / mine['total']:,.0f} lists/s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
