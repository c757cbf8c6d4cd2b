"""The sandbox customs' own store: what customs has received and what is still walking, in
SQLite at ``<root>/sandbox/state.sqlite3`` (stdlib ``sqlite3``). The sandbox plays a separate
system, so it keeps a database of its own and never opens the platform's; every statement of
it is here."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
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


class Store:
    """The sandbox's own memory: what customs has received and what is still walking."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)
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

    def get(self, side: str, kind: str, key: str) -> Doc | None:
        row = self.db.execute(
            "SELECT * FROM document WHERE side = ? AND kind = ? AND key = ?", (side, kind, key)
        ).fetchone()
        return self._doc(row)

    def by_invt_no(self, side: str, invt_no: str) -> Doc | None:
        if not invt_no:
            return None
        row = self.db.execute(
            "SELECT * FROM document WHERE side = ? AND kind = 'list' AND invt_no = ?", (side, invt_no)
        ).fetchone()
        return self._doc(row)

    def lists(self, side: str) -> Iterator[Doc]:
        for row in self.db.execute("SELECT * FROM document WHERE side = ? AND kind = 'list' ORDER BY rowid", (side,)):
            doc = self._doc(row)
            if doc is not None:
                yield doc

    def put(self, doc: Doc) -> None:
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
                to_json(doc.data),
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
            (side, kind, doc_key, receipt, source, to_json(dict(ret)), to_json(list(plan)), to_json(reply), born),
        )

    def open_walks(self, before: int) -> list[Walk]:
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
                plan=json.loads(r["plan"]),
                reply=json.loads(r["reply"]),
            )
            for r in rows
        ]

    def pending(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM walk WHERE open = 1").fetchone()[0])

    def update_walk(self, walk: Walk) -> None:
        self.db.execute(
            "UPDATE walk SET ret = ?, plan = ?, open = ? WHERE id = ?",
            (to_json(walk.ret), to_json(walk.plan), 1 if walk.plan else 0, walk.id),
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
