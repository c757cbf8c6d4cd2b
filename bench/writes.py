"""What a row written costs, by the path that writes it (issue 22, decision 0016).

    uv run python bench/writes.py                    # 20,000 rows a case, SQLite
    uv run python bench/writes.py --rows-of DB       # also: rows a list in a kept e2e database

A migrated SQLite database in a temporary folder; the same rows of the two tables receipts
write most (``declaration_event`` inserts, ``declaration`` status updates) are written through
the ORM's bulk path (``session.execute(insert(Model), rows)``), SQLAlchemy Core on the table,
and the floor: the sqlite3 driver's ``executemany`` with the values already as the driver takes
them. CPU microseconds a row, each case in one transaction, best of three.

``--rows-of`` counts the rows of every table of a database that ``bench/e2e.py --keep DIR``
left (``DIR/<mix>/data-sqlite/cbec.db``) and divides by its lists: the writes a list costs.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session

from cbec.customs.models import Declaration, DeclarationEvent
from cbec.db import engine_for, migrate

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
DECLARATIONS = 6_000
DECLARATION = cast(Table, Declaration.__table__)
EVENT = cast(Table, DeclarationEvent.__table__)


def _declarations(url: str) -> None:
    row = {
        "message_type": "CEB603", "direction": "export", "trade_mode": "9610", "seller_code": "91330782MA2DEMN016",
        "ebp_code": "91330782MA2DEMP02Y", "order_no": "", "logistics_no": "", "country": "502", "currency": "502",
        "entity": {}, "status": "sent", "return_info": "", "invt_no": "", "pre_no": "", "created_at": NOW,
        "updated_at": NOW,
    }  # fmt: skip
    rows = [{**row, "cop_no": f"C{i:08d}", "guid": f"{i:036d}", "order_no": f"SO{i}"} for i in range(DECLARATIONS)]
    with engine_for(url).begin() as c:
        c.execute(insert(DECLARATION), rows)


def _events(n: int) -> list[dict[str, Any]]:
    return [
        {
            "declaration_id": 1 + i % DECLARATIONS, "at": NOW, "before": "sent", "after": "accepted",
            "return_status": 2, "return_time": "20261206100000000", "return_info": "新增申报成功",
            "source": "receipt-00001.xml",
        }
        for i in range(n)
    ]  # fmt: skip


def _best(run: Callable[[], float]) -> float:
    return min(run() for _ in range(3))


def _timed(url: str, work: Callable[[Session], object]) -> float:
    with Session(engine_for(url)) as session:
        started = time.process_time()
        work(session)
        session.flush()
        spent = time.process_time() - started
        session.rollback()
    return spent


def _raw(path: Path, sql: str, values: list[tuple[Any, ...]]) -> float:
    conn = sqlite3.connect(path)
    try:
        started = time.process_time()
        conn.executemany(sql, values)
        spent = time.process_time() - started
        conn.rollback()
    finally:
        conn.close()
    return spent


def cases(url: str, path: Path, n: int) -> dict[str, float]:
    events = _events(n)
    table = DECLARATION
    changes = [{"b_id": 1 + i % DECLARATIONS, "status": "accepted", "return_status": 2} for i in range(n)]
    cols = list(events[0])
    plain = [tuple(NOW.isoformat(" ") if k == "at" else e[k] for k in cols) for e in events]
    return {
        "insert event: ORM bulk": _best(lambda: _timed(url, lambda s: s.execute(insert(DeclarationEvent), events))),
        "insert event: Core": _best(lambda: _timed(url, lambda s: s.execute(insert(EVENT), events))),
        "insert event: floor (sqlite3)": _best(
            lambda: _raw(path, f"INSERT INTO declaration_event ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", plain)
        ),
        "update status: ORM bulk": _best(
            lambda: _timed(url, lambda s: s.execute(update(Declaration), [{"id": c["b_id"], "status": c["status"], "return_status": 2} for c in changes]))
        ),
        "update status: Core": _best(
            lambda: _timed(url, lambda s: s.execute(
                update(table).where(table.c.id == bindparam("b_id"))
                .values(status=bindparam("status"), return_status=bindparam("return_status")), changes))
        ),
        "update status: floor (sqlite3)": _best(
            lambda: _raw(path, "UPDATE declaration SET status = ?, return_status = ? WHERE id = ?",
                         [(c["status"], c["return_status"], c["b_id"]) for c in changes])
        ),
    }  # fmt: skip


def rows_a_list(db: Path) -> None:
    conn = sqlite3.connect(db)
    names = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in names if t != "alembic_version"}
    lists = conn.execute("SELECT count(*) FROM declaration WHERE message_type IN ('CEB603', 'CEB621')").fetchone()[0]
    conn.close()
    print(f"\n{db}: {lists:,} lists, {sum(counts.values()):,} rows, {sum(counts.values()) / lists:.1f} rows a list")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        if n:
            print(f"  {name:<28}{n:>9,}{n / lists:>8.2f} a list")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--rows-of", type=Path, help="a kept e2e database: its rows a list")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cbec-writes-") as tmp:
        path = Path(tmp) / "cbec.db"
        url = f"sqlite:///{path}"
        migrate(url)
        _declarations(url)
        figures = cases(url, path, args.rows)
    print(f"{'case (SQLite, one transaction)':<34}{'µs a row':>10}{'x floor':>9}")
    for name, seconds in figures.items():
        floor = figures[name.split(":")[0] + ": floor (sqlite3)"]
        print(f"{name:<34}{seconds / args.rows * 1e6:>10.1f}{seconds / floor:>9.1f}")
    if args.rows_of:
        rows_a_list(args.rows_of)


if __name__ == "__main__":
    main()
