"""Partitioning of the bus (docs/decisions/0015): an order's documents stay together, a buyer's
imports go to one partition whatever their orders' partitions, every node gets a fair share."""

from __future__ import annotations

import json

from cbec.bus.partitions import (
    consumers_of,
    declared_subject,
    docs_subject,
    fair_share,
    matched_subject,
    order_key,
    partition_of,
    route_matched,
    split_documents,
)
from cbec.matching.schemas import MatchedOrder

EBP = "91330782MA2DEMP02Y"


def _doc(kind: str, no: str, **head: str) -> dict[str, object]:
    return {"type": kind, "head": {"orderNo": no, **head}}


def test_an_orders_documents_land_on_one_partition_whatever_file_carries_them() -> None:
    orders = json.dumps([_doc("import_order", f"IO{i}", ebpCode=EBP) for i in range(50)]).encode()
    waybills = json.dumps([_doc("import_waybill", f"IO{i}") for i in range(50)]).encode()  # no ebpCode
    a, b = split_documents(orders, EBP, 8), split_documents(waybills, EBP, 8)
    assert a is not None and b is not None and len(a) > 1
    where = {d["head"]["orderNo"]: p for p, data in a.items() for d in json.loads(data)}
    assert all(where[d["head"]["orderNo"]] == p for p, data in b.items() for d in json.loads(data))
    assert sum(len(json.loads(v)) for v in a.values()) == 50


def test_a_file_that_is_not_a_json_array_travels_whole() -> None:
    assert split_documents(b"orderNo,qty\n1,2\n", EBP, 8) is None
    assert split_documents(b'{"a": 1}', EBP, 8) is None


def test_partitions_are_stable_and_in_range() -> None:
    keys = [order_key(EBP, f"SO{i}") for i in range(1000)]
    parts = [partition_of(k, 8) for k in keys]
    assert parts == [partition_of(k, 8) for k in keys] and set(parts) == set(range(8))


def test_imports_are_re_keyed_by_buyer_exports_stay_on_their_order() -> None:
    buyer = "110101199701010016"
    imports = [MatchedOrder(f"ebpCode={EBP}|orderNo=IO{i}", "import", EBP, f"IO{i}", buyer) for i in range(40)]
    exports = [MatchedOrder(f"ebpCode={EBP}|orderNo=SO{i}", "export", EBP, f"SO{i}", "") for i in range(40)]
    assert len({partition_of(order_key(EBP, o.order_no), 8) for o in imports}) > 1  # spread by order
    routed = route_matched([*imports, *exports], 8)
    by_buyer = [r for r in routed if ".b" in r.subject]
    assert len(by_buyer) == 1 and by_buyer[0].subject == matched_subject(partition_of(buyer, 8), by_buyer=True)
    assert len(by_buyer[0].order_keys) == 40
    for r in routed:
        if ".p" in r.subject:
            assert all(
                r.subject == matched_subject(partition_of(order_key(EBP, k.rsplit("=", 1)[1]), 8)) for k in r.order_keys
            )


def test_fair_share_covers_every_partition() -> None:
    assert [fair_share(8, n) for n in (1, 2, 3, 4, 9)] == [8, 4, 3, 2, 1]
    assert fair_share(8, 0) == 8


def test_names() -> None:
    assert docs_subject(7) == "cbec.docs.p07"
    assert declared_subject("cbec.matched.b03") == "cbec.declared.b03"
    assert [d for _, d, _ in consumers_of(2)] == ["matched-b02", "matched-p02", "docs-p02"]
