"""A carrier's tracking file (CSV, UTF-8 with or without BOM) into canonical events (pure).

Columns (header names, any order, case-insensitive): ``waybill_no``, ``time``, ``event_code``,
and optionally ``location``, ``country``, ``description``, ``code_system``. The carrier is named by
the caller (``--carrier``)."""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError

from cbec.errors import InvalidInput
from cbec.logistics.schemas import EventErrorRead, TrackingEventIn

REQUIRED = ("waybill_no", "time", "event_code")
OPTIONAL = ("location", "country", "description", "code_system")


def read_events_csv(data: bytes, carrier: str) -> tuple[list[tuple[int, TrackingEventIn]], list[EventErrorRead]]:
    """(line, event) of each readable row, and what was wrong with the others."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8", "文件不是 UTF-8 编码", field="file") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(
            f"the file lacks the column(s) {', '.join(missing)}", f"文件缺少列：{'、'.join(missing)}", field="header"
        )
    events, errors = [], []
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        values = {k: row[k] for k in (*REQUIRED, *OPTIONAL) if row.get(k)}
        try:
            events.append((n, TrackingEventIn(carrier=carrier, **values)))  # type: ignore[arg-type]
        except ValidationError as exc:
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else "row"
                errors.append(EventErrorRead(line=n, field=field, message_zh=f"无效：{e['msg']}", message_en=e["msg"]))
    return events, errors
