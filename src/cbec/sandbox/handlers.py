"""Customs' answer to each kind of declaration, one handler a message type, over the sandbox's
store; and the numbers customs gives (preNo, invtNo, receipt guids), reproducible from the seed."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cbec.ceb.messages import (
    Entity,
    MessageSpec,
)
from cbec.ceb.messages.codec import CHINA_TIME
from cbec.sandbox.repository import DocKey, Store
from cbec.sandbox.rules import (
    DUPLICATE_DOCUMENT,
    DUPLICATE_GNUM,
    DUPLICATE_LIST,
    DUPLICATE_ORDER,
    DUPLICATE_PAYMENT,
    INSPECTED_LIST_WALK,
    LANE_WALKS,
    LIST_WALK,
    REFUSED,
    RESULT,
    WAYBILL_EXISTS,
    dec,
    digest,
    duplicate_gnums,
    error,
    join_key,
    list_problems,
    order_problems,
    retail_limit,
    side_of,
    stored,
)
from cbec.sandbox.schemas import Answer, Doc
from cbec.tax.rates import tax_tables
from cbec.tax.rules import limit_value


def _order_day(app_time: object) -> date | None:
    """The day of an order's appTime (YYYYMMDDhhmmss), or None when it has none."""
    text = str(app_time or "")[:8]
    try:
        return datetime.strptime(text, "%Y%m%d").date() if len(text) == 8 else None  # noqa: DTZ007 - a calendar day
    except ValueError:
        return None


class Numbering:
    """Time and numbers of the sandbox customs: every time from its clock, every number and guid
    from the seed and counters kept in its store."""

    state: Store
    seed: int
    inspection_rate: float
    #: (side I/E, copNo) → the list's risk lane, or None (see ``SandboxCustoms``)
    lanes: Callable[[str, str], str | None] | None
    _now: datetime
    #: the text of ``_now`` (yyyyMMddHHmmssSSS), computed once a step
    _t17_cache: tuple[datetime, str] | None = None

    # --- time, numbers, guids ------------------------------------------------------------------

    @staticmethod
    def _china(value: datetime) -> datetime:
        return value.astimezone(CHINA_TIME).replace(tzinfo=None) if value.tzinfo is not None else value

    def _t17(self) -> str:
        now, cached = self._now, self._t17_cache
        if cached is not None and cached[0] is now:  # the clock is read once a step
            return cached[1]
        text = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
        self._t17_cache = (now, text)
        return text

    def _day(self) -> str:
        return self._t17()[:8]

    def _guid(self) -> str:
        """A receipt guid from the seed and a counter kept in the state: reproducible, restart-safe."""
        n = self.state.next("guid")
        raw = hashlib.sha256(f"{self.seed}:guid:{n}".encode()).digest()[:16]
        return str(uuid.UUID(bytes=raw, version=4)).upper()

    def _chance(self, purpose: str, ref: str) -> float:
        raw = hashlib.sha256(f"{self.seed}:{purpose}:{ref}".encode()).digest()[:8]
        return int.from_bytes(raw, "big") / 2**64

    def _pre_no(self, prefix: str) -> str:
        """电子口岸编号: 1 letter + YYYYMMDD + 9-digit serial (CEB.md §3.2)."""
        return f"{prefix}{self._day()}{self.state.next(f'preNo:{prefix}:{self._day()}'):09d}"

    def _invt_no(self, customs_code: str, side: str) -> str:
        """清单编号: 4-digit customs office + 4-digit year + I/E + 9-digit serial = 18 (CEB.md §3.2)."""
        year = self._now.strftime("%Y")
        serial = self.state.next(f"invtNo:{customs_code}:{year}:{side}")
        return f"{customs_code}{year}{side}{serial:09d}"


class MessageHandlers(Numbering):
    # --- handlers: one per kind of declaration ---------------------------------------------------

    def _accepted(self, head: Mapping[str, Any], **kwargs: Any) -> Answer:
        verb = {"2": "变更", "3": "删除"}.get(str(head.get("appType")), "新增")
        return Answer(2, f"{verb}申报成功[{head.get('guid')}]", **kwargs)

    def _is_listed(self, side: str, ebp_code: str, order_no: str) -> bool:
        return any(
            d.state == "active" and d.head.get("ebpCode") == ebp_code and d.head.get("orderNo") == order_no
            for d in self.state.lists(side)
        )

    def _change(self, side: str, kind: str, key: str, head: Mapping[str, Any], what: str) -> Answer | None:
        """appType 2 (change) or 3 (delete) of an order, payment or waybill: it must exist and
        no active list may rest on it."""
        existing = self.state.get(side, kind, key)
        if existing is None:
            return Answer(REFUSED, f"海关退单：要变更或删除的{what}海关未收到（{key}）")
        order_ref = (head.get("ebpCode"), head.get("orderNo"))
        if kind == "order" and self._is_listed(side, str(order_ref[0]), str(order_ref[1])):
            return Answer(REFUSED, f"海关退单：{what}已有申报清单，不能变更或删除（{key}）")
        return None

    def _order(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        head, side = entity.head, side_of(spec)
        key = join_key(head.get("ebpCode"), head.get("orderNo"))
        app_type = str(head.get("appType"))
        existing = self.state.get(side, "order", key)
        if app_type == "1" and existing is not None:
            return Answer(*error(DUPLICATE_ORDER, f"ebpCode={head.get('ebpCode')} orderNo={head.get('orderNo')}"))
        if app_type != "1" and (refused := self._change(side, "order", key, head, "电子订单")):
            return refused
        problems = order_problems(head, entity.lines, is_import=side == "I")
        if problems:
            return Answer(REFUSED, "海关退单：" + "；".join(problems))
        if app_type == "3":
            self.state.delete(side, "order", key)
        else:
            data = stored(head, entity.lines)
            data["buyer"] = digest(head.get("buyerIdNumber"))
            data["consignee"] = digest(
                head.get("consignee"), head.get("consigneeTelephone"), head.get("consigneeAddress")
            )
            self.state.put(Doc(side, "order", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17()))
        return self._accepted(head, plan=("120",), kind="order", doc_key=key)

    def _payment(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        head, side = entity.head, side_of(spec)
        key = join_key(head.get("ebpCode"), head.get("orderNo"))
        tx_key = join_key(head.get("payCode"), head.get("payTransactionId")) if side == "I" else ""
        app_type = str(head.get("appType"))
        if app_type == "1" and (
            self.state.get(side, "payment", key) or (tx_key and self.state.get(side, "payment_tx", tx_key))
        ):
            detail = f"ebpCode={head.get('ebpCode')} orderNo={head.get('orderNo')}"
            if tx_key:
                detail += f" payCode={head.get('payCode')} payTransactionId={head.get('payTransactionId')}"
            return Answer(*error(DUPLICATE_PAYMENT, detail))
        if app_type != "1" and (refused := self._change(side, "payment", key, head, "支付单")):
            return refused
        if app_type == "3":
            self.state.delete(side, "payment", key)
            if tx_key:
                self.state.delete(side, "payment_tx", tx_key)
        else:
            data = stored(head)
            data["payer"] = digest(head.get("payerIdNumber"))
            doc = Doc(side, "payment", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17())
            self.state.put(doc)
            if tx_key:
                self.state.put(Doc(side, "payment_tx", tx_key, spec.code, doc.guid, 2, {"order": key}))
        return self._accepted(head, plan=("120",), kind="payment", doc_key=key)

    def _waybill(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        head, side = entity.head, side_of(spec)
        key = join_key(head.get("logisticsCode"), head.get("logisticsNo"))
        app_type = str(head.get("appType"))
        if app_type == "1" and self.state.get(side, "waybill", key) is not None:
            return Answer(
                *error(
                    WAYBILL_EXISTS, f"logisticsCode={head.get('logisticsCode')} logisticsNo={head.get('logisticsNo')}"
                )
            )
        if app_type != "1" and (refused := self._change(side, "waybill", key, head, "物流运单")):
            return refused
        if app_type == "3":
            self.state.delete(side, "waybill", key)
        else:
            data = stored(head)
            data["consignee"] = digest(
                head.get("consignee"), head.get("consigneeTelephone"), head.get("consigneeAddress")
            )
            self.state.put(
                Doc(side, "waybill", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17())
            )
        return self._accepted(head, plan=("120",), kind="waybill", doc_key=key)

    def _waybill_status(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        head = entity.head
        key = join_key(head.get("logisticsCode"), head.get("logisticsNo"))
        if self.state.get("I", "waybill", key) is None:
            return Answer(
                REFUSED,
                f"海关退单：海关未收到物流运单 logisticsCode={head.get('logisticsCode')} logisticsNo={head.get('logisticsNo')}",
            )
        # CEB514's annotation lists 2/3/4/100/399: no 120 for a delivery status.
        return self._accepted(head, plan=("399",), kind="status", doc_key=key)

    def _filing(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        """Arrival 507, departure 509, master bill 607, site entry 711, returned-parcel tally 215:
        unique by copNo (coElNo for 215); 2, then 399 (their receipts' annotations) or 120 for 711.
        A departure naming a parcel that never arrived (no 507) is refused."""
        head, side = entity.head, side_of(spec)
        number = head.get("coElNo") if spec.code == "CEB215" else head.get("copNo")
        key = join_key(spec.code, number or head.get("guid"))
        if str(head.get("appType")) == "1" and self.state.get(side, "filing", key) is not None:
            return Answer(*error(DUPLICATE_DOCUMENT, f"{spec.code} {spec.title_zh} {number}"))
        parcels = [str(line.get("logisticsNo") or "") for line in entity.lines]
        if spec.code == "CEB509":  # a parcel leaves only after it arrived at the site (运抵 before 离境)
            missing = [n for n in parcels if self.state.get(side, "arrival", n) is None]
            if missing:
                shown = "、".join(missing[:5]) + ("…" if len(missing) > 5 else "")
                return Answer(REFUSED, f"海关退单：{len(missing)} 个运单未办理运抵（CEB507）：{shown}")
        if spec.code in ("CEB507", "CEB711"):
            for n in parcels:
                self.state.put(Doc(side, "arrival", n, spec.code, str(head.get("guid")), 2, {"filing": key}))
        self.state.put(
            Doc(side, "filing", key, spec.code, str(head.get("guid")), 2, stored(head), received_at=self._t17())
        )
        return self._accepted(head, plan=("120",) if spec.code == "CEB711" else ("399",), kind="filing", doc_key=key)

    def _list(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        head, lines, side = entity.head, entity.lines, side_of(spec)
        cop_no = str(head.get("copNo") or "")
        key = cop_no or f"guid:{head.get('guid')}"
        existing = self.state.get(side, "list", key)
        if str(head.get("appType")) != "1":
            if existing is None:
                return Answer(REFUSED, f"海关退单：要变更或删除的清单海关未收到（copNo={cop_no}）")
            return Answer(REFUSED, "海关退单：海关已接收的清单不能变更或删除，请申报撤销申请单（CEB605/CEB623）")
        if existing is not None:
            return Answer(*error(DUPLICATE_LIST, f"copNo={cop_no}"))
        repeated = duplicate_gnums(lines)
        if repeated:
            return Answer(*error(DUPLICATE_GNUM, ", ".join(map(str, repeated))))
        order = self.state.get(side, "order", join_key(head.get("ebpCode"), head.get("orderNo")))
        waybill = self.state.get(side, "waybill", join_key(head.get("logisticsCode"), head.get("logisticsNo")))
        missing = []
        if order is None:
            missing.append(f"电子订单（ebpCode={head.get('ebpCode')}, orderNo={head.get('orderNo')}）")
        if waybill is None:
            missing.append(
                f"物流运单（logisticsCode={head.get('logisticsCode')}, logisticsNo={head.get('logisticsNo')}）"
            )
        if order is None or waybill is None:
            return Answer(REFUSED, f"海关退单：海关未收到对应的{'、'.join(missing)}")
        payment = self.state.get(side, "payment", join_key(head.get("ebpCode"), head.get("orderNo")))
        is_import = side == "I"
        problems = list_problems(
            head,
            lines,
            order.head,
            is_import=is_import,
            order_gnums=[int(line.get("gnum") or 0) for line in order.lines],
            buyer_matches=digest(head.get("buyerIdNumber")) == order.data.get("buyer"),
            consignee_matches=waybill.data.get("consignee") == order.data.get("consignee"),
            amount_paid=dec(payment.head.get("amountPaid")) if is_import and payment is not None else None,
        )
        if problems:
            return Answer(REFUSED, "海关退单：" + "；".join(problems))
        data = stored(head, lines)
        if is_import:
            value = limit_value(
                dec(order.head.get("goodsValue")),
                dec(order.head.get("freight")),
                dec(head.get("insuredFee")),
                basis=tax_tables().policy.limit_value,
            )
            is_single_item = len(lines) == 1 and dec(lines[0].get("qty")) == 1
            buyer = str(order.data.get("buyer"))
            on = _order_day(order.head.get("appTime")) or self._now.date()
            year = on.year
            refused = retail_limit(
                value, is_single_item=is_single_item, year_total=self.state.year_total(buyer, year), on=on
            )
            if refused is not None:
                return Answer(*refused)
            self.state.count_quota(key, buyer, year, value)
            data |= {"buyer": buyer, "year": year, "value": str(value)}
        doc = Doc(side, "list", key, spec.code, str(head.get("guid")), 2, data, pre_no=str(fixed.get("preNo", "")))
        doc.received_at = self._t17()
        self.state.put(doc)
        return self._accepted(head, plan=self._list_walk(side, cop_no, head), kind="list", doc_key=key)

    def _list_walk(self, side: str, cop_no: str, head: Mapping[str, Any]) -> tuple[str, ...]:
        """The platform's risk lane when it has one (red: inspection 500; yellow: document check
        300), else the sandbox's own random inspection at ``inspection_rate``."""
        lane = self.lanes(side, cop_no) if self.lanes is not None and cop_no else None
        if lane in LANE_WALKS:
            return LANE_WALKS[lane]
        inspected = self._chance("inspection", str(head.get("guid"))) < self.inspection_rate
        return INSPECTED_LIST_WALK if inspected else LIST_WALK

    def _target_list(self, side: str, head: Mapping[str, Any], what: str) -> tuple[Doc | None, Answer | None]:
        invt_no = str(head.get("invtNo") or "")
        target = self.state.by_invt_no(side, invt_no)
        if target is None:
            return None, Answer(REFUSED, f"海关退单：{what}的清单编号 {invt_no} 海关未找到")
        if target.state != "active":
            done = "已撤销" if target.state == "void" else "已退货"
            return None, Answer(REFUSED, f"海关退单：清单 {invt_no} {done}")
        if target.hold:
            return None, Answer(REFUSED, f"海关退单：清单 {invt_no} 已有撤销或退货申请在办理")
        if head.get("ebcCode") and head.get("ebcCode") != target.head.get("ebcCode"):
            return None, Answer(REFUSED, f"海关退单：{what}的电商企业与清单 {invt_no} 不一致")
        return target, None

    def _cancel(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        """撤销申请 (605/623) of a list customs accepted and has not closed (899): 2, then 399 and
        the list is void; an import list's amount goes back to the buyer's year."""
        head, side = entity.head, side_of(spec)
        target, refused = self._target_list(side, head, "撤销申请")
        if refused is not None or target is None:
            return refused or Answer(REFUSED, "海关退单")
        if target.status == 899:
            return Answer(REFUSED, f"海关退单：清单 {target.invt_no} 已结关，不能撤销，请申报退货申请单")
        key = join_key(spec.code, head.get("copNo") or head.get("guid"))
        self.state.put(
            Doc(side, "cancel", key, spec.code, str(head.get("guid")), 2, {"list": target.key}, received_at=self._t17())
        )
        target.hold = key
        self.state.put(target)
        self.state.set_walk(side, "list", target.key, frozen=True)
        return self._accepted(head, plan=("399",), kind="cancel", doc_key=key)

    def _refund(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        """退货申请 (213 export, 625 import) of a released list: lines of the list, quantities not
        above the list's (CEB.md §5.1 import 9). Import: 2 → 120 → 399 (626 annotation), the
        returned goods' value back to the buyer's year; export: 2 → 120 → 800 (214 annotation)."""
        head, side = entity.head, side_of(spec)
        target, refused = self._target_list(side, head, "退货申请")
        if refused is not None or target is None:
            return refused or Answer(REFUSED, "海关退单")
        if target.status not in (800, 899):
            return Answer(REFUSED, f"海关退单：清单 {target.invt_no} 未放行，不能退货")
        number = head.get("coElNo") if spec.code == "CEB213" else head.get("copNo")
        key = join_key(spec.code, number or head.get("guid"))
        if self.state.get(side, "refund", key) is not None:
            return Answer(*error(DUPLICATE_DOCUMENT, f"{spec.code} {spec.title_zh} {number}"))
        original = {int(line.get("gnum") or 0): line for line in target.lines}
        problems, value = [], Decimal(0)
        for line in entity.lines:
            gnum = int(line.get("gnum") or 0)
            before = original.get(gnum)
            if before is None:
                problems.append(f"第{gnum}项不在原清单中")
            elif dec(line.get("qty")) > dec(before.get("qty")):
                problems.append(f"第{gnum}项退货数量 {line.get('qty')} 超过原清单数量 {before.get('qty')}")
            else:
                value += dec(line.get("qty")) * dec(before.get("price"))
        if problems:
            return Answer(REFUSED, "海关退单：" + "；".join(problems))
        whole = all(
            any(int(r.get("gnum") or 0) == g and dec(r.get("qty")) >= dec(ln.get("qty")) for r in entity.lines)
            for g, ln in original.items()
        )
        data = {"list": target.key, "value": None if whole else str(value)}
        self.state.put(Doc(side, "refund", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17()))
        target.hold = key
        self.state.put(target)
        self.state.set_walk(side, "list", target.key, frozen=True)
        plan = ("120", "800") if side == "E" else ("120", "399")
        return self._accepted(head, plan=plan, kind="refund", doc_key=key)

    def _summary(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> Answer:
        """汇总申请 (701): released export lists with statisticsFlag B of the same consignor, not
        summarised before. With startTime/endTime the list body is ignored (CEB.md §3.1) and the
        lists whose ieDate falls in the period are taken. 2 → 120 (sumNo) → CEB792."""
        head = entity.head
        cop_no = str(head.get("copNo"))
        key = join_key("CEB701", cop_no)
        if str(head.get("appType")) == "1" and self.state.get("E", "summary", key) is not None:
            return Answer(*error(DUPLICATE_DOCUMENT, f"CEB701 汇总申请单 {cop_no}"))
        ebc = head.get("ebcCode")

        def usable(doc: Doc) -> str:
            if doc.state != "active" or doc.status not in (800, 899):
                return "未放行或已撤销"
            if doc.head.get("statisticsFlag") != "B":
                return "不是汇总申报（statisticsFlag B）清单"
            if doc.head.get("ebcCode") != ebc:
                return "电商企业不一致"
            if doc.summary:
                return f"已汇总（{doc.summary}）"
            return ""

        start, end = str(head.get("startTime") or ""), str(head.get("endTime") or "")
        chosen: list[Doc] = []
        if start and end:
            chosen = [
                d
                for d in self.state.lists("E")
                if not usable(d) and start[:8] <= str(d.head.get("ieDate", "")) <= end[:8]
            ]
            if not chosen:
                return Answer(REFUSED, f"海关退单：{start[:8]}–{end[:8]} 期间没有可汇总的清单")
        else:
            problems = []
            for line in entity.lines:
                invt_no = str(line.get("invtNo"))
                doc = self.state.by_invt_no("E", invt_no)
                why = "海关未找到" if doc is None else usable(doc)
                if why:
                    problems.append(f"清单 {invt_no} {why}")
                elif doc is not None:
                    chosen.append(doc)
            if problems:
                return Answer(REFUSED, "海关退单：" + "；".join(problems))
        for doc in chosen:
            doc.summary = cop_no
            self.state.put(doc)
        data = stored(head) | {"lists": [d.key for d in chosen]}
        self.state.put(Doc("E", "summary", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17()))
        return self._accepted(head, plan=("120", RESULT), kind="summary", doc_key=key)

    # --- walks ------------------------------------------------------------------------------------


def prefetch_keys(spec: MessageSpec, entities: Sequence[Entity]) -> list[DocKey]:
    """The documents the handler of ``spec`` reads for these entities, to read them in one
    statement a kind (``Store.prefetch``): duplicates of orders, payments and waybills; a list's
    own copNo, its order, waybill and payment. Others are read one by one."""
    side, code, keys = side_of(spec), spec.code, []
    for entity in entities:
        head = entity.head
        order = join_key(head.get("ebpCode"), head.get("orderNo"))
        if code in ("CEB303", "CEB311"):
            keys.append((side, "order", order))
        elif code in ("CEB403", "CEB411"):
            keys.append((side, "payment", order))
            if side == "I":
                keys.append((side, "payment_tx", join_key(head.get("payCode"), head.get("payTransactionId"))))
        elif code in ("CEB505", "CEB511"):
            keys.append((side, "waybill", join_key(head.get("logisticsCode"), head.get("logisticsNo"))))
        elif code in ("CEB603", "CEB621"):
            keys.append((side, "list", str(head.get("copNo") or "") or f"guid:{head.get('guid')}"))
            keys.append((side, "order", order))
            keys.append((side, "payment", order))
            keys.append((side, "waybill", join_key(head.get("logisticsCode"), head.get("logisticsNo"))))
    return keys


Handler = Callable[[MessageHandlers, MessageSpec, Entity, dict[str, Any]], Answer]

HANDLED: dict[str, Handler] = {
    "CEB303": MessageHandlers._order,
    "CEB311": MessageHandlers._order,
    "CEB403": MessageHandlers._payment,
    "CEB411": MessageHandlers._payment,
    "CEB505": MessageHandlers._waybill,
    "CEB511": MessageHandlers._waybill,
    "CEB513": MessageHandlers._waybill_status,
    "CEB603": MessageHandlers._list,
    "CEB621": MessageHandlers._list,
    "CEB605": MessageHandlers._cancel,
    "CEB623": MessageHandlers._cancel,
    "CEB213": MessageHandlers._refund,
    "CEB625": MessageHandlers._refund,
    "CEB701": MessageHandlers._summary,
    "CEB507": MessageHandlers._filing,
    "CEB509": MessageHandlers._filing,
    "CEB607": MessageHandlers._filing,
    "CEB711": MessageHandlers._filing,
    "CEB215": MessageHandlers._filing,
}
