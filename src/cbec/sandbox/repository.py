"""The sandbox customs' own store: what customs has received and what is still walking, in
SQLite at ``<root>/sandbox/state.sqlite3`` (stdlib ``sqlite3``). The sandbox plays a separate
system, so it keeps a database of its own and never opens the platform's; every statement of
it is here."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from cbec.sandbox.schemas import Doc, Walk

# --- state ------------------------------------------------------------------------------------

SCHEMA = """
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


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class _Texts:
    """JSON of the small values that recur on every walk (plans, DxpMsg addressing), encoded and
    decoded once per distinct value; decoded values are handed out as fresh copies."""

    def __init__(self) -> None:
        self.encoded: dict[Any, str] = {}
        self.decoded: dict[str, Any] = {}

    def plan(self, plan: Sequence[str]) -> str:
        key = tuple(plan)
        text = self.encoded.get(key)
        if text is None:
            text = self.encoded[key] = to_json(list(plan))
        return text

    def reply(self, reply: Mapping[str, str] | None) -> str:
        key = None if reply is None else tuple(sorted(reply.items()))
        text = self.encoded.get(("reply", key))
        if text is None:
            text = self.encoded[("reply", key)] = to_json(None if reply is None else dict(reply))
        return text

    def load(self, text: str) -> Any:
        value = self.decoded.get(text)
        if value is None:
            if len(self.decoded) > 4096:
                self.decoded.clear()
            value = self.decoded[text] = json.loads(text)
        return _copy(value)  # plans and addressing are flat: a shallow copy is a fresh value


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


_PUT = (
    "INSERT OR REPLACE INTO document (side, kind, key, message, guid, status, state, invt_no, pre_no,"
    " hold, summary, data, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SET_STATUS = "UPDATE document SET status = ? WHERE side = ? AND kind = ? AND key = ?"
_NUMBER_LIST = "UPDATE document SET status = ?, invt_no = ? WHERE side = ? AND kind = 'list' AND key = ?"
_DELETE = "DELETE FROM document WHERE side = ? AND kind = ? AND key = ?"
_ADD_WALK = (
    "INSERT INTO walk (side, kind, doc_key, receipt, source, ret, plan, reply, born) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_MOVE_WALK = "UPDATE walk SET ret = ?, plan = ?, open = ? WHERE id = ?"
_MOVE_WALK_PLAN = "UPDATE walk SET plan = ?, open = ? WHERE id = ?"
_FREEZE_WALK = "UPDATE walk SET frozen = ? WHERE side = ? AND kind = ? AND doc_key = ?"
_OPEN_WALK = "UPDATE walk SET open = ? WHERE side = ? AND kind = ? AND doc_key = ?"
_COUNTER = "INSERT OR REPLACE INTO counter (name, value) VALUES (?, ?)"
_CODES = "SELECT key, json_extract(data, '$.head.customsCode') FROM document WHERE side = ? AND kind = 'list'"
_RECEIVED = "INSERT INTO received (file, sha256, message, at) VALUES (?, ?, ?, ?)"

DocKey = tuple[str, str, str]


class Store:
    """The sandbox's own memory: what customs has received and what is still walking.

    Set-based: the writes to documents and walks are queued, in order, and written before the
    next statement that reads those tables, or the commit, each run of the same statement as one
    ``executemany`` (the same statements in the same order as one at a time: the same state,
    rowids included). The documents a message is about are read in one statement per kind
    (``prefetch``) and kept, with what the transaction writes, until it ends: ``get`` answers
    from there, found or known to be missing. Counters and quotas are read and written at once.
    """

    def __init__(self, path: Path, *, set_based: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        #: False: every statement at once, nothing kept between statements (the store before
        #: issue 22 item 6; the tests compare the two)
        self.set_based = set_based
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)
        self.db.commit()
        self._texts = _Texts()
        self._queue: list[tuple[str, tuple[Any, ...]]] = []
        #: documents known in this transaction: prefetched (None: customs has none), or written
        self._known: dict[DocKey, Doc | None] = {}
        #: counters as this object last read or wrote them (the state file is this sandbox's own)
        self._counters: dict[str, int] = {}

    def _queued(self, sql: str, params: tuple[Any, ...]) -> None:
        self._queue.append((sql, params))
        if not self.set_based:
            self._flush()

    def _keep(self, key: DocKey, doc: Doc | None) -> None:
        if self.set_based:
            self._known[key] = doc

    def _flush(self) -> None:
        """Write the queued statements: each run of one statement as one ``executemany``."""
        queue, self._queue = self._queue, []
        start = 0
        while start < len(queue):
            sql = queue[start][0]
            end = start + 1
            while end < len(queue) and queue[end][0] is sql:
                end += 1
            if end - start == 1:
                self.db.execute(sql, queue[start][1])
            else:
                self.db.executemany(sql, [params for _sql, params in queue[start:end]])
            start = end

    def close(self) -> None:
        self.db.close()

    def commit(self) -> None:
        self._flush()
        self._known.clear()
        self.db.commit()

    def rollback(self) -> None:
        self._queue.clear()
        self._known.clear()
        self._counters.clear()
        self.db.rollback()

    def next(self, name: str) -> int:
        value = self._counters.get(name) if self.set_based else None
        if value is None:
            row = self.db.execute("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()
            value = int(row["value"]) if row else 0
        value += 1
        self._counters[name] = value
        self._queued(_COUNTER, (name, value))
        return value

    # documents
    @staticmethod
    def _doc(row: sqlite3.Row | None) -> Doc | None:
        if row is None:
            return None
        return Doc(
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

    def prefetch(self, keys: Iterable[DocKey]) -> None:
        """Read the documents of ``keys`` (side, kind, key) in one statement per side and kind,
        for the ``get``s of this transaction; those customs does not hold are known missing."""
        if not self.set_based:
            return
        wanted: dict[tuple[str, str], set[str]] = {}
        for side, kind, key in keys:
            if (side, kind, key) not in self._known:
                wanted.setdefault((side, kind), set()).add(key)
        if not wanted:
            return
        self._flush()
        for (side, kind), names in wanted.items():
            ordered = sorted(names)
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                for name in chunk:
                    self._known[(side, kind, name)] = None
                marks = ", ".join("?" * len(chunk))
                rows = self.db.execute(
                    f"SELECT * FROM document WHERE side = ? AND kind = ? AND key IN ({marks})",  # noqa: S608 - placeholders only
                    (side, kind, *chunk),
                )
                for row in rows:
                    self._known[(side, kind, row["key"])] = self._doc(row)

    def get(self, side: str, kind: str, key: str) -> Doc | None:
        if (side, kind, key) in self._known:
            return self._known[(side, kind, key)]
        self._flush()
        row = self.db.execute(
            "SELECT * FROM document WHERE side = ? AND kind = ? AND key = ?", (side, kind, key)
        ).fetchone()
        return self._doc(row)

    def by_invt_no(self, side: str, invt_no: str) -> Doc | None:
        if not invt_no:
            return None
        self._flush()
        row = self.db.execute(
            "SELECT * FROM document WHERE side = ? AND kind = 'list' AND invt_no = ?", (side, invt_no)
        ).fetchone()
        return self._doc(row)

    def lists(self, side: str) -> Iterator[Doc]:
        self._flush()
        for row in self.db.execute("SELECT * FROM document WHERE side = ? AND kind = 'list' ORDER BY rowid", (side,)):
            doc = self._doc(row)
            if doc is not None:
                yield doc

    def put(self, doc: Doc) -> None:
        self._queued(
            _PUT,
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
                to_json(doc.data),
                doc.received_at,
            ),
        )
        self._keep((doc.side, doc.kind, doc.key), doc)

    def set_status(self, side: str, kind: str, key: str, status: int) -> None:
        """A status change and nothing else: the document's data is neither read nor rewritten."""
        self._queued(_SET_STATUS, (status, side, kind, key))
        known = self._known.get((side, kind, key))
        if known is not None:
            known.status = status

    def list_customs_codes(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Lists' customsCode as ``str(doc.head.get("customsCode"))`` gives it, by (side, key), in
        one statement a side, without reading the rest of the documents; lists customs does not
        hold are left out."""
        by_side: dict[str, list[str]] = {}
        for side, key in keys:
            by_side.setdefault(side, []).append(key)
        self._flush()
        codes: dict[tuple[str, str], str] = {}
        for side, names in by_side.items():
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                sql = _CODES + f" AND key IN ({marks})"  # placeholders only
                rows = self.db.execute(sql, (side, *chunk))
                for key, code in rows:
                    codes[(side, key)] = str(code)
        return codes

    def number_list(self, side: str, key: str, status: int, invt_no: str) -> None:
        """A list's 入库: its status and its invtNo; the rest of it as it was."""
        self._queued(_NUMBER_LIST, (status, invt_no, side, key))
        known = self._known.get((side, "list", key))
        if known is not None:
            known.status, known.invt_no = status, invt_no

    def delete(self, side: str, kind: str, key: str) -> None:
        self._queued(_DELETE, (side, kind, key))
        self._keep((side, kind, key), None)

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
        texts = self._texts
        self._queued(
            _ADD_WALK,
            (side, kind, doc_key, receipt, source, to_json(dict(ret)), texts.plan(plan), texts.reply(reply), born),
        )

    def open_walks(self, before: int) -> list[Walk]:
        self._flush()
        load = self._texts.load
        rows = self.db.execute(
            "SELECT * FROM walk WHERE open = 1 AND frozen = 0 AND born < ? ORDER BY id", (before,)
        ).fetchall()
        return [
            Walk(
                id=r["id"],
                side=r["side"],
                kind=r["kind"],
                doc_key=r["doc_key"],
                receipt=r["receipt"],
                source=r["source"],
                ret=json.loads(r["ret"]),
                plan=load(r["plan"]),
                reply=load(r["reply"]),
            )
            for r in rows
        ]

    def pending(self) -> int:
        self._flush()
        return int(self.db.execute("SELECT count(*) FROM walk WHERE open = 1").fetchone()[0])

    def update_walk(self, walk: Walk) -> None:
        """A walk moved on: its plan, whether it is still open, and its return fields when the
        step changed them."""
        plan, is_open = self._texts.plan(walk.plan), 1 if walk.plan else 0
        if walk.ret_changed:
            self._queued(_MOVE_WALK, (to_json(walk.ret), plan, is_open, walk.id))
        else:
            self._queued(_MOVE_WALK_PLAN, (plan, is_open, walk.id))

    def set_walk(
        self, side: str, kind: str, doc_key: str, *, frozen: bool | None = None, is_open: bool | None = None
    ) -> None:
        if frozen is not None:
            self._queued(_FREEZE_WALK, (int(frozen), side, kind, doc_key))
        if is_open is not None:
            self._queued(_OPEN_WALK, (int(is_open), side, kind, doc_key))

    def log_received(self, file: str, data: bytes, message: str, at: str) -> None:
        self._queued(_RECEIVED, (file, hashlib.sha256(data).hexdigest(), message, at))
