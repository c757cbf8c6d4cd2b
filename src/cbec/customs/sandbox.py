"""Sandbox customs: a customs and e-port simulator that answers on the platform's message folders.

It works the way China E-port's client does, on the same folders as ``FolderTransport``: it
takes complete message files from ``<root>/out/`` (never ``.part`` files), answers each with
receipt files written atomically into ``<root>/in/``, and moves the file it read into
``<root>/sandbox/processed/YYYYMMDD/`` (moved, never deleted). What customs has received is its
own state, in SQLite at ``<root>/sandbox/state.sqlite3``: the sandbox is a separate system and
never touches the platform's database. See docs/sandbox.md.

What it checks, in order (CEB.md §4.2, §5.1; RULES.md §1.2):

1. the file: well-formed XML, a DxpMsg envelope unwrapped if there is one, a known enterprise
   declaration, valid against the official XSD → otherwise a CEB900 ``MessageReturn``;
2. an RSA-SHA1 signature, when there is one, verifies → otherwise −621029 on every entity;
3. per entity: duplicates (−301010 order, −401007 payment, −504012 waybill, −621004 list,
   −900001 other documents), references (a list's order and waybill, a cancellation's or
   return's list → 100 naming what is missing), customs' matching checks (100 with the reason;
   −621027 for a repeated gnum), and for retail import lists the limits of 财关税〔2018〕49号
   (−621005 over CNY 5,000 per order, −621018 over CNY 26,000 per buyer and calendar year).

Accepted documents walk the real status sequence, one status per ``step``: 2 at once, then 120
for orders, payments and waybills; 2 → 120 (invtNo assigned) → [500 inspection] → 800 → 899 for
lists; 2 → 399 for cancellations (the list becomes void); 2 → 120 (sumNo) → CEB792 for summaries.

Deterministic: receipt guids, numbers and the choice of lists to inspect derive from ``seed`` and
counters kept in the state file, and every time comes from ``clock``; the same files with the same
seed and clock give byte-identical receipts. Every receipt is checked against the official XSD
before it is written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from cbec.ceb.envelope import unwrap, wrap
from cbec.ceb.messages import (
    BY_CODE,
    RECEIPT_FOR,
    Entity,
    Kind,
    MessageSpec,
    ParsedMessage,
    build,
    check_message,
    field_text,
    layout_of,
    parse,
)
from cbec.ceb.messages.codec import CHINA_TIME
from cbec.ceb.signing import RSA_SHA1, SignatureInvalid, verify_tree
from cbec.ceb.xsd import CEB_NS, DS_NS, DXP_NS, DXP_TERMINAL_XSD, parse_xml, validate
from cbec.customs.transport import atomic_write, ready_files
from cbec.errors import CbecError

__all__ = [
    "ANNUAL_LIMIT",
    "SINGLE_LIMIT",
    "ErrorCode",
    "SandboxCustoms",
    "SandboxFault",
    "SandboxReport",
    "error_codes",
    "list_problems",
    "order_problems",
    "retail_limit",
]

#: 财关税〔2018〕49号 (in force 2019-01-01): CNY 5,000 per transaction, CNY 26,000 per person and year.
SINGLE_LIMIT = Decimal(5000)
ANNUAL_LIMIT = Decimal(26000)
#: Sums and line totals may differ by one fen from the exact product (amounts rounded to 0.01).
TOLERANCE = Decimal("0.01")

# Official codes (CEB.md §4.2, §5.1) and the ones chosen here; data/sandbox_errors.csv says which.
FORMAT_ERROR, SCHEMA_ERROR, NOT_ACCEPTED = -1, -2, -3
DUPLICATE_ORDER, DUPLICATE_PAYMENT, WAYBILL_EXISTS = -301010, -401007, -504012
DUPLICATE_LIST, OVER_SINGLE_LIMIT, OVER_ANNUAL_LIMIT = -621004, -621005, -621018
DUPLICATE_GNUM, SIGNATURE_FAILED, DUPLICATE_DOCUMENT = -621027, -621029, -900001
#: 海关退单: customs refuses the document, reason in returnInfo (CEB.md §4.2).
REFUSED = 100

_RETURN_FIELDS = ("returnStatus", "returnTime", "returnInfo")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ROOT = re.compile(r"^CEB(\d{3})Message$")

#: Prefix of the e-port number (preNo, 1 letter + YYYYMMDD + 9-digit serial = 18) per message.
#: "B" is what CEB.md §3.2 and the 213 annotation state; the others follow the official receipt
#: samples (508/510/608/702 "P", 626 "T", 712 "R") and CEB.md §3.2 ("o" for the refund detail).
_PRE_NO_PREFIX = {
    "CEB603": "B",
    "CEB621": "B",
    "CEB605": "B",
    "CEB623": "B",
    "CEB213": "B",
    "CEB625": "T",
    "CEB215": "O",
    "CEB507": "P",
    "CEB509": "P",
    "CEB607": "P",
    "CEB701": "P",
    "CEB711": "R",
}

#: Status walks after the immediate 2 (电子口岸申报中), one status per step. The receipt XSD
#: annotations (CEB.md §4.2) decide between 120 海关入库 and 399 海关审结 where the brief leaves it open.
_LIST_WALK = ("120", "800", "899")
_INSPECTED_LIST_WALK = ("120", "500", "800", "899")
_STATUS_INFO = {
    "120": "海关入库",
    "399": "海关审结",
    "500": "查验：海关布控查验，货物待查验",
    "800": "放行",
    "899": "结关",
}
_RESULT = "CEB792"  # a summary's last walk step: the SummaryResult message, not a receipt status

#: Fields that identify people: the sandbox keeps digests of them, never the values.
_PERSONAL = frozenset(
    {
        "buyerRegNo",
        "buyerName",
        "buyerTelephone",
        "buyerIdNumber",
        "consignee",
        "consigneeTelephone",
        "consigneeAddress",
        "consigneeDistrict",
        "payerIdNumber",
        "payerName",
        "telephone",
    }
)


class SandboxFault(CbecError):
    """The sandbox produced something it should not have (a receipt failing its own XSD)."""

    code = "sandbox_fault"
    http_status = 500


# --- error codes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: int
    is_official: bool  # named in CEB.md (from SPEC §7 table 7-2), or chosen by the sandbox
    message_zh: str
    message_en: str
    source: str


@lru_cache(maxsize=1)
def error_codes() -> dict[int, ErrorCode]:
    """The negative codes the sandbox answers with (customs/data/sandbox_errors.csv)."""
    text = resources.files("cbec.customs.data").joinpath("sandbox_errors.csv").read_text("utf-8")
    return {
        int(row["code"]): ErrorCode(
            int(row["code"]), row["official"] == "yes", row["message_zh"], row["message_en"], row["source"]
        )
        for row in csv.DictReader(text.splitlines())
    }


def _error(code: int, detail: str = "") -> tuple[int, str]:
    text = error_codes()[code].message_zh
    return code, f"{text}：{detail}" if detail else text


# --- pure rules -------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip() or "0")
    except InvalidOperation:
        return Decimal(0)


def _near(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= TOLERANCE


def _line_problems(lines: Sequence[Mapping[str, Any]]) -> list[str]:
    """CEB.md §5.1 import 3 / export 3: every line's totalPrice = qty × price."""
    out = []
    for line in lines:
        qty, price, total = _dec(line.get("qty")), _dec(line.get("price")), _dec(line.get("totalPrice"))
        if not _near(qty * price, total):
            out.append(f"第{line.get('gnum')}项总价 {total} ≠ 数量 {qty} × 单价 {price}")
    return out


def _duplicate_gnums(lines: Sequence[Mapping[str, Any]]) -> list[int]:
    seen = Counter(int(line.get("gnum") or 0) for line in lines)
    return sorted(g for g, n in seen.items() if n > 1)


def order_problems(head: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], *, is_import: bool) -> list[str]:
    """Customs' checks of an order on its own (CEB.md §5.1): gnum unique, line totals and, for an
    import order, acturalPaid = goodsValue + freight + taxTotal − discount (within one fen)."""
    out = []
    repeated = _duplicate_gnums(lines)
    if repeated:
        out.append(f"商品序号重复：{', '.join(map(str, repeated))}")
    out += _line_problems(lines)
    if is_import:
        goods, freight = _dec(head.get("goodsValue")), _dec(head.get("freight"))
        tax, discount, paid = _dec(head.get("taxTotal")), _dec(head.get("discount")), _dec(head.get("acturalPaid"))
        expected = goods + freight + tax - discount
        if not _near(expected, paid):
            out.append(
                f"实际支付金额 {paid} ≠ 商品价格 {goods} + 运杂费 {freight} + 代扣税款 {tax} − 非现金抵扣 {discount}"
                f"（= {expected}）"
            )
    return out


def list_problems(
    head: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    order: Mapping[str, Any],
    *,
    is_import: bool,
    order_gnums: Sequence[int] = (),
    buyer_matches: bool = True,
    consignee_matches: bool = True,
    amount_paid: Decimal | None = None,
) -> list[str]:
    """Customs' matching of a list against its order, payment and waybill (CEB.md §5.1).

    ``order`` is the order head. The list's ebcCode must be the order's (export 1: the consignor);
    every line totalPrice = qty × price; every list gnum must be a line of the order (import 4,
    export 1 — a list may carry fewer lines than its order); for an import list the buyer must be
    the order's, the waybill's consignee the order's (import 2) and the payment amount the order's
    acturalPaid (import 1).
    """
    out = []
    if head.get("ebcCode") != order.get("ebcCode"):
        out.append(f"清单电商企业 {head.get('ebcCode')} 与订单电商企业 {order.get('ebcCode')} 不一致")
    out += _line_problems(lines)
    if order_gnums:
        unknown = sorted({int(line.get("gnum") or 0) for line in lines} - set(order_gnums))
        if unknown:
            out.append(f"清单商品序号 {', '.join(map(str, unknown))} 在订单中不存在")
    if is_import:
        if not buyer_matches:
            out.append("清单订购人与订单订购人不一致")
        if not consignee_matches:
            out.append("运单收货人（姓名、电话、地址）与订单不一致")
        paid = _dec(order.get("acturalPaid"))
        if amount_paid is not None and not _near(amount_paid, paid):
            out.append(f"支付凭证支付金额 {amount_paid} 与订单实际支付金额 {paid} 不一致")
    return out


def retail_limit(value: Decimal, *, is_single_item: bool, year_total: Decimal) -> tuple[int, str] | None:
    """The retail-import limits of 财关税〔2018〕49号 (RULES.md §1.2), or None when within them.

    ``value`` is the order's 完税价格 (goods + freight + insurance; coupons not deducted);
    ``year_total`` what the buyer's lists already count this calendar year. Over CNY 5,000 →
    −621005, unless the order is one single item (49号 art. 2: it may still clear, fully taxed,
    and counts toward the year); year total including this order over CNY 26,000 → −621018
    (exactly 26,000 is allowed).
    """
    if value > SINGLE_LIMIT and not is_single_item:
        return _error(OVER_SINGLE_LIMIT, f"订单金额 {value} 元，超过 {SINGLE_LIMIT} 元")
    if year_total + value > ANNUAL_LIMIT:
        return _error(
            OVER_ANNUAL_LIMIT,
            f"本年度已用 {year_total} 元，加本单 {value} 元为 {year_total + value} 元，超过 {ANNUAL_LIMIT} 元",
        )
    return None


# --- report -----------------------------------------------------------------------------------


@dataclass
class SandboxReport:
    """What one step (or several) did."""

    steps: int = 0
    files_read: int = 0
    receipt_files: int = 0
    #: receipts (return entities) written: message → returnStatus → count
    receipts: dict[str, Counter[str]] = field(default_factory=dict)
    ceb900: int = 0
    summary_results: int = 0  # CEB792 messages
    advanced: int = 0  # walk steps taken (a status moved on)
    pending: int = 0  # walks still open after the step

    def count(self, message: str, status: str, n: int = 1) -> None:
        self.receipts.setdefault(message, Counter())[status] += n

    def merge(self, other: SandboxReport) -> None:
        self.steps += other.steps
        self.files_read += other.files_read
        self.receipt_files += other.receipt_files
        for message, counts in other.receipts.items():
            self.receipts.setdefault(message, Counter()).update(counts)
        self.ceb900 += other.ceb900
        self.summary_results += other.summary_results
        self.advanced += other.advanced
        self.pending = other.pending

    @property
    def is_idle(self) -> bool:
        return self.files_read == 0 and self.advanced == 0 and self.pending == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "files_read": self.files_read,
            "receipt_files": self.receipt_files,
            "receipts": {m: dict(sorted(c.items())) for m, c in sorted(self.receipts.items())},
            "ceb900": self.ceb900,
            "summary_results": self.summary_results,
            "advanced": self.advanced,
            "pending": self.pending,
        }


# --- state ------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS document (
    side TEXT NOT NULL,            -- I import / E export
    kind TEXT NOT NULL,            -- order, payment, payment_tx, waybill, list, cancel, refund, summary, filing
    key TEXT NOT NULL,             -- ebpCode|orderNo, logisticsCode|logisticsNo, copNo …
    message TEXT NOT NULL,
    guid TEXT NOT NULL,
    status INTEGER NOT NULL,       -- last returnStatus sent
    state TEXT NOT NULL DEFAULT 'active',  -- active / void (cancelled) / returned
    invt_no TEXT NOT NULL DEFAULT '',
    pre_no TEXT NOT NULL DEFAULT '',
    hold TEXT NOT NULL DEFAULT '',       -- a cancellation or return in progress (its key)
    summary TEXT NOT NULL DEFAULT '',    -- the summary (copNo) that took the list
    data TEXT NOT NULL,            -- JSON: head and lines without personal fields, digests
    received_at TEXT NOT NULL,
    PRIMARY KEY (side, kind, key)
);
CREATE INDEX IF NOT EXISTS document_invt_no ON document (side, invt_no);
CREATE TABLE IF NOT EXISTS quota (
    list_key TEXT PRIMARY KEY,     -- the import list counted
    buyer TEXT NOT NULL,           -- sha256 of buyerIdNumber
    year INTEGER NOT NULL,         -- calendar year of the order's appTime
    amount TEXT NOT NULL           -- Decimal as text
);
CREATE INDEX IF NOT EXISTS quota_buyer_year ON quota (buyer, year);
CREATE TABLE IF NOT EXISTS walk (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    side TEXT NOT NULL,
    kind TEXT NOT NULL,
    doc_key TEXT NOT NULL,
    receipt TEXT NOT NULL,         -- CEB312 …
    source TEXT NOT NULL,          -- the file the declaration came in
    ret TEXT NOT NULL,             -- JSON: the return entity's fixed fields
    plan TEXT NOT NULL,            -- JSON: statuses still to come
    reply TEXT NOT NULL,           -- JSON: DxpMsg addressing, or null
    born INTEGER NOT NULL,         -- the step that started it: it moves on from the next step
    frozen INTEGER NOT NULL DEFAULT 0,
    open INTEGER NOT NULL DEFAULT 1
);
-- every step reads the open walks and counts them; closed walks are most of the table after a
-- while (without these, each step scanned every walk ever started: ~a third of the sandbox's
-- time at 500,000 orders)
CREATE INDEX IF NOT EXISTS walk_open ON walk (id) WHERE open = 1;
CREATE INDEX IF NOT EXISTS walk_doc ON walk (side, kind, doc_key);
CREATE TABLE IF NOT EXISTS received (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


def _changes_more_than_status(walk: _Walk, status: str) -> bool:
    """Whether a walk's step does more to what customs holds than set the document's status (the
    branches of ``SandboxCustoms._apply``): a list's 入库 numbers it, a cancellation voids its
    list, a return's last step gives its list back, a filing's or a summary's 入库 numbers it."""
    return (
        (walk.kind in ("list", "filing", "summary") and status == "120")
        or walk.kind == "cancel"
        or (walk.kind == "refund" and not walk.plan)
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass
class _Doc:
    side: str
    kind: str
    key: str
    message: str
    guid: str
    status: int
    data: dict[str, Any]
    state: str = "active"
    invt_no: str = ""
    pre_no: str = ""
    hold: str = ""
    summary: str = ""
    received_at: str = ""

    @property
    def head(self) -> dict[str, Any]:
        head: dict[str, Any] = self.data.get("head", {})
        return head

    @property
    def lines(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = self.data.get("lines", [])
        return lines


@dataclass
class _Walk:
    id: int
    side: str
    kind: str
    doc_key: str
    receipt: str
    source: str
    ret: dict[str, Any]
    plan: list[str]
    reply: dict[str, str] | None


class _State:
    """The sandbox's own memory: what customs has received and what is still walking."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(_SCHEMA)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()

    def next(self, name: str) -> int:
        row = self.db.execute("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()
        value = (row["value"] if row else 0) + 1
        self.db.execute("INSERT OR REPLACE INTO counter (name, value) VALUES (?, ?)", (name, value))
        return int(value)

    # documents
    @staticmethod
    def _doc(row: sqlite3.Row | None) -> _Doc | None:
        if row is None:
            return None
        return _Doc(
            side=row["side"],
            kind=row["kind"],
            key=row["key"],
            message=row["message"],
            guid=row["guid"],
            status=row["status"],
            data=json.loads(row["data"]),
            state=row["state"],
            invt_no=row["invt_no"],
            pre_no=row["pre_no"],
            hold=row["hold"],
            summary=row["summary"],
            received_at=row["received_at"],
        )

    def get(self, side: str, kind: str, key: str) -> _Doc | None:
        row = self.db.execute(
            "SELECT * FROM document WHERE side = ? AND kind = ? AND key = ?", (side, kind, key)
        ).fetchone()
        return self._doc(row)

    def by_invt_no(self, side: str, invt_no: str) -> _Doc | None:
        if not invt_no:
            return None
        row = self.db.execute(
            "SELECT * FROM document WHERE side = ? AND kind = 'list' AND invt_no = ?", (side, invt_no)
        ).fetchone()
        return self._doc(row)

    def lists(self, side: str) -> Iterator[_Doc]:
        for row in self.db.execute("SELECT * FROM document WHERE side = ? AND kind = 'list' ORDER BY rowid", (side,)):
            doc = self._doc(row)
            if doc is not None:
                yield doc

    def put(self, doc: _Doc) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO document (side, kind, key, message, guid, status, state, invt_no, pre_no,"
            " hold, summary, data, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.side,
                doc.kind,
                doc.key,
                doc.message,
                doc.guid,
                doc.status,
                doc.state,
                doc.invt_no,
                doc.pre_no,
                doc.hold,
                doc.summary,
                _json(doc.data),
                doc.received_at,
            ),
        )

    def set_status(self, side: str, kind: str, key: str, status: int) -> None:
        """A status change and nothing else: the document's data is neither read nor rewritten."""
        self.db.execute(
            "UPDATE document SET status = ? WHERE side = ? AND kind = ? AND key = ?", (status, side, kind, key)
        )

    def delete(self, side: str, kind: str, key: str) -> None:
        self.db.execute("DELETE FROM document WHERE side = ? AND kind = ? AND key = ?", (side, kind, key))

    # quota
    def year_total(self, buyer: str, year: int) -> Decimal:
        rows = self.db.execute("SELECT amount FROM quota WHERE buyer = ? AND year = ?", (buyer, year))
        return sum((Decimal(r["amount"]) for r in rows), Decimal(0))

    def count_quota(self, list_key: str, buyer: str, year: int, amount: Decimal) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO quota (list_key, buyer, year, amount) VALUES (?, ?, ?, ?)",
            (list_key, buyer, year, str(amount)),
        )

    def give_back(self, list_key: str, amount: Decimal | None = None) -> None:
        """Return a list's amount to its buyer's year: all of it (None) or part of it."""
        row = self.db.execute("SELECT amount FROM quota WHERE list_key = ?", (list_key,)).fetchone()
        if row is None:
            return
        left = Decimal(0) if amount is None else Decimal(row["amount"]) - amount
        if left <= 0:
            self.db.execute("DELETE FROM quota WHERE list_key = ?", (list_key,))
        else:
            self.db.execute("UPDATE quota SET amount = ? WHERE list_key = ?", (str(left), list_key))

    # walks
    def add_walk(
        self,
        *,
        side: str,
        kind: str,
        doc_key: str,
        receipt: str,
        source: str,
        ret: Mapping[str, Any],
        plan: Sequence[str],
        reply: Mapping[str, str] | None,
        born: int,
    ) -> None:
        self.db.execute(
            "INSERT INTO walk (side, kind, doc_key, receipt, source, ret, plan, reply, born)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (side, kind, doc_key, receipt, source, _json(dict(ret)), _json(list(plan)), _json(reply), born),
        )

    def open_walks(self, before: int) -> list[_Walk]:
        rows = self.db.execute(
            "SELECT * FROM walk WHERE open = 1 AND frozen = 0 AND born < ? ORDER BY id", (before,)
        ).fetchall()
        return [
            _Walk(
                id=r["id"],
                side=r["side"],
                kind=r["kind"],
                doc_key=r["doc_key"],
                receipt=r["receipt"],
                source=r["source"],
                ret=json.loads(r["ret"]),
                plan=json.loads(r["plan"]),
                reply=json.loads(r["reply"]),
            )
            for r in rows
        ]

    def pending(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM walk WHERE open = 1").fetchone()[0])

    def update_walk(self, walk: _Walk) -> None:
        self.db.execute(
            "UPDATE walk SET ret = ?, plan = ?, open = ? WHERE id = ?",
            (_json(walk.ret), _json(walk.plan), 1 if walk.plan else 0, walk.id),
        )

    def set_walk(
        self, side: str, kind: str, doc_key: str, *, frozen: bool | None = None, is_open: bool | None = None
    ) -> None:
        if frozen is not None:
            self.db.execute(
                "UPDATE walk SET frozen = ? WHERE side = ? AND kind = ? AND doc_key = ?",
                (int(frozen), side, kind, doc_key),
            )
        if is_open is not None:
            self.db.execute(
                "UPDATE walk SET open = ? WHERE side = ? AND kind = ? AND doc_key = ?",
                (int(is_open), side, kind, doc_key),
            )

    def log_received(self, file: str, data: bytes, message: str, at: str) -> None:
        self.db.execute(
            "INSERT INTO received (file, sha256, message, at) VALUES (?, ?, ?, ?)",
            (file, hashlib.sha256(data).hexdigest(), message, at),
        )


# --- the simulator ------------------------------------------------------------------------------


@dataclass
class _Answer:
    """Customs' answer to one entity: its status now, and the walk it starts (if any)."""

    status: int
    info: str
    plan: tuple[str, ...] = ()  # statuses still to come, one per step
    kind: str = ""
    doc_key: str = ""


@dataclass(frozen=True)
class _Incoming:
    """A declaration read from a file: the message, its bytes, and how to address the answer."""

    file: str
    data: bytes
    parsed: ParsedMessage
    reply: dict[str, str] | None
    root: etree._Element  # the message as parsed once; its signature check uses it up


def _digest(*values: Any) -> str:
    return hashlib.sha256("\x1f".join(str(v or "").strip() for v in values).encode("utf-8")).hexdigest()


def _key(*parts: Any) -> str:
    return "|".join(str(p or "") for p in parts)


def _stored(head: Mapping[str, Any], lines: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    return {
        "head": {k: v for k, v in head.items() if k not in _PERSONAL},
        "lines": [{k: v for k, v in line.items() if k not in _PERSONAL} for line in lines],
    }


def _side(spec: MessageSpec) -> str:
    return "E" if spec.is_export else "I"


def _xml_text(data: bytes) -> str:
    return _NOT_XML.sub("\ufffd", data.decode("utf-8", errors="replace"))


class SandboxCustoms:
    """Customs and the e-port, simulated over the platform's message folders (``root/out``, ``root/in``).

    ``seed`` makes the answers reproducible (guids, numbers, which lists are inspected);
    ``inspection_rate`` is the share of lists sent to inspection (500) before release;
    ``state_path`` is the SQLite file of what customs has received
    (default ``root/sandbox/state.sqlite3``); ``clock`` gives every time written (default now,
    China time).
    """

    def __init__(
        self,
        root: Path,
        *,
        seed: int = 0,
        inspection_rate: float = 0.0,
        state_path: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        require_signatures: bool = False,
    ) -> None:
        if not 0.0 <= inspection_rate <= 1.0:
            raise ValueError(f"inspection_rate must be between 0 and 1, not {inspection_rate}")
        self.root = Path(root)
        self.out_dir = self.root / "out"
        self.in_dir = self.root / "in"
        self.processed_dir = self.root / "sandbox" / "processed"
        self.seed = seed
        self.inspection_rate = inspection_rate
        #: answer an unsigned 621/623/625/711 (signature mandatory in the XSD) with −621029, as the
        #: e-port does; off by default so unsigned test traffic can be exercised
        self.require_signatures = require_signatures
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(CHINA_TIME))
        self.state = _State(state_path or self.root / "sandbox" / "state.sqlite3")
        self._now = self._china(self.clock())
        self._step_no = 0

    def close(self) -> None:
        self.state.close()

    def __enter__(self) -> SandboxCustoms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public -------------------------------------------------------------------------------

    def step(self, limit: int | None = None) -> SandboxReport:
        """Answer the files waiting in ``out/`` (at most ``limit``), then move every walk started
        in an earlier step on by one status.

        Answering first lets a cancellation sent after a list's 800 reach the list before it
        closes (899). Each file is one transaction: its receipts are written, the state is
        committed, then the file is moved to ``sandbox/processed/``.
        """
        report = SandboxReport(steps=1)
        self._now = self._china(self.clock())
        self._step_no = self.state.next("step")
        self.state.commit()
        incoming: list[tuple[Path, bytes]] = [(p, p.read_bytes()) for p in ready_files(self.out_dir, limit)]
        # Documents before the lists that refer to them when they arrive together (CEB.md §5.1 import 5).
        incoming.sort(key=lambda item: _rank(item[1]))
        for path, data in incoming:
            report.files_read += 1
            try:
                self._answer_file(path.name, data, report)
                self.state.log_received(path.name, data, _message_name(data), self._t17())
                self.state.commit()
            except BaseException:
                self.state.rollback()
                raise
            self._move_processed(path)
        try:
            self._advance(report)
            self.state.commit()
        except BaseException:
            self.state.rollback()
            raise
        report.pending = self.state.pending()
        return report

    def run_until_idle(self, max_steps: int = 50) -> SandboxReport:
        """Step until nothing waits in ``out/`` and every walk has ended (or ``max_steps``)."""
        total = SandboxReport()
        for _ in range(max_steps):
            report = self.step()
            total.merge(report)
            if report.files_read == 0 and report.pending == 0:
                break
        return total

    # --- time, numbers, guids ------------------------------------------------------------------

    @staticmethod
    def _china(value: datetime) -> datetime:
        return value.astimezone(CHINA_TIME).replace(tzinfo=None) if value.tzinfo is not None else value

    def _t17(self) -> str:
        return self._now.strftime("%Y%m%d%H%M%S") + f"{self._now.microsecond // 1000:03d}"

    def _day(self) -> str:
        return self._now.strftime("%Y%m%d")

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

    # --- files ----------------------------------------------------------------------------------

    def _move_processed(self, path: Path) -> Path:
        folder = self.processed_dir / self._day()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        n = 1
        while target.exists():  # the same name was processed before: keep both
            target = folder / f"{path.stem}.{n}{path.suffix}"
            n += 1
        os.replace(path, target)
        return target

    def _write(self, code: str, data: bytes, guid: str, reply: Mapping[str, str] | None, report: SandboxReport) -> None:
        if reply is not None:
            data = wrap(
                data,
                sender_id=reply["sender"],
                receiver_ids=[reply["receiver"]],
                created_at=self._now,
            )
        atomic_write(self.in_dir / f"{code}_{self._t17()}_{guid}.xml", data)
        report.receipt_files += 1

    def _emit(
        self,
        code: str,
        entities: Sequence[Mapping[str, Any]],
        reply: Mapping[str, str] | None,
        report: SandboxReport,
    ) -> None:
        """Write receipt message ``code`` (≤100 entities per file), each checked against its XSD."""
        for start in range(0, len(entities), 100):
            chunk = entities[start : start + 100]
            guid = self._guid()
            self._write(code, _receipt_xml(code, chunk, guid), guid, reply, report)
            for entity in chunk:
                report.count(code, str(entity["returnStatus"]))

    # --- intake -----------------------------------------------------------------------------------

    def _answer_file(self, name: str, data: bytes, report: SandboxReport) -> None:
        opened = self._open(name, data)
        if isinstance(opened, _Incoming):
            self._answer_message(opened, report)
            return
        status, info, ori_type, ori_id, reply, original = opened
        entity = {
            "guid": self._guid(),
            "returnStatus": str(status),
            "returnInfo": info[:5000],
            "returnTime": self._t17(),
            "oriCopMsgId": ori_id[:255],
            "oriMessageType": ori_type,
            "oriBizMessage": _xml_text(original),
        }
        self._emit("CEB900", [entity], reply, report)
        report.ceb900 += 1

    def _open(self, name: str, data: bytes) -> _Incoming | tuple[int, str, str, str, dict[str, str] | None, bytes]:
        """The declaration in a file, or what the CEB900 must say about it."""
        reply: dict[str, str] | None = None
        cop_msg_id = ""
        inner = data
        try:
            root = parse_xml(data, name)
        except CbecError as exc:
            code, info = _error(FORMAT_ERROR, exc.message_zh)
            return code, info, "Unknown", name, None, data
        if root.tag == f"{{{DXP_NS}}}DxpMsg":
            problems = validate(root, DXP_TERMINAL_XSD)
            if not problems:
                try:
                    envelope = unwrap(data)
                except CbecError as exc:
                    problems = [exc.message_zh]
            if problems:
                code, info = _error(FORMAT_ERROR, f"DxpMsg 报文封装错误：{'；'.join(problems[:5])}")
                return code, info, "Unknown", name, None, data
            inner, cop_msg_id = envelope.data, envelope.cop_msg_id
            if envelope.sender_id:
                reply = {"sender": "", "receiver": envelope.sender_id}
            try:
                root = parse_xml(inner, name)
            except CbecError as exc:
                code, info = _error(FORMAT_ERROR, exc.message_zh)
                return code, info, "Unknown", cop_msg_id or name, _addressed(reply, None), inner
        qname = etree.QName(root)
        match = _ROOT.match(qname.localname)
        spec = BY_CODE.get(f"CEB{match.group(1)}") if match and qname.namespace == CEB_NS else None
        ori_id = cop_msg_id or root.get("guid") or name
        if spec is None:
            code, info = _error(NOT_ACCEPTED, f"未知报文 {qname.localname}")
            return code, info, "Unknown", ori_id, _addressed(reply, None), inner
        if spec.kind is not Kind.DECLARATION or spec.code not in _HANDLED:
            code, info = _error(NOT_ACCEPTED, f"{spec.code} {spec.title_zh} 不是企业向海关申报的报文")
            return code, info, qname.localname, ori_id, _addressed(reply, spec), inner
        problems = check_message(root)
        if problems:
            code, info = _error(SCHEMA_ERROR, "；".join(problems[:10]))
            return code, info, qname.localname, ori_id, _addressed(reply, spec), inner
        return _Incoming(name, inner, parse(root, document=name), _addressed(reply, spec), root)

    def _signature_problem(self, incoming: _Incoming) -> tuple[int, str] | None:
        """Verify an RSA-SHA1 signature (the sandbox's and tests' ``SoftwareRsaSigner``); other
        algorithms (SM2 needs a certified verifier) are taken as they are."""
        if not incoming.parsed.is_signed:
            _spec, lay = layout_of(incoming.parsed.message)
            if (
                self.require_signatures and lay.signature == "required"
            ):  # 621/623/625/711: the XSD makes the signature mandatory
                return _error(SIGNATURE_FAILED, "报文未加签：该报文须有数字签名（ds:Signature）")
            return None
        method = incoming.root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignedInfo/{{{DS_NS}}}SignatureMethod")
        if method is None or method.get("Algorithm") != RSA_SHA1:
            return None
        try:
            verify_tree(incoming.root)
        except SignatureInvalid as exc:
            return _error(SIGNATURE_FAILED, exc.message_zh)
        return None

    def _answer_message(self, incoming: _Incoming, report: SandboxReport) -> None:
        parsed = incoming.parsed
        spec = BY_CODE[parsed.message]
        receipt = RECEIPT_FOR[spec.code]
        _rspec, rlay = layout_of(receipt)
        ret_fields = rlay.head_spec.by_name
        signature = self._signature_problem(incoming)
        handler = _HANDLED[spec.code]
        entities: list[dict[str, Any]] = []
        for entity in parsed.entities:
            head = entity.head
            fixed: dict[str, Any] = {
                k: head[k] for k in ret_fields if k in head and k not in _RETURN_FIELDS and head[k] not in (None, "")
            }
            prefix = _PRE_NO_PREFIX.get(spec.code)
            if prefix and "preNo" in ret_fields:
                fixed["preNo"] = head.get("preNo") or self._pre_no(prefix)
            if signature is not None:
                answer = _Answer(*signature)
            elif str(head.get("appStatus", "2")) == "1":
                answer = _Answer(1, "电子口岸已暂存")
            else:
                answer = handler(self, spec, entity, fixed)
            values = dict(fixed)
            if "copNo" in ret_fields and not values.get("copNo") and values.get("preNo"):
                values["copNo"] = values["preNo"]  # 621/623/625 copNo is optional; their receipts need one
            if answer.plan:
                self.state.add_walk(
                    side=_side(spec),
                    kind=answer.kind,
                    doc_key=answer.doc_key,
                    receipt=receipt,
                    source=incoming.file,
                    ret=values,
                    plan=answer.plan,
                    reply=incoming.reply,
                    born=self._step_no,
                )
            entities.append(
                {
                    **values,
                    "returnStatus": str(answer.status),
                    "returnInfo": answer.info[:1000],
                    "returnTime": self._t17(),
                }
            )
        self._emit(receipt, entities, incoming.reply, report)

    # --- handlers: one per kind of declaration ---------------------------------------------------

    def _accepted(self, head: Mapping[str, Any], **kwargs: Any) -> _Answer:
        verb = {"2": "变更", "3": "删除"}.get(str(head.get("appType")), "新增")
        return _Answer(2, f"{verb}申报成功[{head.get('guid')}]", **kwargs)

    def _is_listed(self, side: str, ebp_code: str, order_no: str) -> bool:
        return any(
            d.state == "active" and d.head.get("ebpCode") == ebp_code and d.head.get("orderNo") == order_no
            for d in self.state.lists(side)
        )

    def _change(self, side: str, kind: str, key: str, head: Mapping[str, Any], what: str) -> _Answer | None:
        """appType 2 (change) or 3 (delete) of an order, payment or waybill: it must exist and
        no active list may rest on it."""
        existing = self.state.get(side, kind, key)
        if existing is None:
            return _Answer(REFUSED, f"海关退单：要变更或删除的{what}海关未收到（{key}）")
        order_ref = (head.get("ebpCode"), head.get("orderNo"))
        if kind == "order" and self._is_listed(side, str(order_ref[0]), str(order_ref[1])):
            return _Answer(REFUSED, f"海关退单：{what}已有申报清单，不能变更或删除（{key}）")
        return None

    def _order(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        head, side = entity.head, _side(spec)
        key = _key(head.get("ebpCode"), head.get("orderNo"))
        app_type = str(head.get("appType"))
        existing = self.state.get(side, "order", key)
        if app_type == "1" and existing is not None:
            return _Answer(*_error(DUPLICATE_ORDER, f"ebpCode={head.get('ebpCode')} orderNo={head.get('orderNo')}"))
        if app_type != "1" and (refused := self._change(side, "order", key, head, "电子订单")):
            return refused
        problems = order_problems(head, entity.lines, is_import=side == "I")
        if problems:
            return _Answer(REFUSED, "海关退单：" + "；".join(problems))
        if app_type == "3":
            self.state.delete(side, "order", key)
        else:
            data = _stored(head, entity.lines)
            data["buyer"] = _digest(head.get("buyerIdNumber"))
            data["consignee"] = _digest(
                head.get("consignee"), head.get("consigneeTelephone"), head.get("consigneeAddress")
            )
            self.state.put(_Doc(side, "order", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17()))
        return self._accepted(head, plan=("120",), kind="order", doc_key=key)

    def _payment(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        head, side = entity.head, _side(spec)
        key = _key(head.get("ebpCode"), head.get("orderNo"))
        tx_key = _key(head.get("payCode"), head.get("payTransactionId")) if side == "I" else ""
        app_type = str(head.get("appType"))
        if app_type == "1" and (
            self.state.get(side, "payment", key) or (tx_key and self.state.get(side, "payment_tx", tx_key))
        ):
            detail = f"ebpCode={head.get('ebpCode')} orderNo={head.get('orderNo')}"
            if tx_key:
                detail += f" payCode={head.get('payCode')} payTransactionId={head.get('payTransactionId')}"
            return _Answer(*_error(DUPLICATE_PAYMENT, detail))
        if app_type != "1" and (refused := self._change(side, "payment", key, head, "支付单")):
            return refused
        if app_type == "3":
            self.state.delete(side, "payment", key)
            if tx_key:
                self.state.delete(side, "payment_tx", tx_key)
        else:
            data = _stored(head)
            data["payer"] = _digest(head.get("payerIdNumber"))
            doc = _Doc(side, "payment", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17())
            self.state.put(doc)
            if tx_key:
                self.state.put(_Doc(side, "payment_tx", tx_key, spec.code, doc.guid, 2, {"order": key}))
        return self._accepted(head, plan=("120",), kind="payment", doc_key=key)

    def _waybill(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        head, side = entity.head, _side(spec)
        key = _key(head.get("logisticsCode"), head.get("logisticsNo"))
        app_type = str(head.get("appType"))
        if app_type == "1" and self.state.get(side, "waybill", key) is not None:
            return _Answer(
                *_error(
                    WAYBILL_EXISTS, f"logisticsCode={head.get('logisticsCode')} logisticsNo={head.get('logisticsNo')}"
                )
            )
        if app_type != "1" and (refused := self._change(side, "waybill", key, head, "物流运单")):
            return refused
        if app_type == "3":
            self.state.delete(side, "waybill", key)
        else:
            data = _stored(head)
            data["consignee"] = _digest(
                head.get("consignee"), head.get("consigneeTelephone"), head.get("consigneeAddress")
            )
            self.state.put(
                _Doc(side, "waybill", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17())
            )
        return self._accepted(head, plan=("120",), kind="waybill", doc_key=key)

    def _waybill_status(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        head = entity.head
        key = _key(head.get("logisticsCode"), head.get("logisticsNo"))
        if self.state.get("I", "waybill", key) is None:
            return _Answer(
                REFUSED,
                f"海关退单：海关未收到物流运单 logisticsCode={head.get('logisticsCode')} logisticsNo={head.get('logisticsNo')}",
            )
        # CEB514's annotation lists 2/3/4/100/399: no 120 for a delivery status.
        return self._accepted(head, plan=("399",), kind="status", doc_key=key)

    def _filing(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        """Arrival 507, departure 509, master bill 607, site entry 711, returned-parcel tally 215:
        unique by copNo (coElNo for 215); 2, then 399 (their receipts' annotations) or 120 for 711."""
        head, side = entity.head, _side(spec)
        number = head.get("coElNo") if spec.code == "CEB215" else head.get("copNo")
        key = _key(spec.code, number or head.get("guid"))
        if str(head.get("appType")) == "1" and self.state.get(side, "filing", key) is not None:
            return _Answer(*_error(DUPLICATE_DOCUMENT, f"{spec.code} {spec.title_zh} {number}"))
        self.state.put(
            _Doc(side, "filing", key, spec.code, str(head.get("guid")), 2, _stored(head), received_at=self._t17())
        )
        return self._accepted(head, plan=("120",) if spec.code == "CEB711" else ("399",), kind="filing", doc_key=key)

    def _list(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        head, lines, side = entity.head, entity.lines, _side(spec)
        cop_no = str(head.get("copNo") or "")
        key = cop_no or f"guid:{head.get('guid')}"
        existing = self.state.get(side, "list", key)
        if str(head.get("appType")) != "1":
            if existing is None:
                return _Answer(REFUSED, f"海关退单：要变更或删除的清单海关未收到（copNo={cop_no}）")
            return _Answer(REFUSED, "海关退单：海关已接收的清单不能变更或删除，请申报撤销申请单（CEB605/CEB623）")
        if existing is not None:
            return _Answer(*_error(DUPLICATE_LIST, f"copNo={cop_no}"))
        repeated = _duplicate_gnums(lines)
        if repeated:
            return _Answer(*_error(DUPLICATE_GNUM, ", ".join(map(str, repeated))))
        order = self.state.get(side, "order", _key(head.get("ebpCode"), head.get("orderNo")))
        waybill = self.state.get(side, "waybill", _key(head.get("logisticsCode"), head.get("logisticsNo")))
        missing = []
        if order is None:
            missing.append(f"电子订单（ebpCode={head.get('ebpCode')}, orderNo={head.get('orderNo')}）")
        if waybill is None:
            missing.append(
                f"物流运单（logisticsCode={head.get('logisticsCode')}, logisticsNo={head.get('logisticsNo')}）"
            )
        if order is None or waybill is None:
            return _Answer(REFUSED, f"海关退单：海关未收到对应的{'、'.join(missing)}")
        payment = self.state.get(side, "payment", _key(head.get("ebpCode"), head.get("orderNo")))
        is_import = side == "I"
        problems = list_problems(
            head,
            lines,
            order.head,
            is_import=is_import,
            order_gnums=[int(line.get("gnum") or 0) for line in order.lines],
            buyer_matches=_digest(head.get("buyerIdNumber")) == order.data.get("buyer"),
            consignee_matches=waybill.data.get("consignee") == order.data.get("consignee"),
            amount_paid=_dec(payment.head.get("amountPaid")) if is_import and payment is not None else None,
        )
        if problems:
            return _Answer(REFUSED, "海关退单：" + "；".join(problems))
        data = _stored(head, lines)
        if is_import:
            value = _dec(order.head.get("goodsValue")) + _dec(order.head.get("freight")) + _dec(head.get("insuredFee"))
            is_single_item = len(lines) == 1 and _dec(lines[0].get("qty")) == 1
            buyer = str(order.data.get("buyer"))
            year = int(str(order.head.get("appTime", ""))[:4] or self._now.year)
            refused = retail_limit(value, is_single_item=is_single_item, year_total=self.state.year_total(buyer, year))
            if refused is not None:
                return _Answer(*refused)
            self.state.count_quota(key, buyer, year, value)
            data |= {"buyer": buyer, "year": year, "value": str(value)}
        doc = _Doc(side, "list", key, spec.code, str(head.get("guid")), 2, data, pre_no=str(fixed.get("preNo", "")))
        doc.received_at = self._t17()
        self.state.put(doc)
        inspected = self._chance("inspection", str(head.get("guid"))) < self.inspection_rate
        return self._accepted(head, plan=_INSPECTED_LIST_WALK if inspected else _LIST_WALK, kind="list", doc_key=key)

    def _target_list(self, side: str, head: Mapping[str, Any], what: str) -> tuple[_Doc | None, _Answer | None]:
        invt_no = str(head.get("invtNo") or "")
        target = self.state.by_invt_no(side, invt_no)
        if target is None:
            return None, _Answer(REFUSED, f"海关退单：{what}的清单编号 {invt_no} 海关未找到")
        if target.state != "active":
            done = "已撤销" if target.state == "void" else "已退货"
            return None, _Answer(REFUSED, f"海关退单：清单 {invt_no} {done}")
        if target.hold:
            return None, _Answer(REFUSED, f"海关退单：清单 {invt_no} 已有撤销或退货申请在办理")
        if head.get("ebcCode") and head.get("ebcCode") != target.head.get("ebcCode"):
            return None, _Answer(REFUSED, f"海关退单：{what}的电商企业与清单 {invt_no} 不一致")
        return target, None

    def _cancel(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        """撤销申请 (605/623) of a list customs accepted and has not closed (899): 2, then 399 and
        the list is void; an import list's amount goes back to the buyer's year."""
        head, side = entity.head, _side(spec)
        target, refused = self._target_list(side, head, "撤销申请")
        if refused is not None or target is None:
            return refused or _Answer(REFUSED, "海关退单")
        if target.status == 899:
            return _Answer(REFUSED, f"海关退单：清单 {target.invt_no} 已结关，不能撤销，请申报退货申请单")
        key = _key(spec.code, head.get("copNo") or head.get("guid"))
        self.state.put(
            _Doc(
                side, "cancel", key, spec.code, str(head.get("guid")), 2, {"list": target.key}, received_at=self._t17()
            )
        )
        target.hold = key
        self.state.put(target)
        self.state.set_walk(side, "list", target.key, frozen=True)
        return self._accepted(head, plan=("399",), kind="cancel", doc_key=key)

    def _refund(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        """退货申请 (213 export, 625 import) of a released list: lines of the list, quantities not
        above the list's (CEB.md §5.1 import 9). Import: 2 → 120 → 399 (626 annotation), the
        returned goods' value back to the buyer's year; export: 2 → 120 → 800 (214 annotation)."""
        head, side = entity.head, _side(spec)
        target, refused = self._target_list(side, head, "退货申请")
        if refused is not None or target is None:
            return refused or _Answer(REFUSED, "海关退单")
        if target.status not in (800, 899):
            return _Answer(REFUSED, f"海关退单：清单 {target.invt_no} 未放行，不能退货")
        number = head.get("coElNo") if spec.code == "CEB213" else head.get("copNo")
        key = _key(spec.code, number or head.get("guid"))
        if self.state.get(side, "refund", key) is not None:
            return _Answer(*_error(DUPLICATE_DOCUMENT, f"{spec.code} {spec.title_zh} {number}"))
        original = {int(line.get("gnum") or 0): line for line in target.lines}
        problems, value = [], Decimal(0)
        for line in entity.lines:
            gnum = int(line.get("gnum") or 0)
            before = original.get(gnum)
            if before is None:
                problems.append(f"第{gnum}项不在原清单中")
            elif _dec(line.get("qty")) > _dec(before.get("qty")):
                problems.append(f"第{gnum}项退货数量 {line.get('qty')} 超过原清单数量 {before.get('qty')}")
            else:
                value += _dec(line.get("qty")) * _dec(before.get("price"))
        if problems:
            return _Answer(REFUSED, "海关退单：" + "；".join(problems))
        whole = all(
            any(int(r.get("gnum") or 0) == g and _dec(r.get("qty")) >= _dec(ln.get("qty")) for r in entity.lines)
            for g, ln in original.items()
        )
        data = {"list": target.key, "value": None if whole else str(value)}
        self.state.put(_Doc(side, "refund", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17()))
        target.hold = key
        self.state.put(target)
        self.state.set_walk(side, "list", target.key, frozen=True)
        plan = ("120", "800") if side == "E" else ("120", "399")
        return self._accepted(head, plan=plan, kind="refund", doc_key=key)

    def _summary(self, spec: MessageSpec, entity: Entity, fixed: dict[str, Any]) -> _Answer:
        """汇总申请 (701): released export lists with statisticsFlag B of the same consignor, not
        summarised before. With startTime/endTime the list body is ignored (CEB.md §3.1) and the
        lists whose ieDate falls in the period are taken. 2 → 120 (sumNo) → CEB792."""
        head = entity.head
        cop_no = str(head.get("copNo"))
        key = _key("CEB701", cop_no)
        if str(head.get("appType")) == "1" and self.state.get("E", "summary", key) is not None:
            return _Answer(*_error(DUPLICATE_DOCUMENT, f"CEB701 汇总申请单 {cop_no}"))
        ebc = head.get("ebcCode")

        def usable(doc: _Doc) -> str:
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
        chosen: list[_Doc] = []
        if start and end:
            chosen = [
                d
                for d in self.state.lists("E")
                if not usable(d) and start[:8] <= str(d.head.get("ieDate", "")) <= end[:8]
            ]
            if not chosen:
                return _Answer(REFUSED, f"海关退单：{start[:8]}–{end[:8]} 期间没有可汇总的清单")
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
                return _Answer(REFUSED, "海关退单：" + "；".join(problems))
        for doc in chosen:
            doc.summary = cop_no
            self.state.put(doc)
        data = _stored(head) | {"lists": [d.key for d in chosen]}
        self.state.put(_Doc("E", "summary", key, spec.code, str(head.get("guid")), 2, data, received_at=self._t17()))
        return self._accepted(head, plan=("120", _RESULT), kind="summary", doc_key=key)

    # --- walks ------------------------------------------------------------------------------------

    def _advance(self, report: SandboxReport) -> None:
        """Move every open walk of an earlier step one status on; one receipt file per (receipt
        type, source file)."""
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        replies: dict[tuple[str, str, str], dict[str, str] | None] = {}
        for walk in self.state.open_walks(before=self._step_no):
            status = walk.plan.pop(0)
            report.advanced += 1
            if status == _RESULT:
                self._summary_result(walk, report)
                self.state.update_walk(walk)
                continue
            info = self._apply(walk, status)
            self.state.update_walk(walk)
            group = (walk.receipt, walk.source, _json(walk.reply))
            groups.setdefault(group, []).append(
                {**walk.ret, "returnStatus": status, "returnInfo": info[:1000], "returnTime": self._t17()}
            )
            replies[group] = walk.reply
        for group, entities in groups.items():
            self._emit(group[0], entities, replies[group], report)

    def _apply(self, walk: _Walk, status: str) -> str:
        """What a status does to the documents customs holds; the receipt text."""
        info = _STATUS_INFO.get(status, "海关处理中")
        if not _changes_more_than_status(walk, status):  # most steps: no need to read the document
            self.state.set_status(walk.side, walk.kind, walk.doc_key, int(status))
            return info
        doc = self.state.get(walk.side, walk.kind, walk.doc_key)
        if doc is None:
            return info
        doc.status = int(status)
        if walk.kind == "list" and status == "120":
            doc.invt_no = self._invt_no(str(doc.head.get("customsCode")), walk.side)
            walk.ret["invtNo"] = doc.invt_no
            info = f"海关入库，清单编号 {doc.invt_no}"
        elif walk.kind == "cancel":
            target = self.state.get(walk.side, "list", str(doc.data.get("list")))
            if target is not None:
                target.state, target.hold = "void", ""
                self.state.put(target)
                self.state.set_walk(walk.side, "list", target.key, is_open=False)
                self.state.give_back(target.key)
                info = f"海关审结：撤销成功，清单 {target.invt_no} 已作废"
        elif walk.kind == "refund" and not walk.plan:
            target = self.state.get(walk.side, "list", str(doc.data.get("list")))
            if target is not None:
                target.state, target.hold = "returned", ""
                self.state.put(target)
                self.state.set_walk(walk.side, "list", target.key, is_open=False)
                value = doc.data.get("value")
                self.state.give_back(target.key, None if value is None else Decimal(value))
                info = f"{info}：退货成功，清单 {target.invt_no}"
        elif walk.kind == "filing" and doc.message == "CEB711" and status == "120":
            # 入库单号 as in the official CEB712 sample: office + YYYYMMDD + 6-digit serial = 18
            customs_code = str(doc.head.get("customsCode"))
            rkd_no = f"{customs_code}{self._day()}{self.state.next(f'rkdNo:{customs_code}:{self._day()}'):06d}"
            walk.ret["rkdNo"] = rkd_no
            info = f"海关入库，入库单编号 {rkd_no}"
        elif walk.kind == "summary" and status == "120":
            sum_no = f"S{self._day()}{self.state.next(f'sumNo:{self._day()}'):09d}"
            doc.data["sumNo"] = sum_no
            walk.ret["sumNo"] = sum_no
            info = f"海关入库，汇总申请编号 {sum_no}"
        self.state.put(doc)
        return info

    def _summary_result(self, walk: _Walk, report: SandboxReport) -> None:
        """CEB792 汇总结果单: the lists of a summary, lines numbered into declaration items
        (gseqno: one per gcode, or per gcode + name with itemNameFlag 1)."""
        doc = self.state.get("E", "summary", walk.doc_key)
        if doc is None:
            return
        head = doc.head
        lists = [d for d in (self.state.get("E", "list", k) for k in doc.data.get("lists", [])) if d is not None]
        items: dict[tuple[str, str], int] = {}
        lines = []
        for d in lists:
            for line in d.lines:
                item = (str(line.get("gcode")), str(line.get("gname")) if head.get("itemNameFlag") == "1" else "")
                gseqno = items.setdefault(item, len(items) + 1)
                lines.append(
                    {
                        "invtNo": d.invt_no,
                        "logisticsNo": d.head.get("logisticsNo"),
                        "gseqno": gseqno,
                        "gnum": int(line.get("gnum") or 0),
                        "gcode": line.get("gcode"),
                    }
                )
        customs_code = str(head.get("customsCode"))
        year = self._now.strftime("%Y")
        result = {
            "customsCode": customs_code,
            "sumNo": doc.data.get("sumNo"),
            "opDate": self._t17(),
            "declSeqNo": f"D{self._day()}{self.state.next(f'declSeqNo:{self._day()}'):09d}",
            # 报关单号: 4-digit office + year + 1 (export) + 9-digit serial
            "entryId": f"{customs_code}{year}1{self.state.next(f'entryId:{customs_code}:{year}'):09d}",
            "decState": "A",  # the value of the official sample; customs decides the codes (CEB.md §3.1)
            **{
                k: head.get(k)
                for k in ("agentCode", "agentName", "ebcCode", "ebcName", "declAgentCode", "declAgentName")
            },
            "grossWeight": sum((_dec(d.head.get("grossWeight")) for d in lists), Decimal(0)),
            "netWeight": sum((_dec(d.head.get("netWeight")) for d in lists), Decimal(0)),
            "msgCount": 1,
            "msgSeqNo": 1,
        }
        built = build("CEB792", [Entity(result, tuple(lines))], guid_factory=self._guid)
        for message in built:
            self._write("CEB792", message.data, message.guid, walk.reply, report)
            report.summary_results += 1
        for d in lists:
            d.summary = str(doc.data.get("sumNo"))
            self.state.put(d)


_Handler = Callable[[SandboxCustoms, MessageSpec, Entity, dict[str, Any]], _Answer]

_HANDLED: dict[str, _Handler] = {
    "CEB303": SandboxCustoms._order,
    "CEB311": SandboxCustoms._order,
    "CEB403": SandboxCustoms._payment,
    "CEB411": SandboxCustoms._payment,
    "CEB505": SandboxCustoms._waybill,
    "CEB511": SandboxCustoms._waybill,
    "CEB513": SandboxCustoms._waybill_status,
    "CEB603": SandboxCustoms._list,
    "CEB621": SandboxCustoms._list,
    "CEB605": SandboxCustoms._cancel,
    "CEB623": SandboxCustoms._cancel,
    "CEB213": SandboxCustoms._refund,
    "CEB625": SandboxCustoms._refund,
    "CEB701": SandboxCustoms._summary,
    "CEB507": SandboxCustoms._filing,
    "CEB509": SandboxCustoms._filing,
    "CEB607": SandboxCustoms._filing,
    "CEB711": SandboxCustoms._filing,
    "CEB215": SandboxCustoms._filing,
}

#: When files arrive together: orders, payments and waybills first, then lists, then what refers to lists.
_RANKS = {"CEB603": 1, "CEB621": 1, "CEB605": 2, "CEB623": 2, "CEB213": 2, "CEB625": 2, "CEB701": 2, "CEB513": 1}
_MESSAGE_IN = re.compile(rb"CEB(\d{3})Message")


def _message_name(data: bytes) -> str:
    """The message type named in a file (plain or Base64 inside a DxpMsg), for logs and ordering."""
    match = _MESSAGE_IN.search(data[:4096])
    return f"CEB{match.group(1).decode()}" if match else ""


def _rank(data: bytes) -> int:
    return _RANKS.get(_message_name(data), 0)


def _addressed(reply: dict[str, str] | None, spec: MessageSpec | None) -> dict[str, str] | None:
    """Answer a DxpMsg with a DxpMsg, from the customs node of the message's side (CEB.md §2.3)."""
    if reply is None:
        return None
    sender = spec.receiver if spec is not None else BY_CODE["CEB900"].receiver
    return {"sender": sender, "receiver": reply["receiver"]}


def _q(name: str) -> str:
    return f"{{{CEB_NS}}}{name}"


def _receipt_xml(code: str, entities: Sequence[Mapping[str, Any]], guid: str) -> bytes:
    """A receipt message, fields in XSD order, checked against the official XSD.

    Written here rather than with ``build`` because customs leaves some required fields empty
    until it assigns them: an export list receipt at status 2 carries an empty ``invtNo`` (the
    export XSD allows it; the import XSD makes invtNo optional instead).
    """
    _spec, lay = layout_of(code)
    root = etree.Element(_q(lay.root), nsmap={"ceb": CEB_NS})
    root.set("guid", guid)
    root.set("version", "1.0")
    for values in entities:
        element = etree.SubElement(root, _q(lay.entity))
        for f in lay.head_spec.fields:
            text = field_text(f, values.get(f.name))
            if text is None:
                if not f.required:
                    continue
                text = ""
            child = etree.SubElement(element, _q(f.name))
            if f.name == "oriBizMessage" and text and "]]>" not in text:
                child.text = etree.CDATA(text)  # CEB900 echoes the original message in CDATA
            else:
                child.text = text
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    problems = check_message(data)
    if problems:
        raise SandboxFault(
            f"the sandbox built a {code} that fails its XSD: {problems[0]}",
            f"模拟海关生成的 {code} 未通过 XSD 校验：{problems[0]}",
        )
    return data
