"""From matched documents to the entities declared to customs. Pure: no database, no clock.

Export (9610, 9710, 9810): the order (CEB303), the waybill (CEB505) and the inventory list
(CEB603) built from both; import (9610 direct, 1210 bonded): CEB311, CEB411, CEB511 and the list
CEB621. The list takes its goods codes (``gcode``), names and legal units from the seller's
confirmed catalogue, never from a guess; a line without a confirmed code stops the declaration
with the reason.

Lists carry at most 100 lines (export) / 99 (import) (XSD maxOccurs); a longer order is split
into several lists with the same orderNo and ``copNo`` suffixes -1, -2 … (CEB.md §2.1).

Field meanings (CEB.md §3.1): list ``country`` is the final destination (export) / origin
(import); ``price`` is the FOB unit price and ``totalPrice`` = qty × price; ``qty1``/``unit1`` the
quantity in the first legal unit; ``barCode`` "无" when there is none; ``ieDate`` the export date.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from cbec.ceb.messages import Entity, export_order_type
from cbec.ceb.schema import EXPORT_XSD, IMPORT_XSD, entity
from cbec.errors import FieldError, RuleViolation

EXPORT_LIST_LINES = 100
IMPORT_LIST_LINES = 99


@dataclass(frozen=True, slots=True)
class Profile:
    """Zone defaults for declarations (customs/data/declaration_profile.json, replaceable)."""

    customs_code: str
    port_code: str
    traf_mode: str
    wrap_type: str
    pod: str
    statistics_flag: str
    default_legal_unit: str
    net_weight_share: Decimal
    ems_no: str = ""
    area_code: str = ""
    area_name: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> Profile:
        text = (
            path.read_text("utf-8")
            if path
            else resources.files("cbec.customs.data").joinpath("declaration_profile.json").read_text("utf-8")
        )
        raw = {k: v for k, v in json.loads(text).items() if not k.startswith("_")}
        raw["net_weight_share"] = Decimal(str(raw["net_weight_share"]))
        return cls(**raw)


@lru_cache(maxsize=1)
def default_profile() -> Profile:
    return Profile.load()


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """What the catalogue says of a SKU: the confirmed code, names and legal units."""

    hs_code: str
    name: str  # Chinese name when known, else the English one
    unit1: str | None = None
    unit2: str | None = None
    origin_country: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class DocIn:
    """A stored document as the builders need it."""

    id: int
    head: Mapping[str, Any]
    lines: Sequence[Mapping[str, Any]] = ()


@dataclass
class Declared:
    """The entities of one order's declaration set, by message type."""

    direction: str
    trade_mode: str
    entities: dict[str, list[tuple[str, Entity]]] = field(default_factory=dict)  # message → [(copNo/key, entity)]

    def add(self, message: str, key: str, value: Entity) -> None:
        self.entities.setdefault(message, []).append((key, value))


def _only(xsd: str, element: str, values: Mapping[str, Any]) -> dict[str, Any]:
    names = entity(xsd, element).by_name
    return {k: v for k, v in values.items() if k in names and v not in (None, "")}


def cop_no(prefix: str, key: str, part: int | None, limit: int) -> str:
    """Our number for a list (企业内部编号): stable for the same order, so declaring it again
    finds the same declaration instead of a second one."""
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest().upper()
    suffix = f"-{part}" if part is not None else ""
    return f"{prefix}{digest[: limit - len(prefix) - len(suffix)]}{suffix}"


_SPLIT = re.compile(r"(.*?)(-\d+)?")
#: a list copNo carries its revision in two characters (R2 … R9) before any split suffix
MAX_REVISION = 9


def _revised_cop_no(cop: str, revision: int) -> str:
    """The copNo of a list's revision: the same length, its last two digest characters (or its
    earlier revision mark) replaced by ``R<n>``, a split part's ``-k`` kept."""
    stem, suffix = _SPLIT.fullmatch(cop).groups("")  # type: ignore[union-attr]
    return f"{stem[:-2]}R{revision}{suffix}"


def revised(
    declared: Declared, revision: int, existing: set[tuple[str, str]], list_messages: frozenset[str]
) -> Declared:
    """A changed order's declaration set as its ``revision`` (rules.change_route said MODIFY):
    what customs already holds (``existing`` (message, key) pairs: the order, payment and
    waybill) goes as a change, appType 2 (CEB.md §4.1), under our key + ``~R<n>``; anything new
    (a different waybill) as new; each list again as new under a copNo that carries the
    revision, since customs keeps a cancelled list's copNo."""
    if revision > MAX_REVISION:
        raise RuleViolation(
            f"this order changed more than {MAX_REVISION - 1} times after declaring; declare it under a new order number",
            f"此订单申报后已变更超过 {MAX_REVISION - 1} 次，请以新订单号申报",
            field="orderNo",
        )
    out = Declared(declared.direction, declared.trade_mode)
    for message, items in declared.entities.items():
        for key, e in items:
            if message in list_messages:
                cop = _revised_cop_no(key, revision)
                out.add(message, cop, Entity({**e.head, "copNo": cop}, e.lines))
            elif (message, key[:60]) in existing:
                out.add(message, f"{key[:56]}~R{revision}", Entity({**e.head, "appType": "2"}, e.lines))
            else:
                out.add(message, key, e)
    return out


def _goods(lines: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [ln for ln in lines if "kind" not in ln or ln.get("kind") in (None, "", "goods")]


def _product(products: Mapping[str, ProductInfo], line: Mapping[str, Any], document: str, gnum: int) -> ProductInfo:
    sku = str(line.get("itemNo") or "")
    info = products.get(sku)
    if info is None or not info.hs_code:
        raise RuleViolation(
            f"SKU {sku} has no confirmed HS code; confirm it in the catalogue before declaring",
            f"SKU {sku} 尚无已确认的商品编码，请先在商品备案中确认",
            field="gcode",
            document=document,
            details=[
                FieldError(
                    "hs_confirmed",
                    "gcode",
                    f"SKU {sku} 无已确认编码",
                    f"SKU {sku} has no confirmed code",
                    document,
                    gnum,
                )
            ],
        )
    return info


def _legal_qty(line: Mapping[str, Any], qty: Decimal, unit: str, unit1: str, document: str) -> Decimal:
    """Quantity in the first legal unit: the line's ``qty1`` when given, the quantity itself when
    the units agree. There is no conversion table between units (e.g. pieces to kilograms), so a
    line whose legal unit differs and that gives no ``qty1`` is refused rather than guessed."""
    given = line.get("qty1")
    if given not in (None, ""):
        return Decimal(str(given))
    if unit1 == unit:
        return qty
    gnum = int(line.get("gnum") or 0)
    raise RuleViolation(
        f"line {gnum}: the first legal unit {unit1} differs from the unit {unit}; give qty1",
        f"第 {gnum} 行：第一法定计量单位 {unit1} 与成交单位 {unit} 不同，请提供 qty1",
        field="qty1",
        document=document,
    )


def _within_line_limit(goods: Sequence[Mapping[str, Any]], limit: int, message: str, document: str) -> None:
    """An order carries at most ``limit`` lines (XSD maxOccurs). Splitting a customer's order
    into several orders and parcels is the seller's decision, so a longer one is refused."""
    if len(goods) > limit:
        raise RuleViolation(
            f"the order has {len(goods)} goods lines; {message} allows {limit}: split it into several orders and parcels",
            f"订单有 {len(goods)} 行商品，{message} 最多 {limit} 行：请拆分为多个订单和包裹",
            field="OrderList",
            document=document,
        )


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


@dataclass(frozen=True, slots=True)
class _ListContext:
    """What every line of one order's list(s) shares."""

    products: Mapping[str, ProductInfo]
    profile: Profile
    document: str


def _line_common(ctx: _ListContext, ln: Mapping[str, Any], n: int) -> tuple[ProductInfo, dict[str, Any]]:
    """A list line's product and the fields export and import lists share."""
    gnum = int(ln.get("gnum") or n)
    info = _product(ctx.products, ln, ctx.document, gnum)
    unit = str(ln.get("unit") or ctx.profile.default_legal_unit)
    unit1 = info.unit1 or ctx.profile.default_legal_unit
    qty = Decimal(str(ln["qty"]))
    return info, {
        "gnum": gnum,
        "itemNo": str(ln.get("itemNo") or "")[:20],
        "itemName": str(ln.get("itemName") or "")[:250],
        "gcode": info.hs_code,
        "gname": (info.name or str(ln.get("itemName") or ""))[:250],
        "qty": qty,
        "qty1": _legal_qty(ln, qty, unit, unit1, ctx.document),
        "unit": unit,
        "unit1": unit1,
        "price": Decimal(str(ln["price"])),
        "totalPrice": Decimal(str(ln["totalPrice"])),
    }


def _export_list_line(ctx: _ListContext, ln: Mapping[str, Any], n: int, country: str, currency: Any) -> dict[str, Any]:
    info, common = _line_common(ctx, ln, n)
    return {
        **common,
        "gmodel": str(ln.get("itemName") or info.name)[:250],
        "barCode": str(ln.get("barCode") or "无"),
        "country": country,
        "currency": str(ln.get("currency") or currency),
    }


def _export_list_head(
    oh: Mapping[str, Any], wh: Mapping[str, Any], *, cop: str, first: bool, trade_mode: str, agent: Party,
    logistics: Party, profile: Profile, export_date: str,
) -> dict[str, Any]:  # fmt: skip
    gross = Decimal(str(wh.get("grossWeight") or "0"))
    return {
        "customsCode": profile.customs_code,
        "ebpCode": oh.get("ebpCode"),
        "ebpName": oh.get("ebpName") or oh.get("ebpCode"),
        "orderNo": oh.get("orderNo"),
        "logisticsCode": logistics.code,
        "logisticsName": logistics.name,
        "logisticsNo": wh.get("logisticsNo"),
        "copNo": cop,
        "ieFlag": "E",
        "portCode": profile.port_code,
        "ieDate": export_date,
        "statisticsFlag": profile.statistics_flag if trade_mode == "9610" else "A",
        "agentCode": agent.code,
        "agentName": agent.name,
        "ebcCode": oh.get("ebcCode"),
        "ebcName": oh.get("ebcName") or oh.get("ebcCode"),
        "ownerCode": oh.get("ebcCode"),
        "ownerName": oh.get("ebcName") or oh.get("ebcCode"),
        "tradeMode": trade_mode,
        "trafMode": profile.traf_mode,
        "country": str(oh.get("destinationCountry") or ""),
        "POD": profile.pod,
        "freight": Decimal(str(oh.get("freight") or 0)) if first else Decimal(0),
        "fCurrency": oh.get("currency"),
        "fFlag": "3",
        "insuredFee": Decimal(str(wh.get("insuredFee") or 0)) if first else Decimal(0),
        "iCurrency": oh.get("currency"),
        "iFlag": "3",
        "wrapType": profile.wrap_type,
        "packNo": int(wh.get("packNo") or 1),
        "grossWeight": gross,
        "netWeight": (gross * profile.net_weight_share).quantize(Decimal("0.00001")),
    }


def export_declaration(
    order: DocIn,
    waybill: DocIn,
    products: Mapping[str, ProductInfo],
    *,
    trade_mode: str,
    agent: Party,
    logistics: Party,
    profile: Profile,
    export_date: str,
) -> Declared:
    """CEB303 + CEB505 + CEB603 list(s) for one matched export order."""
    oh, wh = order.head, waybill.head
    key = f"{oh.get('ebpCode')}|{oh.get('orderNo')}"
    ctx = _ListContext(products, profile, f"CEB603 orderNo={oh.get('orderNo')}")
    out = Declared("export", trade_mode)
    goods = _goods(order.lines)
    _within_line_limit(goods, EXPORT_LIST_LINES, "CEB303", ctx.document)
    order_lines = [_only(EXPORT_XSD, "OrderList", ln) for ln in goods]
    # orderType follows the trade mode: E (9610/1210), B (9710 B2B), W (9810 overseas warehouse),
    # 海关总署公告2021年第47号 (CEB.md §7)
    order_head = {**_only(EXPORT_XSD, "OrderHead", oh), "orderType": export_order_type(trade_mode)}
    out.add("CEB303", key, Entity(order_head, tuple(order_lines)))
    out.add("CEB505", f"{wh.get('logisticsCode')}|{wh.get('logisticsNo')}", Entity(_only(EXPORT_XSD, "Logistics", wh)))
    destination = str(oh.get("destinationCountry") or "")
    parts = _chunks(goods, EXPORT_LIST_LINES)
    for index, part in enumerate(parts, start=1):
        lines = [_export_list_line(ctx, ln, n, destination, oh.get("currency")) for n, ln in enumerate(part, start=1)]
        head = _export_list_head(
            oh, wh, cop=cop_no("E", key, index if len(parts) > 1 else None, 30), first=index == 1,
            trade_mode=trade_mode, agent=agent, logistics=logistics, profile=profile, export_date=export_date,
        )  # fmt: skip
        out.add("CEB603", str(head["copNo"]), Entity(head, tuple(lines)))
    return out


def _import_list_line(ctx: _ListContext, ln: Mapping[str, Any], n: int) -> dict[str, Any]:
    info, common = _line_common(ctx, ln, n)
    line = {
        **common,
        "gmodel": str(ln.get("gmodel") or ln.get("itemName") or info.name)[:510],
        "barCode": str(ln.get("barCode") or "无"),
        "country": str(ln.get("country") or info.origin_country or ""),
        "currency": "142",
    }
    if ln.get("itemRecordNo"):
        line["itemRecordNo"] = str(ln["itemRecordNo"])
    if info.unit2 and ln.get("qty2") not in (None, ""):
        line["qty2"] = Decimal(str(ln["qty2"]))
        line["unit2"] = info.unit2
    return line


def _import_list_head(
    oh: Mapping[str, Any], wh: Mapping[str, Any], part: Sequence[Mapping[str, Any]], *, cop: str, first: bool,
    trade_mode: str, agent: Party, assure: Party, profile: Profile, declared_on: str,
) -> dict[str, Any]:  # fmt: skip
    weight = Decimal(str(wh.get("weight") or "0"))
    head = {
        "orderNo": oh.get("orderNo"),
        "ebpCode": oh.get("ebpCode"),
        "ebpName": oh.get("ebpName"),
        "ebcCode": oh.get("ebcCode"),
        "ebcName": oh.get("ebcName"),
        "logisticsNo": wh.get("logisticsNo"),
        "logisticsCode": wh.get("logisticsCode"),
        "logisticsName": wh.get("logisticsName"),
        "copNo": cop,
        "assureCode": assure.code,
        "ieFlag": "I",
        "declTime": declared_on,
        "customsCode": profile.customs_code,
        "portCode": profile.port_code,
        "buyerIdType": "1",
        "buyerIdNumber": oh.get("buyerIdNumber"),
        "buyerName": oh.get("buyerName"),
        "buyerTelephone": oh.get("buyerTelephone"),
        "consigneeAddress": oh.get("consigneeAddress"),
        "agentCode": agent.code,
        "agentName": agent.name,
        "tradeMode": trade_mode,
        "trafMode": profile.traf_mode,
        # 9610 direct purchase: the shipment's conveyance, voyage and bill (from the waybill);
        # 1210 bonded: the zone's account book and enterprise (profile)
        "trafNo": wh.get("trafNo"),
        "voyageNo": wh.get("voyageNo"),
        "billNo": wh.get("billNo"),
        "emsNo": profile.ems_no if trade_mode == "1210" else None,
        "areaCode": profile.area_code if trade_mode == "1210" else None,
        "areaName": profile.area_name if trade_mode == "1210" else None,
        "country": str(part[0].get("country") or "") if part else "",
        "freight": Decimal(str(oh.get("freight") or 0)) if first else Decimal(0),
        "insuredFee": Decimal(0),
        "currency": "142",
        "packNo": 1,  # CEB.md §5.1 rule 7: packNo fixed 1 in the import waybill and list
        "grossWeight": weight,
        "netWeight": (weight * profile.net_weight_share).quantize(Decimal("0.00001")),
    }
    return {k: v for k, v in head.items() if v not in (None, "")}


def import_declaration(
    order: DocIn,
    payment: DocIn,
    waybill: DocIn,
    products: Mapping[str, ProductInfo],
    *,
    trade_mode: str,
    agent: Party,
    assure: Party,
    profile: Profile,
    declared_on: str,
) -> Declared:
    """CEB311 + CEB411 + CEB511 + CEB621 list(s) for one matched retail-import order."""
    oh, ph, wh = order.head, payment.head, waybill.head
    key = f"{oh.get('ebpCode')}|{oh.get('orderNo')}"
    ctx = _ListContext(products, profile, f"CEB621 orderNo={oh.get('orderNo')}")
    out = Declared("import", trade_mode)
    goods = _goods(order.lines)
    _within_line_limit(goods, IMPORT_LIST_LINES, "CEB311", ctx.document)
    out.add(
        "CEB311",
        key,
        Entity(_only(IMPORT_XSD, "OrderHead", oh), tuple(_only(IMPORT_XSD, "OrderList", ln) for ln in goods)),
    )
    out.add("CEB411", f"{ph.get('payCode')}|{ph.get('payTransactionId')}", Entity(_only(IMPORT_XSD, "PaymentHead", ph)))
    out.add(
        "CEB511", f"{wh.get('logisticsCode')}|{wh.get('logisticsNo')}", Entity(_only(IMPORT_XSD, "LogisticsHead", wh))
    )
    parts = _chunks(goods, IMPORT_LIST_LINES)
    for index, part in enumerate(parts, start=1):
        lines = [_import_list_line(ctx, ln, n) for n, ln in enumerate(part, start=1)]
        head = _import_list_head(
            oh, wh, part, cop=cop_no("I", key, index if len(parts) > 1 else None, 20), first=index == 1,
            trade_mode=trade_mode, agent=agent, assure=assure, profile=profile, declared_on=declared_on,
        )  # fmt: skip
        out.add("CEB621", str(head["copNo"]), Entity(head, tuple(lines)))
    return out


# --- requests about a declared list and the summary: built from what was declared -----------


def _request_reason(reason: str, max_len: int) -> str:
    return reason.strip()[:max_len]


def cancel_request(
    list_message: str, cop_no: str, invt_no: str, pre_no: str, head: Mapping[str, Any], reason: str
) -> tuple[str, Entity]:
    """撤销申请 for a list: CEB605 (export, CEB603) or CEB623 (import, CEB621), from the list's
    stored head; ``copNo`` is derived from the list's so a second request is the same request."""
    common = {
        "customsCode": head["customsCode"],
        "invtNo": invt_no,
        "reason": _request_reason(reason, 1000),
        "agentCode": head["agentCode"],
        "agentName": head["agentName"],
        "ebcCode": head["ebcCode"],
        "ebcName": head["ebcName"],
    }
    if list_message == "CEB603":
        values = {**common, "copNo": f"{cop_no[:26]}-605", "preNo": pre_no or None}
        return "CEB605", Entity({k: v for k, v in values.items() if v})
    keys = ("orderNo", "ebpCode", "ebpName", "logisticsNo", "logisticsCode", "logisticsName",
            "buyerIdType", "buyerIdNumber", "buyerName", "buyerTelephone")  # fmt: skip
    return "CEB623", Entity({**common, **{k: head[k] for k in keys}, "copNo": f"{cop_no[:16]}-623"})


@dataclass(frozen=True, slots=True)
class ReturnShipment:
    """How returned export goods come back (CEB213 needs them): bill, voyage, conveyance."""

    bill_no: str = ""
    voyage_no: str = ""
    traf_name: str = ""

    def missing(self) -> list[str]:
        given = (("billNo", self.bill_no), ("voyageNo", self.voyage_no), ("trafName", self.traf_name))
        return [name for name, value in given if not value.strip()]


def export_return_request(
    cop_no: str, invt_no: str, trade_mode: str, entity: Mapping[str, Any], reason: str, shipment: ReturnShipment
) -> Entity:
    """退货申请 of an export retail list (CEB213), all lines; ieFlag I (CEB.md §4.1: export
    returns, CEB213/215, use I)."""
    head = entity["head"]
    values = {
        **{k: head[k] for k in ("customsCode", "ebpCode", "ebpName", "ebcCode", "ebcName", "logisticsNo",
                                "logisticsCode", "logisticsName")},
        "coElNo": f"{cop_no[:26]}-213",
        "invtNo": invt_no,
        "tradeMode": trade_mode,
        "agentCode": head["agentCode"],
        "agentName": head["agentName"],
        "billNo": shipment.bill_no,
        "ieFlag": "I",
        "trafMode": head["trafMode"],
        "trafName": shipment.traf_name,
        "portCode": head["portCode"],
        "reason": _request_reason(reason, 500),
        "country": head["country"],
        "voyageNo": shipment.voyage_no,
    }  # fmt: skip
    keys = ("gnum", "gcode", "gname", "gmodel", "qty", "qty1", "unit", "unit1", "qty2", "unit2")
    lines = tuple(
        {k: Decimal(ln[k]) if k in ("qty", "qty1", "qty2") else ln[k] for k in keys if k in ln}
        for ln in entity["lines"]
    )
    return Entity(values, lines)


def import_return_request(cop_no: str, invt_no: str, entity: Mapping[str, Any], reason: str) -> Entity:
    """退货申请 of an import retail list (CEB625), all lines."""
    head = entity["head"]
    keys = ("customsCode", "orderNo", "ebpCode", "ebpName", "ebcCode", "ebcName", "logisticsNo", "logisticsCode",
            "logisticsName", "buyerIdType", "buyerIdNumber", "buyerName", "buyerTelephone", "agentCode", "agentName")  # fmt: skip
    values = {
        **{k: head[k] for k in keys},
        "copNo": f"{cop_no[:16]}-625",
        "invtNo": invt_no,
        "reason": _request_reason(reason, 1000),
    }
    lines = tuple(
        {"gnum": ln["gnum"], "gcode": ln["gcode"], "gname": ln["gname"], "qty": Decimal(ln["qty"]), "unit": ln["unit"]}
        for ln in entity["lines"]
    )
    return Entity(values, lines)


def summary_cop_no(seller: str, period_start: str, period_end: str) -> str:
    return f"S{seller[-8:]}{period_start}{period_end[-4:]}"


def summary_application(
    seller: str, first_list_head: Mapping[str, Any], invt_nos: Sequence[str], period_start: str, period_end: str
) -> Entity:
    """汇总申请 (CEB701) of one consignor's released 9610 lists with statisticsFlag B for a period
    (YYYYMMDD, inclusive), the declaring agent that of its lists."""
    agent = str(first_list_head.get("agentCode"))
    head = {
        "customsCode": first_list_head.get("customsCode"),
        "copNo": summary_cop_no(seller, period_start, period_end),
        "agentCode": agent,
        "agentName": first_list_head.get("agentName"),
        "ebcCode": seller,
        "ebcName": first_list_head.get("ebcName"),
        "declAgentCode": agent,
        "declAgentName": first_list_head.get("agentName"),
        "startTime": f"{period_start}000000",
        "endTime": f"{period_end}235959",
        "summaryFlag": "1",
        "itemNameFlag": "1",
        "msgCount": 1,
        "msgSeqNo": 1,
    }
    return Entity(head, tuple({"invtNo": n} for n in invt_nos))


def in_summary(list_head: Mapping[str, Any], period_start: str, period_end: str) -> bool:
    """A list goes into the period's summary when it is statisticsFlag B and exported within it."""
    return list_head.get("statisticsFlag") == "B" and period_start <= str(list_head.get("ieDate", "")) <= period_end
