"""Declaring: matched orders → declarations and their messages, in the caller's one transaction.

A selection of matched, undeclared orders goes through four steps, each in the area that owns
its rule: customs builds each order's declaration set (``customs.builders``, pure); risk screens
the imports (RULES.md §7.1: an open hit holds the order for a person); tax assesses the imports
against the buyers' annual ledger (财关税〔2018〕49号: over a limit the order is refused here,
not sent); customs builds, signs and XSD-checks the messages and stores them with the
declarations (the outbox, decision 0003). Declaring again finds what exists (unique message type
+ copNo), so nothing is declared twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.catalogue import service as catalogue
from cbec.ceb.messages import Entity
from cbec.ceb.signing import Signer
from cbec.customs import builders, repository
from cbec.customs.models import Declaration
from cbec.customs.rules import CHANGE_TEXT, LIST_MESSAGES, ChangeRoute, State, change_route, latest_lists
from cbec.customs.schemas import DeclareReport
from cbec.customs.service.bonded import draw_bonded, list_keys, shipments_9810
from cbec.customs.service.outbox import Built, Pending, store_messages, try_build
from cbec.errors import CbecError, ValidationFailed
from cbec.intake import service as intake
from cbec.intake.models import Document
from cbec.kit import events
from cbec.matching.models import MatchResult
from cbec.partners import service as partners
from cbec.risk import service as risk
from cbec.risk.rules import Thresholds as RiskThresholds
from cbec.risk.schemas import ImportToScreen, LineToCheck, ListToLane
from cbec.tax import schemas as tax_schemas
from cbec.tax import service as tax
from cbec.tax.fields import unit_code
from cbec.tax.import_tax import ImportLine, ImportOrder
from cbec.warehouse import service as warehouse

Progress = Callable[[int, int | None], None]
BATCH = 100
#: matched orders read, built and stored together by ``declare`` (one selection)
SELECTION = BATCH * 5


#: customs dates (ieDate, declTime) are China's calendar day (UTC+8), whatever the server's zone
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Options:
    trade_mode: str
    agent_code: str | None
    profile: builders.Profile
    at: datetime
    signer: Signer | None
    risk_limits: RiskThresholds | None
    xsd_sample: float = 1.0  # Settings.xsd_check_share


@dataclass(frozen=True, slots=True)
class Made:
    """One order's declaration set, built and not stored yet."""

    seller: str
    order: Document
    waybill: Document | None
    payment: Document | None
    declared: builders.Declared

    @property
    def platform(self) -> str:
        return str(self.order.head.get("ebpCode") or self.seller)


def declare(
    session: Session,
    *,
    seller_code: str | None = None,
    trade_mode: str = "9610",
    agent_code: str | None = None,
    profile: builders.Profile | None = None,
    at: datetime | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    signer: Signer | None = None,
    after: int = 0,
    count_already: bool = True,
    risk_limits: RiskThresholds | None = None,
    order_keys: Collection[str] | None = None,
    xsd_sample: float = 1.0,
) -> DeclareReport:
    """Declare every matched, not yet declared order (export and import); messages are signed
    with ``signer`` when given (CEB.md §5.3).

    With ``limit`` it stops once that many orders were examined (``report.more`` says whether
    any are left, ``report.cursor`` where to go on: ``after=cursor, count_already=False``), so
    that an edge can commit chunk by chunk instead of holding one write transaction for all. With
    ``order_keys`` only those orders (a partition's share on the bus, docs/decisions/0015).
    ``xsd_sample``: the share of the messages also validated against the official XSD (every
    field is checked against the XSD's facets by the codec anyway; ``Settings.xsd_check_share``)."""
    options = Options(
        trade_mode,
        agent_code,
        profile or builders.default_profile(),
        at or datetime.now(UTC),
        signer,
        risk_limits,
        xsd_sample,
    )
    report = DeclareReport(cursor=after)
    if count_already:
        already = repository.count_matched_declared(session, seller_code)  # reported, not read again
        report.orders += already
        report.already += already
    examined = 0
    while True:
        results = repository.matched_undeclared(
            session, after=report.cursor, limit=SELECTION, seller_code=seller_code, order_keys=order_keys
        )
        if not results:
            report.more = False
            break
        report.cursor = results[-1].id
        examined += len(results)
        _declare_batch(session, results, report, options)
        if progress:
            progress(report.orders, None)
        if limit is not None and examined >= limit:
            report.more = len(results) == SELECTION
            break
    if report.declared or report.changed:
        audit.record(
            session, "declare", f"seller:{seller_code or 'all'}",
            {"declared": dict(report.declared), "changed": report.changed, "refused": len(report.refused)},
        )  # fmt: skip
    return report


def _declare_batch(session: Session, results: Sequence[MatchResult], report: DeclareReport, options: Options) -> None:
    made = _build_sets(session, results, report, options)
    fresh = _not_declared_before(session, made, report)
    going, checked = _screen(session, fresh, report, options.risk_limits)
    going = draw_bonded(session, going, report, options.at)
    taxed, assessed = _assess_imports(session, going, report, options.at)
    pending = _pending(taxed)
    held_back = _store_order_sets(session, pending, report, options)
    risk.record_checks(session, checked)  # written after building (one write phase per transaction)
    _lane(session, pending, held_back)
    sent = {m.order.id for m in taxed} - held_back
    unsent = [key for m in going if m.order.id not in sent for key in list_keys(m, "CEB621")]
    warehouse.bonded.void(session, unsent, options.at.astimezone(CHINA).date())
    warehouse.expect_shipments(session, [s for m in taxed if m.order.id in sent for s in shipments_9810(m, options.at)])
    for made_set in taxed:  # assessed, then refused by the builder: it uses none of the quota
        if made_set.order.id in held_back and made_set.order.id in assessed:
            events.publish(
                session, tax_schemas.ImportOrderVoided(made_set.platform, str(made_set.order.head.get("orderNo") or ""))
            )


def _build_sets(
    session: Session, results: Sequence[MatchResult], report: DeclareReport, options: Options
) -> list[Made]:
    """Each matched order's declaration set by the pure builders; counted, skipped (declared, or
    refused by tax before and unchanged) or refused with the builder's reason."""
    ids = {i for r in results for i in (r.order_doc_id, r.waybill_doc_id, r.payment_doc_id) if i}
    docs = intake.documents_by_ids(session, ids)
    declared_orders = repository.declared_orders(session, [r.order_doc_id for r in results])
    by_seller: dict[str, list[MatchResult]] = {}
    for r in results:
        by_seller.setdefault(r.seller_code, []).append(r)
    parties: dict[str, builders.Party] = {}
    out: list[Made] = []
    for seller, group in by_seller.items():
        out.extend(_build_seller_sets(session, seller, group, docs, declared_orders, parties, report, options))
    return out


def _party(session: Session, code: str, known: dict[str, builders.Party]) -> builders.Party:
    if code not in known:
        e = partners.find_enterprise(session, code)
        known[code] = builders.Party(code, e.name if e else code)
    return known[code]


def _build_seller_sets(
    session: Session,
    seller: str,
    group: list[MatchResult],
    docs: dict[int, Document],
    declared_orders: set[int],
    parties: dict[str, builders.Party],
    report: DeclareReport,
    options: Options,
) -> list[Made]:
    skus = [str(ln.get("itemNo")) for r in group for ln in docs[r.order_doc_id].lines if "kind" not in ln]
    products = {
        sku: builders.ProductInfo(p.hs_code, p.name, p.unit1, p.unit2, p.origin_country)
        for sku, p in catalogue.confirmed_products(session, seller, skus).items()
    }
    agent = _party(session, options.agent_code or seller, parties)
    imports = {
        str(docs[r.order_doc_id].order_no): docs[r.order_doc_id].received_at
        for r in group
        if r.kind == "import" and r.order_doc_id not in declared_orders
    }
    held = tax.refused_orders(session, seller, imports) if imports else set()
    export_date = options.at.astimezone(CHINA).date().strftime("%Y%m%d")
    out: list[Made] = []
    for r in group:
        report.orders += 1
        order = docs[r.order_doc_id]
        if r.order_doc_id in declared_orders:
            report.already += 1
            continue
        if r.kind == "import" and str(order.order_no) in held:
            report.held += 1
            continue
        waybill, payment = docs.get(r.waybill_doc_id or 0), docs.get(r.payment_doc_id or 0)
        try:
            made = _build_one(session, r.kind, order, waybill, payment, products, agent, parties, export_date, options)
        except CbecError as exc:
            report.refused.append({"order": order.doc_key, **exc.as_dict()})
            continue
        out.append(Made(seller, order, waybill, payment, made))
    return out


def _doc(d: Document) -> builders.DocIn:
    return builders.DocIn(d.id, d.head, d.lines)


def _build_one(
    session: Session,
    kind: str,
    order: Document,
    waybill: Document | None,
    payment: Document | None,
    products: dict[str, builders.ProductInfo],
    agent: builders.Party,
    parties: dict[str, builders.Party],
    export_date: str,
    options: Options,
) -> builders.Declared:
    assert waybill is not None  # a matched order has its waybill
    if kind == "export":
        logistics = _party(session, str(waybill.head.get("logisticsCode")), parties)
        return builders.export_declaration(
            _doc(order),
            _doc(waybill),
            products,
            trade_mode=options.trade_mode,
            agent=agent,
            logistics=logistics,
            profile=options.profile,
            export_date=export_date,
        )
    assert payment is not None  # a matched import has its payment
    return builders.import_declaration(
        _doc(order),
        _doc(payment),
        _doc(waybill),
        products,
        trade_mode="9610" if options.trade_mode not in ("9610", "1210") else options.trade_mode,
        agent=agent,
        assure=agent,
        profile=options.profile,
        declared_on=export_date,
    )


def _not_declared_before(session: Session, made: list[Made], report: DeclareReport) -> list[Made]:
    """Sets not declared before go on as they are. A new version of an order already declared
    carries the same numbers: what it needs depends on its list at customs (rules.change_route):
    sent as its next revision (order, payment and waybill as changes, appType 2; the list under
    a revised copNo) when customs holds no list of it, else counted and explained in
    ``report.changes`` (cancel first, wait, or closed), never declared twice; the buyer's ledger
    keeps the amount of the version declared until then."""
    keys = {(m, key[:60]) for one in made for m, items in one.declared.entities.items() for key, _ in items}
    existing = repository.existing_cop_nos(session, keys) if keys else set()
    changed = [
        one
        for one in made
        if any((m, key[:60]) in existing for m, items in one.declared.entities.items() for key, _ in items)
    ]
    lists = repository.lists_of_orders(session, {_order_key(one) for one in changed}, LIST_MESSAGES)
    fresh = [one for one in made if not any(one is c for c in changed)]
    for one in changed:
        revision, latest = latest_lists(lists.get(_order_key(one), []))
        route = change_route([state for state, _, _ in latest])
        if route is ChangeRoute.MODIFY:
            try:
                declared = builders.revised(one.declared, revision + 1, existing, LIST_MESSAGES)
            except CbecError as exc:
                report.refused.append({"order": one.order.doc_key, **exc.as_dict()})
                continue
            fresh.append(Made(one.seller, one.order, one.waybill, one.payment, declared))
            report.changed += 1
            continue
        report.already += 1
        zh, en = CHANGE_TEXT[route]
        report.changes.append(
            {
                "order": one.order.doc_key,
                "order_no": str(one.order.order_no),
                "route": route.value,
                "lists": [{"id": i, "invt_no": invt, "status": state.value} for state, invt, i in latest],
                "message_zh": zh,
                "message_en": en,
            }
        )
    return fresh


def _order_key(one: Made) -> tuple[str, str]:
    return str(one.order.head.get("ebpCode") or ""), str(one.order.order_no or "")


def _screen(
    session: Session, made: list[Made], report: DeclareReport, limits: RiskThresholds | None
) -> tuple[list[Made], risk.Checked]:
    """Risk rules before tax (RULES.md §7.1): an import not on the positive list is refused; a
    price outlier is a query (kept, the order goes on, its list's lane sees it); an import with
    an open hit waits for a person."""
    checked = risk.check_lines(session, lines_to_check(session, made))
    report.risk_hits += checked.hits
    for m in made:
        if m.order.id in checked.refused:
            report.refused.append({"order": m.order.doc_key, **checked.refused[m.order.id].as_dict()})
    made = [m for m in made if m.order.id not in checked.refused]
    screening = risk.screen_imports(
        session, [_to_screen(m) for m in made if m.declared.direction == "import"], limits=limits
    )
    report.risk_hits += screening.hits
    going = []
    for m in made:
        if m.order.id in screening.held:
            report.held_for_review += 1
        elif m.order.id in screening.refused:
            report.refused_in_review += 1
        else:
            going.append(m)
    return going, checked


def lines_to_check(session: Session, made: list[Made]) -> list[LineToCheck]:
    """Every goods line of the orders' lists, with the catalogue's suggestion for its SKU."""
    skus: dict[str, set[str]] = {}
    for m in made:
        for message in LIST_MESSAGES:
            for _, entity in m.declared.entities.get(message, []):
                skus.setdefault(m.seller, set()).update(str(ln.get("itemNo") or "") for ln in entity.lines)
    suggestions = {seller: catalogue.suggestions_of(session, seller, sorted(s)) for seller, s in skus.items()}
    return [ln for m in made for ln in _lines_to_check(m, suggestions.get(m.seller, {}))]


def _lines_to_check(m: Made, suggested: dict[str, tuple[str, float]]) -> list[LineToCheck]:
    """The goods lines of an order's list(s), as the price, positive-list and HS rules read them."""
    head = m.order.head
    out = []
    for message in LIST_MESSAGES:
        for _, entity in m.declared.entities.get(message, []):
            for ln in entity.lines:
                price, sku = ln.get("price"), str(ln.get("itemNo") or "")
                hint = suggested.get(sku)
                out.append(
                    LineToCheck(
                        order_doc_id=m.order.id,
                        seller_code=m.seller,
                        ebp_code=str(head.get("ebpCode") or ""),
                        order_no=str(m.order.order_no or ""),
                        direction=m.declared.direction,
                        sku=sku,
                        gcode=str(ln.get("gcode") or ""),
                        origin=str(ln.get("country") or "") if m.declared.direction == "import" else "CN",
                        currency=str(ln.get("currency") or ""),
                        price=price if isinstance(price, Decimal) else Decimal(0),
                        suggested=hint[0] if hint else None,
                        suggested_score=hint[1] if hint else None,
                    )
                )
    return out


def _lane(session: Session, pending: dict[str, Pending], held_back: set[int | None]) -> None:
    """Every list stored gets its risk lane (ASYCUDA selectivity, cbec.risk.lanes); the sandbox
    customs reads it."""
    lists = [
        ListToLane(d.cop_no, message, d.direction, d.seller_code, d.order_doc_id)
        for message in LIST_MESSAGES
        for d, _ in pending.get(message, [])
        if d.order_doc_id not in held_back
    ]
    if lists:
        risk.assign_lanes(session, lists)


def _to_screen(m: Made) -> ImportToScreen:
    """An import order as the risk rules read it."""
    head, pay_head = m.order.head, m.payment.head if m.payment is not None else {}
    return ImportToScreen(
        order_doc_id=m.order.id,
        seller_code=m.seller,
        ebp_code=str(head.get("ebpCode") or ""),
        order_no=str(m.order.order_no or head.get("orderNo") or ""),
        buyer_id_number=str(head.get("buyerIdNumber") or ""),
        telephone=str(head.get("consigneeTelephone") or ""),
        address=str(head.get("consigneeAddress") or ""),
        order_time=str(head.get("orderTime") or ""),
        pay_time=str(pay_head.get("payTime") or ""),
        received_at=m.order.received_at,
        goods_value=head.get("goodsValue"),
        freight=head.get("freight"),
        insured_fee=head.get("insuredFee"),
    )


def import_order_for_tax(order: Document, declared: builders.Declared, on: datetime) -> ImportOrder:
    """The order as the tax rules read it: the head's amounts and buyer, and every goods line of
    its list(s) with the HS code and units the declaration carries; a line's second quantity and
    unit come from the order line when the list has none (the catalogue knows no second legal
    unit, but the price-per-ml rule of high-end cosmetics needs the content, 财税〔2016〕103号)."""
    head = order.head
    given = {ln.get("gnum"): ln for ln in order.lines if ln.get("qty2") not in (None, "")}
    lines = []
    for _, entity in declared.entities.get("CEB621", []):
        for ln in entity.lines:
            source = given.get(ln.get("gnum"), {})
            qty2, unit2 = ln.get("qty2"), ln.get("unit2")
            if qty2 in (None, ""):
                qty2, unit2 = source.get("qty2"), source.get("unit2")
            lines.append(
                ImportLine(
                    gnum=int(ln["gnum"]),
                    gcode=str(ln["gcode"]),
                    qty=Decimal(str(ln["qty"])),
                    unit=str(ln["unit"]),
                    price=Decimal(str(ln["price"])),
                    qty2=None if qty2 in (None, "") else Decimal(str(qty2)),
                    unit2=None if unit2 in (None, "") else unit_code(str(unit2)),
                    qty1=None if ln.get("qty1") in (None, "") else Decimal(str(ln["qty1"])),
                    unit1=None if ln.get("unit1") in (None, "") else unit_code(str(ln["unit1"])),
                )
            )
    return ImportOrder(
        order_no=str(head.get("orderNo") or ""),
        on=on.astimezone(CHINA).date(),
        buyer_id_number=str(head.get("buyerIdNumber") or "").upper(),
        lines=tuple(lines),
        freight=Decimal(str(head.get("freight") or 0)),
        insured_fee=Decimal(str(head.get("insuredFee") or 0)),
        discount=Decimal(str(head.get("discount") or 0)),
        trade_mode=declared.trade_mode,
    )


def _assess_imports(
    session: Session, made: list[Made], report: DeclareReport, at: datetime
) -> tuple[list[Made], set[int]]:
    """The imports' tax first: the tax rules and the buyer's annual ledger decide before customs
    sees an order; over 5,000 an order or 26,000 a year it is refused here, not sent
    (财关税〔2018〕49号); the assessment is stored beside the declarations. Returns the orders
    that go on and the import orders assessed."""
    imports = [m for m in made if m.declared.direction == "import"]
    to_tax = [
        tax_schemas.ImportToAssess(import_order_for_tax(m.order, m.declared, at), m.seller, m.platform) for m in imports
    ]
    outcomes = dict(
        zip((m.order.id for m in imports), tax.assess_import_orders(session, to_tax) if to_tax else [], strict=True)
    )
    going, assessed = [], set()
    for m in made:
        outcome = outcomes.get(m.order.id)
        if isinstance(outcome, CbecError):
            report.refused.append({"order": m.order.doc_key, **outcome.as_dict()})
            continue
        if outcome is not None:
            assessed.add(m.order.id)
        going.append(m)
    return going, assessed


def _total(entity: Entity) -> Decimal | None:
    totals = [t for ln in entity.lines if isinstance(t := ln.get("totalPrice"), Decimal)]
    if totals and len(totals) == len(entity.lines):
        return sum(totals, Decimal(0))
    value = entity.head.get("goodsValue")
    return value if isinstance(value, Decimal) else None


def _pending(made: list[Made]) -> dict[str, Pending]:
    """The declarations to build, by message type, each beside its entity."""
    pending: dict[str, Pending] = {}
    for m in made:
        for message, items in m.declared.entities.items():
            for key, entity in items:
                d = Declaration(
                    message_type=message,
                    direction=m.declared.direction,
                    trade_mode=m.declared.trade_mode if message in LIST_MESSAGES else "",
                    cop_no=key[:60],
                    guid="",
                    seller_code=m.seller,
                    ebp_code=str(m.order.head.get("ebpCode") or ""),
                    order_no=str(m.order.order_no or ""),
                    logistics_no=str((m.waybill.logistics_no if m.waybill else "") or ""),
                    country=str(m.order.country or ""),
                    currency=str(m.order.currency or ""),
                    total_value=_total(entity),
                    order_doc_id=m.order.id,
                    waybill_doc_id=m.waybill.id if m.waybill else None,
                    payment_doc_id=m.payment.id if m.payment else None,
                    entity={},
                    status=State.QUEUED.value,
                )
                pending.setdefault(message, []).append((d, Entity(entity.head, entity.lines)))
    return pending


def _store_order_sets(
    session: Session, pending: dict[str, Pending], report: DeclareReport, options: Options
) -> set[int | None]:
    """An order's declarations go out together or not at all: when the builder refuses any one
    of them (order, waybill, payment or list), the order's others are held back too. Returns the
    order documents held back."""
    refused_orders: dict[int | None, tuple[str, ValidationFailed]] = {}
    attempts: dict[str, Built] = {}
    for message, queued in pending.items():
        built, refused = _try_build(session, message, queued, options)
        attempts[message] = built
        for d, exc in refused:
            refused_orders.setdefault(d.order_doc_id, (message, exc))
    for doc_id, (message, exc) in refused_orders.items():
        order_no = next((d.order_no for q in pending.values() for d, _ in q if d.order_doc_id == doc_id), "")
        report.refused.append({"order": order_no, "message": message, **exc.as_dict()})
    for message, built in attempts.items():
        # only the messages that carried a held-back order's declaration are built again
        to_store = _without(session, message, built, set(refused_orders), options) if refused_orders else built
        store_messages(session, message, to_store, report, at=options.at)
    return set(refused_orders)


def _try_build(
    session: Session, message: str, items: Pending, options: Options
) -> tuple[Built, list[tuple[Declaration, ValidationFailed]]]:
    return try_build(session, message, items, at=options.at, signer=options.signer, xsd_sample=options.xsd_sample)


def _without(session: Session, message: str, built: Built, held: set[int | None], options: Options) -> Built:
    rebuilt: Built = []
    for chunk, msg in built:
        kept = [(d, e) for d, e in chunk if d.order_doc_id not in held]
        if len(kept) == len(chunk):
            rebuilt.append((chunk, msg))
        elif kept:
            rebuilt.extend(_try_build(session, message, kept, options)[0])
    return rebuilt
