"""What a node does with one message of each stage: the same services as ``cbec import`` and
``cbec declare``, each in its own units of work, committed before the message is acknowledged.

Every step keeps its natural idempotency key, so a message delivered twice (a node killed after
its commit and before its acknowledgement) changes nothing the second time: a document with the
same content is not stored again, an order with a declaration is not declared again
(``copNo`` per message type), and the transport writes a message under the same file name."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cbec import pipeline
from cbec.bus.partitions import Routed, route_matched
from cbec.ceb.signing import Signer
from cbec.config import Settings
from cbec.customs import service as customs
from cbec.customs.keys import signer_for
from cbec.intake import service as intake
from cbec.intake.documents import ParseContext
from cbec.matching import service as matching
from cbec.risk.rules import Thresholds
from cbec.risk.service import thresholds
from cbec.unit_of_work import UnitOfWork

#: the headers a documents message carries beside its bytes: who submitted them
CONTEXT_HEADERS = ("seller", "seller-name", "platform", "platform-name", "sender", "format", "filename")


def context_headers(ctx: ParseContext, fmt: str, filename: str) -> dict[str, str]:
    values = (ctx.seller_code, ctx.seller_name, ctx.platform_code, ctx.platform_name, ctx.sender_code, fmt, filename)
    return {f"Cbec-{h}": v for h, v in zip(CONTEXT_HEADERS, values, strict=True)}


def _context(headers: dict[str, str]) -> tuple[ParseContext, str, str]:
    h = {k.removeprefix("Cbec-"): v for k, v in headers.items()}
    ctx = ParseContext(h["seller"], h["seller-name"], h["platform"], h["platform-name"], h["sender"])
    return ctx, h.get("format", "auto"), h.get("filename", "")


def order_nos_in(data: bytes) -> set[str]:
    """The order numbers a JSON submission names (its documents' ``head.orderNo``)."""
    try:
        docs = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return set()
    heads = (d.get("head") for d in docs if isinstance(d, dict)) if isinstance(docs, list) else ()
    return {str(h["orderNo"]) for h in heads if isinstance(h, dict) and h.get("orderNo")}


@dataclass
class DocumentsDone:
    routed: list[Routed] = field(default_factory=list)
    stored: int = 0
    failure: str = ""


def take_documents(settings: Settings, data: bytes, headers: dict[str, str], partitions: int) -> DocumentsDone:
    """Keep the partition's share of a submission (committed first), read it, register its new
    SKUs, match its orders, and say where its matched orders go next. The routing names every
    matched order of the message, stored now or before, so a redelivery after a lost publish
    still carries them on."""
    ctx, fmt, filename = _context(headers)
    with UnitOfWork(settings) as uow:
        item = intake.accept(uow.session, settings, data, ctx, fmt=fmt, filename=filename, channel="bus")
        uow.commit()
    report, _ = pipeline.process_accepted(settings, item, ctx)
    done = DocumentsDone(stored=len(report.stored_order_nos))
    if report.failure is not None:  # kept raw in the inbox: a person looks at it, the bus goes on
        done.failure = str(report.failure)
        return done
    done.routed = _route_after_commit(settings, order_nos_in(data) | report.stored_order_nos, partitions)
    return done


def _route_after_commit(settings: Settings, nos: set[str], partitions: int) -> list[Routed]:
    """Match again, after the commit, the message's orders that are still not matched, then
    route the matched ones. An order and its waybill read by two nodes at once (a lease that
    moved while its old holder was still at work) each commit without seeing the other; of the
    two matchings after the commits, the later sees both, so the order is not left unmatched."""
    with UnitOfWork(settings) as uow:
        matched = matching.matched_orders(uow.session, nos)
        rest = nos - {m.order_no for m in matched}
        if rest:
            matching.run_matching(uow.session, order_nos=rest)
            matched = matching.matched_orders(uow.session, nos)
        uow.commit()
    return route_matched(matched, partitions)


@dataclass(frozen=True, slots=True)
class Signing:
    """The signing key and the risk thresholds, read once per node."""

    signer: Signer | None
    risk_limits: Thresholds

    @classmethod
    def of(cls, settings: Settings) -> Signing:
        return cls(signer_for(settings), thresholds(settings.risk_thresholds))


def declare_orders(settings: Settings, order_keys: Iterable[str], signing: Signing | None = None) -> dict[str, Any]:
    """Declare these matched orders (risk, tax, build, sign, XSD, outbox) in one unit of work."""
    keys = sorted(set(order_keys))
    signing = signing or Signing.of(settings)
    with UnitOfWork(settings) as uow:
        report = customs.declare(
            uow.session,
            signer=signing.signer,
            risk_limits=signing.risk_limits,
            order_keys=keys,
            count_already=False,
            xsd_sample=settings.xsd_check_share,
        )
        uow.commit()
    return report.as_dict()
