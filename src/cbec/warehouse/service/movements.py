"""Stock movements in (issue 18, part 2): files kept raw first, then read; movements by API.
A movement received before (its idempotency key) is a duplicate and changes nothing. None of
these commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.config import Settings
from cbec.errors import CbecError, FieldError, InvalidInput
from cbec.intake import service as intake
from cbec.intake.models import InboxItem
from cbec.warehouse import repository
from cbec.warehouse.parsers import Keys, MovementFormat, detect, read
from cbec.warehouse.rules import Movement, signed
from cbec.warehouse.schemas import MovementImportRead, MovementIn
from cbec.warehouse.service.warehouses import names

CHUNK = 5000


@dataclass
class MovementReport:
    inbox_id: int | None
    format: str
    rows: int = 0
    movements: int = 0
    duplicates: int = 0
    unregistered: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    failure: CbecError | None = None

    def read(self) -> MovementImportRead:
        return MovementImportRead(
            inbox_id=self.inbox_id, format=self.format, rows=self.rows, movements=self.movements,
            duplicates=self.duplicates, unregistered_warehouses=self.unregistered, errors=self.errors[:200],
            error_count=len(self.errors),
        )  # fmt: skip


def movement_format(name: str, data: bytes, filename: str) -> MovementFormat:
    if name in ("", "auto"):
        return detect(data, filename)
    try:
        return MovementFormat(name)
    except ValueError:
        raise InvalidInput(
            f"unknown movement file format {name!r}; one of {', '.join(f.value for f in MovementFormat)}",
            f"未知的库存文件格式 {name!r}；可选 {'、'.join(f.value for f in MovementFormat)}",
            field="format",
        ) from None


def keep(
    session: Session, settings: Settings, data: bytes, *, seller: str, sender: str, fmt: str, filename: str,
    channel: str,
) -> InboxItem:  # fmt: skip
    """The file exactly as received, in the inbox (the edge commits before ``read_movement_file``)."""
    return intake.keep_raw(
        session, settings, data, seller_code=seller, sender_code=sender, format_name=fmt, filename=filename,
        channel=channel,
    )  # fmt: skip


def read_movement_file(
    session: Session, settings: Settings, item: InboxItem, *, seller: str, fmt: MovementFormat
) -> MovementReport:
    """Read a kept file into movements, a slice of rows at a time. Never raises for bad input:
    the report says what failed (a row's error names its row and field; the file stays in the
    inbox)."""
    report = MovementReport(inbox_id=item.id, format=fmt.value)
    try:
        rows = read(intake.raw_bytes(settings, item), fmt, item.filename)
    except CbecError as exc:
        report.failure = exc
        intake.record_run(session, item.id, status="failed", stats={}, errors=[exc.as_dict()])
        return report
    keys, codes = Keys(seller, fmt.value), set[str]()
    while part := list(islice(rows, CHUNK)):
        moves, dispositions = [], []
        for _, got, disposition in part:
            report.rows += 1
            if isinstance(got, FieldError):
                report.errors.append(got.as_dict())
            else:
                moves.append(got)
                dispositions.append(disposition)
        _store(session, seller, keys, moves, report, inbox_id=item.id, dispositions=dispositions)
        codes |= _codes(moves)
    report.unregistered = sorted(codes - set(names(session, codes)))
    stats = {"rows": report.rows, "movements": report.movements, "duplicates": report.duplicates}
    intake.record_run(session, item.id, status="done", stats=stats, errors=report.errors)
    return report


def add_movements(session: Session, seller: str, given: list[MovementIn]) -> MovementReport:
    """Movements pushed by API (a warehouse company's WMS, a seller's ERP)."""
    report = MovementReport(inbox_id=None, format="api", rows=len(given))
    moves = [
        Movement(m.warehouse, m.sku, m.movement, signed(m.movement, -abs(m.quantity) if m.to_warehouse else m.quantity),
                 m.date, m.reference, m.list_no, m.to_warehouse, i)
        for i, m in enumerate(given, start=1)
    ]  # fmt: skip
    _store(session, seller, Keys(seller, "api"), moves, report, ids=[m.id for m in given])
    codes = _codes(moves)
    report.unregistered = sorted(codes - set(names(session, codes)))
    audit.record(
        session, "warehouse.movements", f"seller:{seller}", {"added": report.movements, "duplicates": report.duplicates}
    )
    return report


def _codes(moves: list[Movement]) -> set[str]:
    return {m.warehouse for m in moves} | {m.to_warehouse for m in moves if m.to_warehouse}


def _store(
    session: Session, seller: str, keys_of: Keys, moves: list[Movement], report: MovementReport, *,
    inbox_id: int | None = None, ids: list[str] | None = None, dispositions: list[str] | None = None,
) -> None:  # fmt: skip
    keys = keys_of.of(moves, ids or ())
    seen: set[str] = set()
    for start in range(0, len(moves), CHUNK):
        seen |= repository.existing_keys(session, seller, keys[start : start + CHUNK])
        rows = []
        for i in range(start, min(start + CHUNK, len(moves))):
            m, key = moves[i], keys[i]
            if key in seen:
                report.duplicates += 1
                continue
            seen.add(key)
            rows.append(
                {
                    "seller_code": seller, "key": key, "warehouse": m.warehouse, "sku": m.sku, "kind": m.kind.value,
                    "quantity": m.quantity, "day": m.day, "reference": m.reference, "list_no": m.list_no,
                    "to_warehouse": m.to_warehouse, "disposition": (dispositions[i] if dispositions else "")[:30],
                    "source": keys_of.source, "inbox_id": inbox_id, "row": m.row,
                }
            )  # fmt: skip
        repository.insert_movements(session, rows)
        report.movements += len(rows)
