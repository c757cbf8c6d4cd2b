"""One row per CEB message of the 202205 standard: the declaration table the generic codec runs on.

Everything structural (entity, head and line elements, how many of each, field order, required
fields, lengths, digits, where the signature goes) is read from the official XSD at run time
(``xsd.layout``). A row here only says what the XSD cannot: which schema file, who sends it, which
declaration a receipt answers, the fields that identify a document in error messages, and the
business rules CEB.md §3.1/§4.1 states beyond the schema (code values, fields that become
required for a trade mode). Sources: CEB.md §1 (catalogue), §3.1 (context notes), §4.1 (codes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cbec.ceb.schema import EXPORT_XSD, IMPORT_XSD
from cbec.errors import InvalidInput

#: DXP receiver of declarations (CEB.md §2.3: zhengjin-me/CustomsSignature IEType.kt).
EXPORT_RECEIVER = "DXPEDCCEB0000003"
IMPORT_RECEIVER = "DXPEDCCEB0000002"


class Kind(StrEnum):
    DECLARATION = "declaration"  # enterprise → customs; carries BaseTransfer, may be signed
    RECEIPT = "receipt"  # customs → enterprise, answers a declaration (returnStatus …)
    CUSTOMS = "customs"  # customs-initiated (792 summary result, 816/818 tax bill, 900 format error)


@dataclass(frozen=True, slots=True)
class When:
    """Fields that become required when a head field has one of some values (e.g. tradeMode 1210)."""

    field: str
    values: frozenset[str]
    head: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True, slots=True)
class MessageSpec:
    code: str  # "CEB303"
    xsd: str
    kind: Kind
    title_zh: str
    title_en: str
    keys: tuple[str, ...] = ()  # head fields naming a document in errors ("ebpCode", "orderNo")
    answers: str | None = None  # for a receipt: the declaration it answers
    #: allowed values of head/entity fields beyond the XSD (checked when building)
    codes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    line_codes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    rules: tuple[When, ...] = ()

    @property
    def root(self) -> str:
        return f"{self.code}Message"

    @property
    def is_export(self) -> bool:
        return self.xsd == EXPORT_XSD

    @property
    def receiver(self) -> str:
        """DXP id of the customs node that receives this message (for the DxpMsg envelope)."""
        return EXPORT_RECEIVER if self.is_export else IMPORT_RECEIVER


def _set(*values: str) -> frozenset[str]:
    return frozenset(values)


# CEB.md §4.1: codes the spec itself defines.
APP_TYPE = _set("1", "2", "3")  # new / change / delete
APP_STATUS = _set("1", "2")  # draft / declare
IE_FLAG = _set("I", "E")
_DECLARED = {"appType": APP_TYPE, "appStatus": APP_STATUS}

#: CEB303 orderType: E B2C export, B B2B export (9710), W overseas-warehouse booking (9810).
EXPORT_ORDER_TYPES = _set("E", "B", "W")
#: Export list trade modes: 9610 B2C, 1210/1239 special area, 9710 B2B direct, 9810 overseas warehouse.
EXPORT_TRADE_MODES = _set("9610", "1210", "1239", "9710", "9810")
#: Import list trade modes: 9610 direct purchase, 1210 bonded.
IMPORT_TRADE_MODES = _set("9610", "1210")
BONDED = _set("1210", "1239")

_ORDER_TYPE_BY_TRADE_MODE = {"9610": "E", "1210": "E", "1239": "E", "9710": "B", "9810": "W"}


def export_order_type(trade_mode: str) -> str:
    """CEB303 ``orderType`` for an export trade mode (海关总署公告2021年第47号: B for 9710, W for 9810)."""
    try:
        return _ORDER_TYPE_BY_TRADE_MODE[trade_mode]
    except KeyError:
        raise InvalidInput(
            f"no export order type for trade mode {trade_mode!r}", f"监管方式 {trade_mode!r} 没有对应的出口订单类型"
        ) from None


_E, _I = EXPORT_XSD, IMPORT_XSD
_D, _R, _C = Kind.DECLARATION, Kind.RECEIPT, Kind.CUSTOMS

MESSAGES: tuple[MessageSpec, ...] = (
    # --- export -----------------------------------------------------------------------------
    MessageSpec(
        "CEB303",
        _E,
        _D,
        "电子订单",
        "export order / B2B order / overseas-warehouse booking",
        ("ebpCode", "orderNo"),
        codes={**_DECLARED, "orderType": EXPORT_ORDER_TYPES},
    ),
    MessageSpec("CEB304", _E, _R, "电子订单回执", "export order receipt", answers="CEB303"),
    MessageSpec("CEB403", _E, _D, "收款单", "payment receipt", ("ebpCode", "orderNo"), codes=_DECLARED),
    MessageSpec("CEB404", _E, _R, "收款单回执", "payment receipt receipt", answers="CEB403"),
    MessageSpec("CEB505", _E, _D, "物流运单", "export waybill", ("logisticsCode", "logisticsNo"), codes=_DECLARED),
    MessageSpec("CEB506", _E, _R, "物流运单回执", "export waybill receipt", answers="CEB505"),
    MessageSpec(
        "CEB507",
        _E,
        _D,
        "物流运抵单",
        "arrival at the supervised site",
        ("copNo",),
        codes={**_DECLARED, "ieFlag": IE_FLAG},
    ),
    MessageSpec("CEB508", _E, _R, "运抵单回执", "arrival receipt", answers="CEB507"),
    MessageSpec("CEB509", _E, _D, "物流离境单", "departure", ("copNo",), codes=_DECLARED),
    MessageSpec("CEB510", _E, _R, "离境单回执", "departure receipt", answers="CEB509"),
    MessageSpec(
        "CEB603",
        _E,
        _D,
        "出口申报清单",
        "export inventory list",
        ("ebpCode", "orderNo", "copNo"),
        codes={
            **_DECLARED,
            "ieFlag": _set("E"),
            "statisticsFlag": _set("A", "B"),
            "tradeMode": EXPORT_TRADE_MODES,
        },
        rules=(
            When(
                "tradeMode",
                BONDED,
                head=("emsNo", "iacCode", "iacName"),
                lines=("itemRecordNo",),
                why="special-area export needs the account book, the in-zone warehouse and item record numbers",
            ),
        ),
    ),
    MessageSpec("CEB604", _E, _R, "出口清单回执", "export list receipt", answers="CEB603"),
    MessageSpec("CEB605", _E, _D, "撤销申请单", "export list cancellation", ("copNo", "invtNo"), codes=_DECLARED),
    MessageSpec("CEB606", _E, _R, "撤销申请单回执", "export cancellation receipt", answers="CEB605"),
    MessageSpec("CEB607", _E, _D, "清单总分单", "master bill / parcel links", ("copNo", "billNo"), codes=_DECLARED),
    MessageSpec("CEB608", _E, _R, "清单总分单回执", "master bill receipt", answers="CEB607"),
    MessageSpec(
        "CEB213",
        _E,
        _D,
        "退货申请单",
        "export return",
        ("coElNo", "invtNo"),
        codes={**_DECLARED, "ieFlag": _set("I")},
    ),
    MessageSpec("CEB214", _E, _R, "退货申请单回执", "export return receipt", answers="CEB213"),
    MessageSpec(
        "CEB215",
        _E,
        _D,
        "退运理货明细单",
        "returned-parcel tally",
        ("coElNo", "logisticsNo"),
        codes={**_DECLARED, "ieFlag": _set("I")},
    ),
    MessageSpec("CEB216", _E, _R, "退运理货明细单回执", "returned-parcel tally receipt", answers="CEB215"),
    MessageSpec(
        "CEB701",
        _E,
        _D,
        "汇总申请单",
        "summary application",
        ("copNo",),
        codes={**_DECLARED, "summaryFlag": _set("1", "2")},
    ),
    MessageSpec("CEB702", _E, _R, "汇总申请单回执", "summary application receipt", answers="CEB701"),
    MessageSpec("CEB792", _E, _C, "汇总结果单", "summary result", ("sumNo",)),
    # --- import -----------------------------------------------------------------------------
    MessageSpec(
        "CEB311",
        _I,
        _D,
        "电子订单",
        "import order",
        ("ebpCode", "orderNo"),
        codes={**_DECLARED, "orderType": _set("I"), "buyerIdType": _set("1", "2")},
    ),
    MessageSpec("CEB312", _I, _R, "电子订单回执", "import order receipt", answers="CEB311"),
    MessageSpec(
        "CEB411",
        _I,
        _D,
        "支付凭证",
        "import payment",
        ("payCode", "payTransactionId"),
        codes={**_DECLARED, "payerIdType": _set("1", "2")},
    ),
    MessageSpec("CEB412", _I, _R, "支付凭证回执", "import payment receipt", answers="CEB411"),
    MessageSpec("CEB511", _I, _D, "物流运单", "import waybill", ("logisticsCode", "logisticsNo"), codes=_DECLARED),
    MessageSpec("CEB512", _I, _R, "物流运单回执", "import waybill receipt", answers="CEB511"),
    MessageSpec(
        "CEB513",
        _I,
        _D,
        "物流运单状态",
        "delivered status",
        ("logisticsCode", "logisticsNo"),
        codes={**_DECLARED, "logisticsStatus": _set("S")},
    ),
    MessageSpec("CEB514", _I, _R, "物流运单状态回执", "delivered status receipt", answers="CEB513"),
    MessageSpec(
        "CEB621",
        _I,
        _D,
        "进口清单",
        "import inventory list",
        ("ebpCode", "orderNo", "copNo"),
        codes={**_DECLARED, "ieFlag": _set("I"), "tradeMode": IMPORT_TRADE_MODES, "buyerIdType": _set("1", "2")},
        rules=(
            When(
                "tradeMode",
                _set("1210"),
                head=("emsNo", "areaCode", "areaName"),
                lines=("itemRecordNo",),
                why="bonded import (1210) needs the account book, the zone enterprise and item record numbers",
            ),
            When(
                "tradeMode",
                _set("9610"),
                head=("trafNo", "voyageNo", "billNo"),
                why="direct-purchase import (9610) needs the conveyance, voyage and bill of lading",
            ),
        ),
    ),
    MessageSpec("CEB622", _I, _R, "进口清单回执", "import list receipt", answers="CEB621"),
    MessageSpec(
        "CEB623",
        _I,
        _D,
        "撤销申请单",
        "import list cancellation",
        ("invtNo", "copNo"),
        codes={"appType": _set("1"), "appStatus": APP_STATUS, "buyerIdType": _set("1", "2")},
    ),
    MessageSpec("CEB624", _I, _R, "撤销申请单回执", "import cancellation receipt", answers="CEB623"),
    MessageSpec(
        "CEB625",
        _I,
        _D,
        "退货申请单",
        "import return",
        ("invtNo", "copNo"),
        codes={**_DECLARED, "buyerIdType": _set("1", "2")},
    ),
    MessageSpec("CEB626", _I, _R, "退货申请单回执", "import return receipt", answers="CEB625"),
    MessageSpec("CEB711", _I, _D, "入库明细单", "site entry", ("copNo",), codes={**_DECLARED, "ieFlag": IE_FLAG}),
    MessageSpec("CEB712", _I, _R, "入库明细单回执", "site entry receipt", answers="CEB711"),
    MessageSpec("CEB816", _I, _C, "电子税单", "tax bill", ("invtNo", "taxNo")),
    MessageSpec("CEB818", _I, _C, "电子税单状态", "tax bill status", ("invtNo", "taxNo")),
    MessageSpec("CEB900", _I, _C, "报文格式校验回执", "format error receipt", ("oriCopMsgId",)),
)

BY_CODE: dict[str, MessageSpec] = {m.code: m for m in MESSAGES}
RECEIPT_FOR: dict[str, str] = {m.answers: m.code for m in MESSAGES if m.answers}

_CODE = re.compile(r"^(?:CEB)?(\d{3})(?:Message)?$")


def message_spec(message: str) -> MessageSpec:
    """The row of a message named ``"CEB303"``, ``"303"`` or ``"CEB303Message"``."""
    match = _CODE.match(message.strip())
    spec = BY_CODE.get(f"CEB{match.group(1)}") if match else None
    if spec is None:
        raise InvalidInput(f"unknown CEB message {message!r}", f"未知的 CEB 报文类型 {message!r}")
    return spec
