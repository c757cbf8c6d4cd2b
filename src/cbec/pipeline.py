"""Use cases that cross areas, each with its own units of work: what the CLI, the API and the
demo call. Raw input is committed on its own before it is read (nothing received is lost)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from cbec.audit import service as audit
from cbec.catalogue import service as catalogue
from cbec.config import Settings
from cbec.customs import service as customs
from cbec.customs.keys import signer_for
from cbec.customs.schemas import DeclareReport, MovementRead
from cbec.customs.service import declaring
from cbec.customs.transport import FolderTransport
from cbec.db import engine_for
from cbec.errors import CbecError, InvalidInput
from cbec.finance import rules as finance_rules
from cbec.finance import service as finance
from cbec.intake import service as intake
from cbec.intake.documents import ParseContext
from cbec.intake.models import InboxItem
from cbec.logistics import service as logistics
from cbec.logistics.parsers import read_events_csv
from cbec.logistics.schemas import FlowIn, IngestReport, TrackingEventIn
from cbec.matching import service as matching
from cbec.partners import service as partners
from cbec.partners.rules import Role
from cbec.privacy import keys as privacy_keys
from cbec.privacy import service as privacy
from cbec.privacy.schemas import ErasureRead, RetainedOpened
from cbec.risk import service as risk
from cbec.risk.service import thresholds
from cbec.sharing import service as sharing
from cbec.sharing.schemas import SubscriptionCreate, SubscriptionCreated, SubscriptionRead
from cbec.unit_of_work import UnitOfWork
from cbec.warehouse import service as warehouse

Progress = Callable[[int, int | None], None]


def context_for(
    settings: Settings, seller: str, platform: str | None = None, sender: str | None = None
) -> ParseContext:
    """Resolve who is submitting: the seller must be registered as ebc, the platform as ebp."""
    with UnitOfWork(settings) as uow:
        s = partners.require_role(uow.session, seller, Role.EBC)
        p_code, p_name = "", ""
        platform = platform or s.default_platform  # the seller's usual platform when none is named
        if platform:
            if platform == "无":  # a foreign platform without a Chinese code (CEB.md §7)
                p_code, p_name = "无", "境外平台"
            else:
                p = partners.require_role(uow.session, platform, Role.EBP)
                p_code, p_name = p.code, p.name
        if sender:
            partners.get_enterprise(uow.session, sender)
        return ParseContext(
            seller_code=s.code,
            seller_name=s.name,
            platform_code=p_code,
            platform_name=p_name,
            sender_code=sender or s.code,
        )


#: Orders per declare transaction; None: one selection of the service's
#: (``customs.service.declaring.SELECTION``), so that every order of a transaction is built
#: (signed, XSD-checked) before the transaction's first write: a selection built while the
#: transaction holds SQLite's one write lock makes intake and the worker wait for it.
DECLARE_CHUNK: int | None = None


def import_bytes(
    settings: Settings,
    data: bytes,
    ctx: ParseContext,
    *,
    fmt: str = "auto",
    filename: str = "",
    channel: str = "cli",
    progress: Progress | None = None,
    rematch: bool = True,
    suggest: bool = True,
    admit: intake.Admit | None = None,
) -> dict[str, Any]:
    """Keep the submission, read it, register new SKUs with HS suggestions for the seller to
    confirm on the catalogue page, and re-match the orders it touches."""
    with UnitOfWork(settings) as uow:
        item = intake.accept(uow.session, settings, data, ctx, fmt=fmt, filename=filename, channel=channel)
        uow.commit()
    report, out = process_accepted(
        settings, item, ctx, progress=progress, admit=admit, rematch=rematch, suggest=suggest
    )
    if report.failure is not None:
        report.failure.inbox_id = item.id  # the raw submission is kept: say where
        raise report.failure
    return out


#: a submission read again when a concurrent writer (another API request, a bus node) stored or
#: matched the same documents between its reads and its writes; the second reading sees theirs
PROCESS_ATTEMPTS = 3


def process_accepted(
    settings: Settings,
    item: InboxItem,
    ctx: ParseContext,
    *,
    progress: Progress | None = None,
    admit: intake.Admit | None = None,
    rematch: bool = True,
    suggest: bool = True,
) -> tuple[intake.ImportReport, dict[str, Any]]:
    """Read an accepted submission, register its new SKUs (with HS suggestions) and match the
    orders it stored, in one unit of work (``cbec import``, the API and the bus's documents
    step); read again when another writer won a race on the same documents."""
    for _ in range(PROCESS_ATTEMPTS - 1):
        try:
            return _process_once(settings, item, ctx, progress=progress, admit=admit, rematch=rematch, suggest=suggest)
        except IntegrityError:  # another writer stored or matched the same documents first
            continue
    return _process_once(settings, item, ctx, progress=progress, admit=admit, rematch=rematch, suggest=suggest)


def _process_once(
    settings: Settings,
    item: InboxItem,
    ctx: ParseContext,
    *,
    progress: Progress | None,
    admit: intake.Admit | None,
    rematch: bool,
    suggest: bool,
) -> tuple[intake.ImportReport, dict[str, Any]]:
    with UnitOfWork(settings) as uow:
        report = intake.process(uow.session, settings, item, ctx, progress=progress, admit=admit)
        out = report.as_dict()
        if report.failure is None:
            out["new_skus"] = catalogue.register_skus(uow.session, report.skus)
            if suggest and out["new_skus"]:
                for seller in {s for s, _ in report.skus}:
                    catalogue.suggest_codes(uow.session, seller, only=(k for s, k in report.skus if s == seller))
            if rematch and report.stored_order_nos:
                out["matching"] = matching.run_matching(uow.session, order_nos=report.stored_order_nos).as_dict()
        uow.commit()
    return report, out


def read_input(path: Path) -> bytes:
    """A file a person named on the command line, or a bilingual error naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc.strerror}", f"无法读取 {path}：{exc.strerror}", field="path"
        ) from None


def import_path(settings: Settings, path: Path, ctx: ParseContext, **kwargs: Any) -> dict[str, Any]:
    return import_bytes(settings, read_input(path), ctx, filename=path.name, **kwargs)


def import_money(
    settings: Settings,
    data: bytes,
    *,
    seller: str,
    platform: str | None = None,
    fmt: str = "auto",
    filename: str = "",
    channel: str = "cli",
) -> dict[str, Any]:
    """Keep a settlement, payout or receipts file (committed first), then read it (issue 17)."""
    ctx = context_for(settings, seller, platform)
    chosen = finance.money_format(fmt, data, filename)
    with UnitOfWork(settings) as uow:
        item = finance.keep(
            uow.session, settings, data, seller=ctx.seller_code, fmt=chosen, filename=filename, channel=channel
        )
        uow.commit()
    with UnitOfWork(settings) as uow:
        report = finance.read_money_file(
            uow.session, settings, item, seller=ctx.seller_code, platform=ctx.platform_code, fmt=chosen
        )
        uow.commit()
    if report.failure is not None:
        report.failure.inbox_id = item.id  # the raw file is kept: say where
        raise report.failure
    return report.as_dict()


def _keep_movements(
    settings: Settings, data: bytes, seller: str, sender: str | None, fmt: str, filename: str, channel: str
) -> InboxItem:
    with UnitOfWork(settings) as uow:
        item = warehouse.keep(
            uow.session, settings, data, seller=seller, sender=sender or seller, fmt=fmt, filename=filename,
            channel=channel,
        )  # fmt: skip
        uow.commit()
    return item


def import_movements(
    settings: Settings,
    data: bytes,
    *,
    seller: str,
    sender: str | None = None,
    fmt: str = "auto",
    filename: str = "",
    channel: str = "cli",
) -> dict[str, Any]:
    """Keep a stock-movement file (committed first), then read it (issue 18, part 2)."""
    with UnitOfWork(settings) as uow:
        partners.require_role(uow.session, seller, Role.EBC)
    try:
        chosen = warehouse.movement_format(fmt, data, filename)
    except CbecError as exc:  # not a movement file: kept all the same, and the error says where
        exc.inbox_id = _keep_movements(settings, data, seller, sender, "unrecognised", filename, channel).id
        raise
    item = _keep_movements(settings, data, seller, sender, chosen.value, filename, channel)
    with UnitOfWork(settings) as uow:
        report = warehouse.read_movement_file(uow.session, settings, item, seller=seller, fmt=chosen)
        uow.commit()
    if report.failure is not None:
        report.failure.inbox_id = item.id  # the raw file is kept: say where
        raise report.failure
    return report.read().model_dump(mode="json")


def reconcile(
    settings: Settings,
    seller: str,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    overdue_days: int | None = None,
) -> dict[str, Any]:
    """Reconcile the seller's declared exports with its settlements and receipts, and store it."""
    policy = finance_rules.Policy(overdue_days=overdue_days) if overdue_days is not None else None
    with UnitOfWork(settings) as uow:
        partners.get_enterprise(uow.session, seller)
        out = finance.reconcile(uow.session, seller, start=start, end=end, as_of=as_of, policy=policy)
        uow.commit()
    return out.model_dump(mode="json")


def prequalify(settings: Settings, seller: str, *, as_of: date | None = None) -> dict[str, Any]:
    """The seller's financing pre-qualification, sealed (read only: nothing is stored)."""
    with UnitOfWork(settings) as uow:
        partners.require_role(uow.session, seller, Role.EBC)
        return finance.prequalification(uow.session, settings, seller, as_of=as_of)


def status(settings: Settings, seller: str | None = None) -> dict[str, Any]:
    with UnitOfWork(settings) as uow:
        return {
            "data_dir": str(settings.data_dir),
            "submissions": intake.submission_count(uow.session),
            "documents": intake.document_counts(uow.session, seller),
            "matching": matching.state_counts(uow.session, seller),
            "not_matched_reasons": matching.reason_counts(uow.session, seller),
            "catalogue": catalogue.status_counts(uow.session, seller),
        }


# --- customs ---------------------------------------------------------------------------------


def messages_dir(settings: Settings) -> Path:
    return settings.data_dir / "messages"


def lanes_of(settings: Settings) -> Callable[[str, str], str | None]:
    """The risk lane of a list as the sandbox customs asks for it: (side I/E, copNo) → lane."""

    def lane(side: str, cop_no: str) -> str | None:
        with UnitOfWork(settings) as uow:
            return risk.lane_of(uow.session, "import" if side == "I" else "export", cop_no)

    return lane


def declare(
    settings: Settings, *, seller: str | None = None, trade_mode: str = "9610", progress: Progress | None = None
) -> dict[str, Any]:
    """Declare every matched order not declared yet, one transaction per chunk of orders.

    Each chunk's declarations and messages are committed together (an order is never half
    declared); committing chunk by chunk keeps the write lock short, so intake and the worker
    go on beside a large declare (SQLite has one writer at a time)."""
    return _declare(settings, seller=seller, trade_mode=trade_mode, progress=progress).as_dict()


def declare_after(settings: Settings, after: int) -> tuple[dict[str, Any], int]:
    """For a worker declaring in a loop: declare the matched orders whose match result is newer
    than ``after`` and return the report with the cursor to pass next time. It does not count
    the orders declared before (a scan of every match result) and does not look again at
    orders refused before ``after``; a plain ``declare`` (from 0) sweeps everything. On
    PostgreSQL ids are not handed out in commit order, so a worker ends with such a sweep."""
    report = _declare(settings, after=after, count_already=False)
    return report.as_dict(), report.cursor


def _declare(
    settings: Settings,
    *,
    seller: str | None = None,
    trade_mode: str = "9610",
    progress: Progress | None = None,
    after: int = 0,
    count_already: bool = True,
) -> DeclareReport:
    signer = signer_for(settings)
    risk_limits = thresholds(settings.risk_thresholds)
    report: customs.DeclareReport | None = None
    while report is None or report.more:
        with UnitOfWork(settings) as uow:
            part = customs.declare(
                uow.session,
                seller_code=seller,
                trade_mode=trade_mode,
                signer=signer,
                limit=DECLARE_CHUNK or declaring.SELECTION,
                after=report.cursor if report else after,
                count_already=count_already and report is None,
                risk_limits=risk_limits,
                xsd_sample=settings.xsd_check_share,
            )
            uow.commit()
        if report is None:
            report = part
        else:
            report.add(part)
        if progress:
            progress(report.orders, None)
    return report


SEND_ROUND = 50  # messages sent (one unit of work each) before the receipts waiting are applied
RECEIPT_CHUNK = 200  # receipt files applied in one unit of work, then archived


def work_once(settings: Settings, *, limit: int | None = None, pace: float = 0.0) -> dict[str, Any]:
    """One pass of the worker: send what is queued and apply the receipts that arrived, in
    rounds (``SEND_ROUND`` messages, then every receipt waiting) until nothing is left to send
    or ``limit`` messages are sent. While declaring goes on beside it, receipts are applied
    between rounds instead of waiting for the outbox to empty.

    Each message is sent in its own unit of work, so a crash loses at most the record of one
    send, and that message is then written again under the same file name (never doubled).
    Receipts are applied ``RECEIPT_CHUNK`` files a unit of work and archived after it commits."""
    transport = FolderTransport(messages_dir(settings))
    sent = 0
    receipts = customs.ReceiptReport()
    while True:
        in_round = 0
        while in_round < SEND_ROUND and (limit is None or sent < limit):
            with UnitOfWork(settings) as uow:
                n = customs.send_pending(uow.session, transport, limit=1)
                uow.commit()
            if not n:
                break
            sent += n
            in_round += n
            if pace:  # the e-port client or a signing key may take only so many messages a minute
                time.sleep(pace)
        while True:
            with UnitOfWork(settings) as uow:
                customs.apply_receipts(uow.session, transport, limit=RECEIPT_CHUNK, report=receipts)
                uow.commit()
            if not customs.settle_receipts(transport, receipts):
                break
        if in_round < SEND_ROUND or (limit is not None and sent >= limit):
            break
    return {"sent": sent, "receipts": receipts.as_dict()}


def customs_status(settings: Settings, seller: str | None = None) -> dict[str, Any]:
    with UnitOfWork(settings) as uow:
        return customs.status_counts(uow.session, seller)


# --- personal data ---------------------------------------------------------------------------


def erase_buyer(settings: Settings, id_number: str, reason: str) -> ErasureRead:
    """Erase one buyer's personal data (docs/privacy.md): one unit of work for the records, the
    retention copy and the audit entry; after it commits, the old blobs are removed and the
    database compacted, so the old values leave its files (SQLite: VACUUM and a TRUNCATE
    checkpoint; PostgreSQL: VACUUM FULL of the tables it rewrote)."""
    key = privacy_keys.load(settings, create=True)
    with UnitOfWork(settings) as uow:
        out = privacy.erase_buyer(
            uow.session,
            id_number=id_number,
            reason=reason,
            key=key,
            inbox_dir=settings.inbox_dir,
            messages_dir=messages_dir(settings),
        )
        uow.commit()
    with UnitOfWork(settings) as uow:
        out.counts["stale_blobs_removed"] = privacy.remove_stale_blobs(uow.session, settings.inbox_dir, out.stale_blobs)
    out.compacted = privacy.compact(engine_for(settings.database_url))
    return out


def open_retained(settings: Settings, token: str, reason: str) -> RetainedOpened:
    """Decrypt one retention record with the key file; the opening is recorded."""
    key = privacy_keys.load(settings, create=False)
    with UnitOfWork(settings) as uow:
        out = privacy.open_retained(uow.session, token, key, reason)
        uow.commit()
    return out


# --- webhooks out (issue 20, item 4) ----------------------------------------------------------


def subscribe(
    settings: Settings,
    data: SubscriptionCreate,
    *,
    enterprise: str,
    created_by: str,
    resolver: sharing.Resolver = sharing.resolve,
) -> SubscriptionCreated:
    """A registered enterprise's new webhook subscription, on the audit trail (never its secret)."""
    with UnitOfWork(settings) as uow:
        partners.get_enterprise(uow.session, enterprise)
        made = sharing.create_subscription(
            uow.session, settings, data, enterprise=enterprise, created_by=created_by, resolver=resolver
        )
        audit.record(
            uow.session, "webhook.subscribe", f"subscription:{made.id}",
            {"enterprise": enterprise, "url": made.url, "event_types": made.event_types},
        )  # fmt: skip
        uow.commit()
    return made


def unsubscribe(settings: Settings, scope: frozenset[str] | None, subscription_id: int) -> SubscriptionRead:
    with UnitOfWork(settings) as uow:
        gone = sharing.delete_subscription(uow.session, scope, subscription_id)
        audit.record(
            uow.session,
            "webhook.delete",
            f"subscription:{gone.id}",
            {"enterprise": gone.enterprise_code, "url": gone.url},
        )
        uow.commit()
    return gone


def replay_deliveries(
    settings: Settings, *, delivery_ids: list[int] | None = None, subscription_id: int | None = None
) -> int:
    """The operator puts dead letters back in the queue; the replay is on the audit trail."""
    with UnitOfWork(settings) as uow:
        n = sharing.replay(uow.session, delivery_ids=delivery_ids, subscription_id=subscription_id)
        target = f"subscription:{subscription_id}" if subscription_id is not None else "deliveries"
        audit.record(uow.session, "webhook.replay", target, {"deliveries": delivery_ids or [], "replayed": n})
        uow.commit()
    return n


# --- logistics (issue 18) ---------------------------------------------------------------------------


def track_events(
    settings: Settings,
    events: list[tuple[int, TrackingEventIn]],
    *,
    carrier: str | None,
    channel: str,
    raw: bytes | None = None,
    filename: str = "",
) -> IngestReport:
    """Carriers' tracking events into the platform. With ``raw``, the submission as received is
    kept in the inbox first (committed on its own: nothing received is lost), and what reading
    it gave is recorded beside it (the submissions page shows both)."""
    inbox_id = None
    if raw is not None:
        with UnitOfWork(settings) as uow:
            item = intake.keep_raw(
                uow.session, settings, raw, seller_code=carrier or "", sender_code=carrier or "",
                format_name="tracking", filename=filename, channel=channel,
            )  # fmt: skip
            uow.commit()
            inbox_id = item.id
    with UnitOfWork(settings) as uow:
        report = logistics.ingest_events(uow.session, events, carrier=carrier, channel=channel)
        if inbox_id is not None:
            report.inbox_id = inbox_id
            stats = {"received": report.received, "stored": report.stored, "duplicates": report.duplicates,
                     "in_review": report.in_review}  # fmt: skip
            intake.record_run(
                uow.session, inbox_id, status="done", stats=stats, errors=[e.model_dump() for e in report.errors]
            )
        uow.commit()
    return report


def track_file(
    settings: Settings, data: bytes, *, carrier: str, channel: str = "file", filename: str = ""
) -> IngestReport:
    """A carrier's tracking CSV, kept raw first: the rows read, the ones that could not be read
    reported by line (a file that cannot be read at all is still kept; the error says where)."""
    with UnitOfWork(settings) as uow:
        item = intake.keep_raw(
            uow.session, settings, data, seller_code=carrier, sender_code=carrier, format_name="tracking-csv",
            filename=filename, channel=channel,
        )  # fmt: skip
        uow.commit()
    try:
        events, errors = read_events_csv(data, carrier)
    except InvalidInput as exc:
        with UnitOfWork(settings) as uow:
            intake.record_run(uow.session, item.id, status="failed", stats={}, errors=[exc.as_dict()])
            uow.commit()
        exc.inbox_id = item.id  # the raw file is kept: say where
        raise
    report = track_events(settings, events, carrier=carrier, channel=channel)
    report.inbox_id = item.id
    report.received += len(errors)
    report.errors = sorted([*errors, *report.errors], key=lambda e: e.line)
    with UnitOfWork(settings) as uow:
        stats = {"received": report.received, "stored": report.stored, "duplicates": report.duplicates,
                 "in_review": report.in_review}  # fmt: skip
        intake.record_run(
            uow.session, item.id, status="done", stats=stats, errors=[e.model_dump() for e in report.errors]
        )
        uow.commit()
    return report


def logistics_flow(settings: Settings, flow: FlowIn, *, carrier: str) -> MovementRead:
    """A physical flow (运抵, 离境, 总分单, 签收, 入库, 退运理货) declared through customs."""
    with UnitOfWork(settings) as uow:
        result = logistics.declare_flow(uow.session, flow, carrier=carrier, signer=signer_for(settings))
        uow.commit()
    return result
