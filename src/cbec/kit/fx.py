"""Exchange rates to the yuan for currencies that have no customs currency code.

A marketplace may settle in a currency the customs currency table does not list (MXN, BRL, AED,
PLN, INR …). Such an order is never refused and never declared under an invented code: it is
converted to CNY (customs code 142) at a rate the zone operator publishes, with the rate, its
day and its source shown on the document.

The rates are replaceable data read at run time from ``CBEC_FX_RATES_FILE`` (CSV: ``currency``
ISO 4217, ``cny_per_unit``, ``valid_from``, ``valid_to`` (empty: open), ``source``). The
platform ships none: which rate customs accepts (e.g. a monthly rate fixed by customs, or the
People's Bank of China's central parity of a given day) is the zone's to publish; without a
rate the document is kept, marked invalid on ``currency`` with what is missing, and converts
when resubmitted after the rate is added. Pure once loaded.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from cbec.config import get_settings
from cbec.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class FxRate:
    currency: str  # ISO 4217
    cny_per_unit: Decimal
    valid_from: date
    valid_to: date | None
    source: str

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class FxTable:
    rates: tuple[FxRate, ...] = ()
    origin: str = ""

    @classmethod
    def load(cls, path: Path) -> FxTable:
        """Read a rates file; a bad row is an error naming the file, row and field."""
        rates: list[FxRate] = []
        with path.open(encoding="utf-8-sig", newline="") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                rates.append(_row(row, path, n))
        return cls(tuple(rates), str(path))

    def rate_on(self, currency: str, day: date) -> FxRate | None:
        """The rate of ``currency`` in force on ``day``: of the rates covering it, the latest."""
        found = [r for r in self.rates if r.currency == currency.upper() and r.covers(day)]
        return max(found, key=lambda r: r.valid_from) if found else None


def _row(row: dict[str, str], path: Path, n: int) -> FxRate:
    def fail(field: str, why_en: str, why_zh: str) -> InvalidInput:
        return InvalidInput(
            f"{path.name} row {n}: {field} {why_en}", f"{path.name} 第 {n} 行：{field} {why_zh}", field=field,
            document=str(path),
        )  # fmt: skip

    currency = (row.get("currency") or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise fail("currency", "must be an ISO 4217 code such as MXN", "须为 ISO 4217 代码，如 MXN")
    try:
        rate = Decimal((row.get("cny_per_unit") or "").strip())
        valid_from = date.fromisoformat((row.get("valid_from") or "").strip())
        to_text = (row.get("valid_to") or "").strip()
        valid_to = date.fromisoformat(to_text) if to_text else None
    except (InvalidOperation, ValueError):
        raise fail(
            "cny_per_unit/valid_from/valid_to", "is not a number or a YYYY-MM-DD day", "不是数字或日期"
        ) from None
    if not rate.is_finite() or rate <= 0:
        raise fail("cny_per_unit", "must be above 0", "须大于 0")
    source = (row.get("source") or "").strip()
    if not source:
        raise fail("source", "must say where the rate comes from", "须注明汇率来源")
    return FxRate(currency, rate, valid_from, valid_to, source)


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> FxTable:
    return FxTable.load(path)


def fx_table() -> FxTable:
    """The configured rates (an empty table when none is configured); re-read when the file changes."""
    path = get_settings().fx_rates_file
    if path is None or not path.is_file():
        return FxTable()
    return _load(path, path.stat().st_mtime)
