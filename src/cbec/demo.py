"""The main job on the embedded default: a realistic seller's year of exports, end to end.

A platform, a seller and a logistics company are registered; the Online Retail data set is
imported as the seller's export orders; the logistics company pushes a waybill (UPU S10 number
with a valid check digit) for every order it has picked up; HS codes are suggested for the
seller's SKUs and the seller confirms the confident ones; everything is matched and summarised.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cbec import pipeline
from cbec.accounts import repository as accounts_repo
from cbec.accounts import service as accounts
from cbec.accounts.schemas import UserCreate
from cbec.catalogue import service as catalogue
from cbec.config import Settings
from cbec.customs import service as customs
from cbec.customs.keys import sandbox_key, signer_for
from cbec.customs.schemas import ReleasedParcel
from cbec.db import migrate
from cbec.errors import InvalidInput
from cbec.intake import service as intake
from cbec.intake.documents import DocType, ParseContext
from cbec.kit.codes import code_lists
from cbec.kit.tracking import make_s10
from cbec.logistics import service as logistics
from cbec.logistics.schemas import FlowIn, FlowKind, TrackingEventIn
from cbec.matching import service as matching
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.sandbox import SandboxCustoms
from cbec.tax import position
from cbec.tax.rates import tax_tables
from cbec.unit_of_work import UnitOfWork

Step = Callable[[str], None]
Progress = Callable[[int, int | None], None]

PLATFORM = EnterpriseCreate(
    code="91330782MA2DEMP02Y",
    name="义乌示范跨境电商平台有限公司",
    name_en="Yiwu Demo CBEC Platform Co., Ltd.",
    roles=["ebp"],
    dxp_id="DXPENT0000000001",
)
SELLER = EnterpriseCreate(
    code="91330782MA2DEMN016",
    name="义乌示范礼品家居有限公司",
    name_en="Yiwu Demo Gifts & Home Co., Ltd.",
    roles=["ebc"],
    dxp_id="DXPENT0000000002",
)
LOGISTICS = EnterpriseCreate(
    code="91310000MA1FL0G03T",
    name="上海示范国际物流有限公司",
    name_en="Shanghai Demo International Logistics Co., Ltd.",
    roles=["logistics"],
    dxp_id="DXPLGS0000000003",
)
#: the seller confirms suggestions at or above this score (its decision, recorded as "demo-seller")
CONFIRM_SCORE = 0.5
#: orders of the data set's last day have not been picked up yet: no waybill, so not matched
BEIJING = ZoneInfo("Asia/Shanghai")
NOT_SHIPPED_AFTER = "20111209000000"


def _fresh(settings: Settings) -> None:
    """Remove what an earlier demo left in the data directory (only the platform's own files)."""
    d = settings.data_dir
    for name in ("cbec.db", "cbec.db-wal", "cbec.db-shm"):
        (d / name).unlink(missing_ok=True)
    for sub in ("inbox", "outbox", "messages", "logs"):
        if (d / sub).is_dir():
            shutil.rmtree(d / sub)


def waybills_for(orders: list[tuple[str, dict[str, Any], int]], logistics: EnterpriseCreate) -> list[dict[str, Any]]:
    """CEB505 waybills as the logistics company pushes them (JSON with CEB field names).

    ``orderNo`` is the platform's extension linking the parcel to its order (CEB505 has no
    orderNo; the inventory list CEB603 carries both). Gross weight is a demo assumption:
    0.25 kg a goods line, at least 0.1 kg.
    """
    out = []
    for serial, (order_no, head, goods_lines) in enumerate(orders, start=10000001):
        if str(head.get("orderTime", "")) >= NOT_SHIPPED_AFTER:
            continue
        ordered = datetime.strptime(head["orderTime"], "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
        app_time = (ordered + timedelta(hours=20)).strftime("%Y%m%d%H%M%S")
        out.append(
            {
                "type": DocType.EXPORT_WAYBILL.value,
                "head": {
                    "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cbec-demo-waybill/{order_no}")).upper(),
                    "appType": "1",
                    "appTime": app_time,
                    "appStatus": "2",
                    "logisticsCode": logistics.code,
                    "logisticsName": logistics.name,
                    "logisticsNo": make_s10("LP", serial, "CN"),
                    "freight": head.get("freight", "0"),
                    "insuredFee": "0",
                    "currency": head["currency"],
                    "grossWeight": str(max(Decimal("0.1"), Decimal("0.25") * goods_lines)),
                    "packNo": 1,
                    "goodsInfo": "家居礼品 home gifts",
                    "ebcCode": head["ebcCode"],
                    "ebcName": head["ebcName"],
                    "orderNo": order_no,
                    "ebpCode": head["ebpCode"],
                    "destinationCountry": head.get("destinationCountry", ""),
                },
            }
        )
    return out


def with_sandbox_signing(settings: Settings) -> Settings:
    """Settings that sign: the configured key, or a self-signed sandbox key kept under the data
    directory; the sandbox customs verifies every signature (production signs with its UKey/HSM)."""
    if settings.signing_key is not None:
        return settings
    key, cert = sandbox_key(settings.data_dir / "keys", SELLER.name_en or SELLER.code)
    return settings.model_copy(update={"signing_key": key, "signing_cert": cert})


#: the demo's people: the zone operator, the seller's clerk, and the regulator's read-only view
DEMO_USERS = (
    ("operator", "cbec-demo-operator", "admin", None, "综试区运营 Zone operator"),
    ("seller", "cbec-demo-seller", "seller", SELLER.code, "卖家 Seller clerk"),
    ("regulator", "cbec-demo-regulator", "regulator", None, "监管 Regulator"),
)


def ensure_demo_users(settings: Settings) -> list[dict[str, str]]:
    """Create the demo's users when missing; their passwords are public, for the demo only."""
    with UnitOfWork(settings) as uow:
        for username, password, role, enterprise, name in DEMO_USERS:
            if accounts_repo.get_user(uow.session, username) is None:
                accounts.create_user(
                    uow.session,
                    UserCreate(
                        username=username, password=password, role=role, enterprise_code=enterprise, display_name=name
                    ),
                )
        uow.commit()
    return [{"username": u, "password": pw, "role": r} for u, pw, r, _, _ in DEMO_USERS]


def run_customs(
    settings: Settings,
    *,
    step: Step = lambda s: None,
    progress: Progress | None = None,
    timings: dict[str, float],
    seed: int = 2026,
    inspection_rate: float = 0.02,
    max_rounds: int = 12,
) -> dict[str, Any]:
    """Declare the matched orders, let the sandbox customs answer through the message folders
    until every list is final, then declare the summary (CEB701) of the released lists."""
    t = time.perf_counter()
    step("申报 declaring (CEB303/505/603, outbox, signed)")
    settings = with_sandbox_signing(settings)
    declared = pipeline.declare(settings, progress=progress)
    timings["declare"] = time.perf_counter() - t

    t = time.perf_counter()
    step("模拟海关回执 sandbox customs answers through the message folders")
    sandbox = SandboxCustoms(
        pipeline.messages_dir(settings),
        seed=seed,
        inspection_rate=inspection_rate,
        require_signatures=True,
        lanes=pipeline.lanes_of(settings),
    )
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - rounds is reported
        pipeline.work_once(settings)
        sandbox.step()
        pipeline.work_once(settings)
        with UnitOfWork(settings) as uow:
            open_lists = customs.lists_waiting(uow.session)
        if not open_lists:
            break
    timings["customs"] = time.perf_counter() - t

    t = time.perf_counter()
    step("运抵、离境、总分单 arrival, departure and master bill of the released parcels")
    moved = run_logistics(settings, sandbox)
    timings["logistics"] = time.perf_counter() - t

    t = time.perf_counter()
    step("汇总申报 summary declaration (CEB701)")
    today = datetime.now(BEIJING).strftime("%Y%m%d")
    with UnitOfWork(settings) as uow:
        summary = customs.summarise(uow.session, period_start=today, period_end=today, signer=signer_for(settings))
        uow.commit()
    for _ in range(4):
        pipeline.work_once(settings)
        sandbox.step()
    pipeline.work_once(settings)
    timings["summary"] = time.perf_counter() - t

    with UnitOfWork(settings) as uow:
        messages = customs.message_count(uow.session)
        summary_results = customs.receipt_count(uow.session, "CEB792")
        by_status = customs.status_counts(uow.session)
    return {
        "declare": declared,
        "rounds": rounds,
        "logistics": moved,
        "summary_lists": summary.orders,
        "summary_results_ceb792": summary_results,
        "refund_position": refund_position(settings),
        "messages_built_and_xsd_checked": messages,
        "declarations": by_status,
    }


#: parcels per flight: one arrival (CEB507), departure (CEB509) and master bill (CEB607) each
FLIGHT = 2000


def _answered(settings: Settings, sandbox: SandboxCustoms, rounds: int = 3) -> None:
    for _ in range(rounds):
        pipeline.work_once(settings)
        sandbox.step()
    pipeline.work_once(settings)


def run_logistics(settings: Settings, sandbox: SandboxCustoms) -> dict[str, Any]:
    """The logistics company after release: the released parcels arrive at the supervised site
    (CEB507), leave on flights (CEB509) whose master bills (CEB607) give the transport data the
    lists were declared without; the sandbox answers each. Its tracking events follow (UPU EDI:
    posted, presented to export customs, departed, delivered) for the transit-time figures."""
    signer = signer_for(settings)
    with UnitOfWork(settings) as uow:
        parcels = customs.released_parcels(uow.session, undeparted=True)
    flights = [parcels[i : i + FLIGHT] for i in range(0, len(parcels), FLIGHT)]
    rounds: tuple[tuple[FlowKind, ...], ...] = (("arrival",), ("departure", "master_bill"))
    for kinds in rounds:
        with UnitOfWork(settings) as uow:
            for n, batch in enumerate(flights, start=1):
                numbers = [p.logistics_no for p in batch]
                for kind in kinds:
                    flow = FlowIn(
                        kind=kind, parcels=numbers, domestic_traf_no=f"浙G{n:05d}", traf_name=f"CA{1000 + n}",
                        voyage_no=f"CA{1000 + n}", bill_no=f"999-{n:08d}", gross_weight=Decimal("0.4") * len(batch),
                    )  # fmt: skip
                    logistics.declare_flow(uow.session, flow, carrier=LOGISTICS.code, signer=signer)
            uow.commit()
        _answered(settings, sandbox)
    events = pipeline.track_events(settings, tracking_events(parcels), carrier=LOGISTICS.code, channel="demo")
    with UnitOfWork(settings) as uow:
        by_status = customs.status_counts(uow.session)
        departed = len(customs.departed_lists(uow.session, [p.logistics_no for p in parcels]))
    return {
        "parcels": len(parcels),
        "flights": len(flights),
        "departed": departed,
        "tracking_events": events.stored,
        "movements": {m: by_status.get(m, {}) for m in ("CEB507", "CEB509", "CEB607")},
    }


#: demo transit days to delivery by destination (customs country code), before a spread of 0–4
#: days; invented for the demo, not a carrier's figures
_TRANSIT_DAYS = {"303": 5, "305": 7, "304": 7, "502": 9, "601": 11}


def tracking_events(parcels: list[ReleasedParcel]) -> list[tuple[int, TrackingEventIn]]:
    """UPU EDI events for each released parcel, hours after its release (deterministic)."""
    out: list[tuple[int, TrackingEventIn]] = []
    lists = code_lists()
    for p in parcels:
        spread = int(hashlib.sha256(p.logistics_no.encode()).hexdigest()[:4], 16) % 97 / 24
        days = _TRANSIT_DAYS.get(p.country, 8) + spread
        found = lists.countries.get(p.country)
        iso = found.iso.upper()[:2] if found is not None and found.iso else ""
        local = p.released_at.astimezone(BEIJING)
        for code, hours, where in (("EMA", 2, "义乌 Yiwu"), ("EXA", 6, "义乌 Yiwu"), ("EMC", 12, "上海浦东 PVG")):
            out.append((len(out) + 1, TrackingEventIn(waybill_no=p.logistics_no, time=(local + timedelta(hours=hours)).isoformat(), event_code=code, location=where, country="CN")))  # fmt: skip
        delivered = (p.released_at + timedelta(hours=12, days=days)).isoformat()
        out.append((len(out) + 1, TrackingEventIn(waybill_no=p.logistics_no, time=delivered, event_code="EMI", country=iso)))  # fmt: skip
    return out


def refund_position(settings: Settings, *, on: datetime | None = None) -> dict[str, Any]:
    """The seller's export refund position for its released 9610 lists, by the tax engine, from
    the documented purchase-cost assumption in ``cbec/data/demo_refund_assumption.json``."""
    with UnitOfWork(settings) as uow:
        lines = customs.released_export_lines(uow.session)
    day = (on or datetime.now(BEIJING)).date()
    return position.refund_position(lines, position.RefundAssumption.demo(), tax_tables(), day)


@dataclass
class _Run:
    """One demo run: its settings, how it reports, and the seconds each stage took."""

    settings: Settings
    step: Step
    progress: Progress | None
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, label: str) -> Iterator[None]:
        self.step(label)
        t = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - t


def _prepare(settings: Settings, *, fresh: bool) -> Path:
    """A database at the newest schema (emptied first when ``fresh``), the demo's enterprises
    registered; the Online Retail file to read."""
    source = settings.online_retail_path
    if source is None:
        raise InvalidInput(
            "the Online Retail data set was not found; set CBEC_SHARED_DIR to the folder holding data/online-retail.parquet",
            "未找到 Online Retail 数据集；请将 CBEC_SHARED_DIR 指向包含 data/online-retail.parquet 的目录",
            field="shared_dir",
        )
    if fresh:
        _fresh(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    with UnitOfWork(settings) as uow:
        for e in (PLATFORM, SELLER, LOGISTICS):
            partners.ensure_enterprise(uow.session, e)
        uow.commit()
    return source


def _push_waybills(run: _Run) -> dict[str, Any]:
    """The logistics company's waybills for the orders it picked up, pushed as JSON."""
    with UnitOfWork(run.settings) as uow:
        orders = intake.current_order_heads(uow.session, DocType.EXPORT_ORDER, SELLER.code)
    wctx = ParseContext(SELLER.code, SELLER.name, PLATFORM.code, PLATFORM.name, sender_code=LOGISTICS.code)
    payload = json.dumps(waybills_for(orders, LOGISTICS), ensure_ascii=False).encode()
    return pipeline.import_bytes(
        run.settings, payload, wctx, fmt="json", filename="waybills.json", channel="api", progress=run.progress,
        rematch=False,
    )  # fmt: skip


def _suggest_and_accept(run: _Run) -> tuple[int, int]:
    """HS codes suggested for every SKU; the seller accepts the confident ones (≥ CONFIRM_SCORE)."""
    with UnitOfWork(run.settings) as uow:
        suggested = catalogue.suggest_codes(uow.session, SELLER.code, progress=run.progress)
        confirmed = catalogue.confirm_suggestions(uow.session, SELLER.code, min_score=CONFIRM_SCORE, by="demo-seller")
        uow.commit()
    return suggested, confirmed


def _review_waiting(run: _Run) -> dict[str, Any]:
    """The seller in a hurry, on the catalogue page with "only SKUs orders wait on": it has the
    platform suggest again for those SKUs, learning from the codes confirmed so far, and takes
    the suggestion for every SKU that holds an order (a decision it records as its own,
    ``demo-seller-hurry``, so a zone can tell these codes from reviewed ones), which releases the
    orders that waited on them. SKUs without any suggestion stay unconfirmed and keep their
    orders waiting; the summary says how many."""
    with UnitOfWork(run.settings) as uow:
        waiting = matching.waiting_by_sku(uow.session, SELLER.code)
        before = matching.orders_waiting(uow.session, SELLER.code)
        holding = [s for s, n in waiting.items() if n]
        # suggested again, learning from the SKUs confirmed so far (a SKU described like
        # confirmed ones gets their code), then taken as they are
        catalogue.suggest_codes(uow.session, SELLER.code, only=holding, refresh=True)
        decision = catalogue.confirm_skus(uow.session, SELLER.code, holding, by="demo-seller-hurry")
        release = matching.release_waiting(uow.session, SELLER.code, decision.confirmed)
        after = matching.orders_waiting(uow.session, SELLER.code)
        uow.commit()
    return {
        "orders_waiting_before": before,
        "skus_holding_orders": sum(1 for n in waiting.values() if n),
        "accepted_in_a_hurry": len(decision.confirmed),
        "without_suggestion": len(decision.skipped),
        "orders_released": release.released,
        "orders_still_waiting_on_a_code": after,
    }


def run_demo(
    settings: Settings,
    *,
    fresh: bool = True,
    customs: bool = True,
    step: Step = lambda s: None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    step("登记企业 registering enterprises")
    source = _prepare(settings, fresh=fresh)
    run = _Run(settings, step, progress)
    with run.stage("import_orders", "导入订单 importing Online Retail orders"):
        ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
        orders_report = pipeline.import_path(
            settings, source, ctx, fmt="online-retail", progress=progress, rematch=False, suggest=False
        )
    with run.stage("import_waybills", "物流企业推送运单 logistics company pushes waybills"):
        waybill_report = _push_waybills(run)
    with run.stage("catalogue", "HS 编码建议 suggesting HS codes"):
        suggested, confirmed = _suggest_and_accept(run)
    with run.stage("matching", "三单对碰 matching"), UnitOfWork(settings) as uow:
        summary = matching.run_matching(uow.session, progress=progress)
        uow.commit()
    with run.stage("review", "卖家确认等待中的商品编码 the seller confirms the codes orders wait on"):
        review = _review_waiting(run)
    with UnitOfWork(settings) as uow:
        summary_after = matching.state_counts(uow.session, SELLER.code)
    customs_result = run_customs(settings, step=step, progress=progress, timings=run.timings) if customs else None
    with UnitOfWork(settings) as uow:
        by_country = intake.value_by_country(uow.session, DocType.EXPORT_ORDER)
        counts = catalogue.status_counts(uow.session, SELLER.code)
    p = orders_report["parser"]
    valid = p.get("orders", 0) - orders_report["invalid"]
    lists = (customs_result or {}).get("declarations", {}).get("CEB603", {})
    released = lists.get("released", 0) + lists.get("closed", 0)
    return {
        "data_dir": str(settings.data_dir),
        "enterprises": {"platform": PLATFORM.code, "seller": SELLER.code, "logistics": LOGISTICS.code},
        "invoices_read": p.get("invoices", 0),
        "orders": p.get("orders", 0),
        "order_lines": p.get("order_lines", 0),
        "goods_lines": p.get("goods_lines", 0),
        "cancellations": p.get("cancellations", 0),
        "cancellation_lines": p.get("cancellation_lines", 0),
        "not_orders": {
            "stock_corrections": p.get("stock_correction_invoices", 0),
            "zero_value": p.get("zero_value_invoices", 0),
            "bad_debt_adjustments": p.get("adjustment_invoices", 0),
        },
        "invalid_orders": orders_report["invalid"],
        "valid_export_orders": valid,
        "declared_and_released": released,
        "declared_and_released_share": round(released / valid, 4) if valid else 0.0,
        "waybills": waybill_report["documents"],
        "catalogue": {
            "skus_suggested": suggested,
            "accepted_at_or_above": CONFIRM_SCORE,
            "confirmed_by_seller": confirmed,
            "review": review,
            "by_status": counts,
        },
        "matching": {**summary.as_dict(), "after_review": summary_after},
        "status": pipeline.status(settings),
        "customs": customs_result,
        "value_by_destination": [
            {"country": c, "orders": n, "goods_value": format(v, "f") if v is not None else "0", "currency": "303 GBP"}
            for c, n, v in by_country
        ],
        "seconds": round(time.perf_counter() - started, 2),
        "timings": {k: round(v, 2) for k, v in run.timings.items()},
    }
