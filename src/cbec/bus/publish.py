"""Putting submissions on the bus: a file is cut by partition (``ebpCode|orderNo``) and each
share published to ``cbec.docs.pNN`` with who submitted it in its headers and a message id made
of its content, so publishing the same file twice within the stream's duplicate window stores
it once (and after that window, intake's content hashes store nothing new)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext

from cbec.bus.engine import BusOptions, connect, ensure
from cbec.bus.partitions import docs_subject, partition_of, split_documents
from cbec.bus.stages import context_headers
from cbec.config import Settings
from cbec.intake.documents import ParseContext
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Submission:
    data: bytes
    ctx: ParseContext
    fmt: str = "auto"
    filename: str = ""


async def publish_one(js: JetStreamContext, sub: Submission, partitions: int) -> int:
    """Publish a submission's shares; the number of messages."""
    parts = split_documents(sub.data, sub.ctx.platform_code, partitions)
    if parts is None:
        parts = {partition_of(hashlib.sha256(sub.data).hexdigest(), partitions): sub.data}
    headers = context_headers(sub.ctx, sub.fmt, sub.filename)
    for p, data in parts.items():
        digest = hashlib.sha256(json.dumps(headers, sort_keys=True).encode() + data).hexdigest()
        await js.publish(docs_subject(p), data, headers={**headers, "Nats-Msg-Id": digest})
    return len(parts)


async def publish(opts: BusOptions, submissions: list[Submission]) -> int:
    nc, js = await connect(opts)
    try:
        await ensure(js, opts)
        return sum([await publish_one(js, s, opts.partitions) for s in submissions])
    finally:
        await nc.close()


_ROLES = {"platform": ["ebp"], "seller": ["ebc"], "logistics": ["logistics"], "payer": ["pay"]}


def generated(settings: Settings, folder: Path) -> list[Submission]:
    """The files ``cbec generate`` wrote, in order, each with who sends it (the seller its
    orders, the logistics company its waybills, the payer its payments); their enterprises are
    registered first, as ``cbec demo`` does."""
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    p = manifest["parties"]
    with UnitOfWork(settings) as uow:
        for role, party in p.items():
            if role in _ROLES and isinstance(party, dict) and "code" in party:
                ec = EnterpriseCreate(code=party["code"], name=party["name"], roles=_ROLES[role])
                partners.ensure_enterprise(uow.session, ec)
        uow.commit()
    out = []
    for entry in manifest["files"]:
        name = entry if isinstance(entry, str) else entry["name"]
        sender = p["logistics"]["code"] if "waybill" in name else p["payer"]["code"] if "payment" in name else ""
        ctx = ParseContext(
            p["seller"]["code"], p["seller"]["name"], p["platform"]["code"], p["platform"]["name"],
            sender_code=sender or p["seller"]["code"],
        )  # fmt: skip
        out.append(Submission((folder / name).read_bytes(), ctx, "json", name))
    return out
