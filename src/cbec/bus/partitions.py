"""Which partition a document, an order or a buyer belongs to, and the subjects that carry them
(docs/decisions/0015). Pure: no I/O, no clock.

The key that keeps an order's documents together is ``ebpCode|orderNo`` (the order, its waybill
and its payment carry the order number; the platform is the submission's); the retail-import tax
step is re-keyed by the buyer's ID number, because the annual limit of 财关税〔2018〕49号 is per
person and must be updated by one consumer in order."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cbec.matching.schemas import MatchedOrder

#: streams at the stage boundaries: (name, subjects)
DOCS, MATCHED, DECLARED = "CBEC_DOCS", "CBEC_MATCHED", "CBEC_DECLARED"
STREAMS: tuple[tuple[str, str], ...] = (
    (DOCS, "cbec.docs.>"),
    (MATCHED, "cbec.matched.>"),
    (DECLARED, "cbec.declared.>"),
)
TRANSPORT = "transport"  # the lease of the one transport folder (one per transmitting enterprise)


def partition_of(key: str, partitions: int) -> int:
    """A stable partition for a key (CRC-32, as every process and language computes it alike)."""
    return zlib.crc32(key.encode("utf-8")) % partitions


def order_key(platform_code: str, order_no: str) -> str:
    return f"{platform_code}|{order_no}"


def lease_key(p: int) -> str:
    return f"p{p:02d}"


def docs_subject(p: int) -> str:
    return f"cbec.docs.p{p:02d}"


def matched_subject(p: int, *, by_buyer: bool = False) -> str:
    """Exports by order partition (``p07``), retail imports by buyer partition (``b07``)."""
    return f"cbec.matched.{'b' if by_buyer else 'p'}{p:02d}"


def declared_subject(matched: str) -> str:
    return "cbec.declared." + matched.rsplit(".", 1)[1]


def consumers_of(p: int) -> tuple[tuple[str, str, str], ...]:
    """(stream, durable name, subject) of every consumer the holder of partition ``p`` runs."""
    tag = f"{p:02d}"
    return (
        (MATCHED, f"matched-b{tag}", matched_subject(p, by_buyer=True)),
        (MATCHED, f"matched-p{tag}", matched_subject(p)),
        (DOCS, f"docs-p{tag}", docs_subject(p)),
    )


def fair_share(partitions: int, members: int) -> int:
    """How many partitions one of ``members`` live nodes should hold: all of them are held, and
    none holds more than one above another."""
    return -(-partitions // max(members, 1))


def split_documents(data: bytes, platform_code: str, partitions: int) -> dict[int, bytes] | None:
    """A JSON submission (an array of documents with ``head.orderNo``) cut into one array per
    partition, each document kept byte for byte as JSON; None when it is not such an array (the
    file then travels whole, on the partition of its first bytes' hash)."""
    try:
        docs = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(docs, list):
        return None
    parts: dict[int, list[Any]] = {}
    for d in docs:
        head = d.get("head") if isinstance(d, dict) else None
        no = str(head.get("orderNo") or "") if isinstance(head, dict) else ""
        key = order_key(platform_code or str(head.get("ebpCode") or "") if isinstance(head, dict) else "", no)
        parts.setdefault(partition_of(key if no else json.dumps(d, sort_keys=True), partitions), []).append(d)
    return {p: _as_json(v) for p, v in sorted(parts.items())}


def _as_json(docs: Iterable[Any]) -> bytes:
    return (
        "[\n" + ",\n".join(json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in docs) + "\n]\n"
    ).encode()


@dataclass(frozen=True, slots=True)
class Routed:
    """Matched orders of one message grouped by the subject that carries them to declaring."""

    subject: str
    order_keys: tuple[str, ...]


def route_matched(orders: Iterable[MatchedOrder], partitions: int) -> list[Routed]:
    """Matched orders → the subjects that carry them to declaring: exports on the order's
    partition, imports on the buyer's (财关税〔2018〕49号: one ledger, one consumer)."""
    groups: dict[str, list[str]] = {}
    for o in orders:
        by_order = order_key(o.platform_code, o.order_no)
        if o.kind == "import":
            subject = matched_subject(partition_of(o.buyer_id_number or by_order, partitions), by_buyer=True)
        else:
            subject = matched_subject(partition_of(by_order, partitions))
        groups.setdefault(subject, []).append(o.order_key)
    return [Routed(s, tuple(sorted(k))) for s, k in sorted(groups.items())]
