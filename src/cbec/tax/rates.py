"""Rate tables and policy parameters, read from CSV once, looked up by HS code and date.

The files in ``data/`` (described in ``data/README.md``) are starter tables: an operator points
:func:`tax_tables` at a folder holding files of the same names and columns to use their own (a
file missing from that folder falls back to the shipped one). Every row carries its validity
dates, its source document and a status (``C`` confirmed, ``I`` inferred, ``starter``), and the
row used for an assessment is quoted in the assessment's basis.

Lookup: among the rows whose validity covers the date, the one with the longest ``hs_prefix``
that starts the goods' HS code wins (an empty prefix matches every code). Two rows with the same
prefix may not overlap in time; the loader refuses such a table.
"""

from __future__ import annotations

import csv
import decimal
import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cbec.errors import FieldError, InvalidInput, UnknownCode
from cbec.tax.rules import AnnualPeriod

VAT_FILE = "vat_rates.csv"
CONSUMPTION_FILE = "consumption_tax.csv"
TARIFF_FILE = "tariff_rates.csv"
REFUND_FILE = "refund_rates.csv"
CIT_FILE = "cit_small_low_profit.csv"
POLICY_FILE = "policy.csv"
FILES = (VAT_FILE, CONSUMPTION_FILE, TARIFF_FILE, REFUND_FILE, CIT_FILE, POLICY_FILE)

STATUSES = frozenset({"C", "I", "starter"})
ROUNDING_MODES = frozenset(
    name for name in dir(decimal) if name.startswith("ROUND_") and isinstance(getattr(decimal, name), str)
)


@dataclass(frozen=True, slots=True)
class RateRow:
    """One dated rate of one table, as the file gives it."""

    table: str  # file name
    line: int  # row number in the file (header = 1)
    hs_prefix: str
    rate: Decimal
    valid_from: date
    valid_to: date | None
    status: str
    source: str
    note: str = ""
    category: str = ""
    kind: str = ""  # consumption tax only: ad_valorem | specific | compound
    min_price_per_ml_or_g: Decimal | None = None  # consumption tax only
    min_price_per_piece: Decimal | None = None  # consumption tax only
    specific: SpecificDuty | None = None  # consumption tax only: the 从量 part

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    @property
    def has_price_threshold(self) -> bool:
        return self.min_price_per_ml_or_g is not None or self.min_price_per_piece is not None


#: Units a specific consumption tax is counted in (消费税税目税率表): per tonne (啤酒, 黄酒),
#: per litre (refined oil) and per 500 g or 500 ml (白酒's specific part).
SPECIFIC_UNITS = frozenset({"tonne", "litre", "500ml_or_g"})
CONSUMPTION_KINDS = frozenset({"ad_valorem", "specific", "compound"})


@dataclass(frozen=True, slots=True)
class SpecificDuty:
    """The specific (从量) part of a consumption-tax item: CNY ``amount`` per ``unit``.

    ``tier_price``/``amount_below_tier``: a price per unit below which ``amount_below_tier``
    applies instead (beer: 250 per tonne, 220 below CNY 3,000 a tonne). ``litres_per_tonne``
    converts litres to tonnes for a liquid counted by weight, or kilograms to litres for an oil
    counted by volume (消费税暂行条例实施细则's conversion table, e.g. beer 988 L a tonne)."""

    amount: Decimal
    unit: str
    tier_price: Decimal | None = None
    amount_below_tier: Decimal | None = None
    litres_per_tonne: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CitBand:
    """A band of taxable income and the relief of small low-profit enterprises on it."""

    line: int
    valid_from: date
    valid_to: date | None
    band_from: Decimal
    band_to: Decimal
    taxable_share: Decimal  # share of the band's income that is taxed (减按 x% 计入应纳税所得额)
    rate: Decimal  # rate applied to that share
    status: str
    source: str
    note: str = ""

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True, slots=True)
class PolicyValue:
    key: str
    value: str
    status: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class Policy:
    """The assumptions RULES.md marks [I], read from ``policy.csv`` and checked."""

    values: Mapping[str, PolicyValue]
    rounding_quantum: Decimal
    rounding_mode: str
    rounding_scope: str  # "line" | "order"
    annual_period: AnnualPeriod
    limit_value: str  # "dutiable" | "goods"
    threshold_price: str  # "declared" | "dutiable"
    zero_refund_rate_cancelled: bool
    cit_standard_rate: Decimal
    late_return_quota_back: bool = False

    def round(self, amount: Decimal) -> Decimal:
        """Round an amount with the named rounding policy (default: to the fen, half up)."""
        return amount.quantize(self.rounding_quantum, rounding=self.rounding_mode)

    def used(self, *keys: str) -> tuple[PolicyValue, ...]:
        return tuple(self.values[k] for k in keys)


@dataclass(frozen=True)
class TaxTables:
    vat: tuple[RateRow, ...]
    consumption: tuple[RateRow, ...]
    tariff: tuple[RateRow, ...]
    refund: tuple[RateRow, ...]
    cit_bands: tuple[CitBand, ...]
    policy: Policy
    origins: Mapping[str, str]  # file name → "builtin" or the operator's path
    digests: Mapping[str, str]  # file name → sha256 of its bytes

    @property
    def digest(self) -> str:
        """One sha256 over every table, so an assessment names the exact data it used."""
        h = hashlib.sha256()
        for name in FILES:
            h.update(f"{name}:{self.digests[name]}\n".encode())
        return h.hexdigest()

    def vat_rate(self, gcode: str, on: date) -> RateRow:
        row = _longest_prefix(self.vat, gcode, on)
        if row is None:
            raise _no_rate("vatRate", VAT_FILE, "增值税税率", "VAT rate", gcode, on)
        return row

    def consumption_tax(self, gcode: str, on: date) -> RateRow | None:
        """The consumption-tax item of the goods, or None when they are not a taxable item."""
        return _longest_prefix(self.consumption, gcode, on)

    def tariff_rate(self, gcode: str, on: date) -> RateRow:
        row = _longest_prefix(self.tariff, gcode, on)
        if row is None:
            raise _no_rate("tariffRate", TARIFF_FILE, "关税税率", "tariff rate", gcode, on)
        return row

    def refund_rate(self, gcode: str, on: date) -> RateRow:
        row = _longest_prefix(self.refund, gcode, on)
        if row is None:
            raise _no_rate("refundRate", REFUND_FILE, "出口退税率", "export refund rate", gcode, on)
        return row

    def cit_bands_on(self, on: date) -> tuple[CitBand, ...]:
        return tuple(sorted((b for b in self.cit_bands if b.in_force(on)), key=lambda b: b.band_from))


def _longest_prefix(rows: Iterable[RateRow], gcode: str, on: date) -> RateRow | None:
    best: RateRow | None = None
    for row in rows:
        if (
            gcode.startswith(row.hs_prefix)
            and row.in_force(on)
            and (best is None or len(row.hs_prefix) > len(best.hs_prefix))
        ):
            best = row
    return best


def _no_rate(field: str, table: str, what_zh: str, what_en: str, gcode: str, on: date) -> UnknownCode:
    return UnknownCode(
        f"no {what_en} for HS {gcode} on {on.isoformat()} in {table}: give {field} on the line "
        f"or add a row to the operator's {table}",
        f"{table} 中无商品编码 {gcode} 在 {on.isoformat()} 适用的{what_zh}：请在该项填写 {field}，或在运营方的 {table} 中补充",
        field=field,
    )


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


class _FileReader:
    """Reads one CSV file and collects every problem with the file name and row number."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.errors: list[FieldError] = []

    def rows(self, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
        reader = csv.DictReader(self.text.splitlines())
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            self.fail(1, ",".join(missing), "缺少列", "missing columns")
            return []
        out = []
        for number, row in enumerate(reader, start=2):
            if not any((v or "").strip() for v in row.values()):
                continue
            out.append((number, {k: (v or "").strip() for k, v in row.items() if k is not None}))
        return out

    def fail(self, line: int, field: str, zh: str, en: str) -> None:
        self.errors.append(FieldError("rate_table", field, zh, en, document=self.name, line=line))

    def decimal(self, line: int, row: dict[str, str], key: str, *, optional: bool = False) -> Decimal | None:
        text = row.get(key, "")
        if text == "" and optional:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.fail(line, key, f"不是数字：{text!r}", f"not a number: {text!r}")
            return None
        if not value.is_finite() or value < 0:
            self.fail(line, key, f"须为非负数：{text!r}", f"must be a non-negative number: {text!r}")
            return None
        return value

    def rate(self, line: int, row: dict[str, str], key: str = "rate") -> Decimal | None:
        value = self.decimal(line, row, key)
        if value is not None and value >= 1:
            self.fail(line, key, f"税率须为小数，如 0.13：{value}", f"rates are fractions such as 0.13: {value}")
            return None
        return value

    def day(self, line: int, row: dict[str, str], key: str, *, optional: bool = False) -> date | None:
        text = row.get(key, "")
        if text == "" and optional:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(line, key, f"日期须为 YYYY-MM-DD：{text!r}", f"dates are YYYY-MM-DD: {text!r}")
            return None

    def status(self, line: int, row: dict[str, str]) -> str:
        value = row.get("status", "")
        if value not in STATUSES:
            self.fail(
                line, "status", f"状态须为 C、I 或 starter：{value!r}", f"status must be C, I or starter: {value!r}"
            )
        return value

    def source(self, line: int, row: dict[str, str]) -> str:
        value = row.get("source", "")
        if not value:
            self.fail(line, "source", "每行须注明来源", "every row must name its source")
        return value


def _rate_rows(reader: _FileReader, *, consumption: bool = False) -> tuple[RateRow, ...]:
    required: tuple[str, ...] = ("hs_prefix", "rate", "valid_from", "valid_to", "status", "source")
    if consumption:
        required += ("kind", "min_price_per_ml_or_g", "min_price_per_piece")
    out: list[RateRow] = []
    for line, row in reader.rows(required):
        prefix = row["hs_prefix"]
        if prefix and not prefix.isdigit():
            reader.fail(line, "hs_prefix", f"商品编码前缀须为数字：{prefix!r}", f"HS prefixes are digits: {prefix!r}")
        rate = reader.rate(line, row)
        valid_from = reader.day(line, row, "valid_from")
        valid_to = reader.day(line, row, "valid_to", optional=True)
        if valid_from and valid_to and valid_to < valid_from:
            reader.fail(line, "valid_to", "截止日期早于起始日期", "valid_to is before valid_from")
        status = reader.status(line, row)
        source = reader.source(line, row)
        kind = ""
        per_ml = per_piece = None
        specific: SpecificDuty | None = None
        if consumption:
            kind = row["kind"]
            specific = _specific_duty(reader, line, row, kind, rate)
            per_ml = reader.decimal(line, row, "min_price_per_ml_or_g", optional=True)
            per_piece = reader.decimal(line, row, "min_price_per_piece", optional=True)
        if rate is None or valid_from is None:
            continue
        out.append(
            RateRow(
                table=reader.name,
                line=line,
                hs_prefix=prefix,
                rate=rate,
                valid_from=valid_from,
                valid_to=valid_to,
                status=status,
                source=source,
                note=row.get("note", ""),
                category=row.get("category", ""),
                kind=kind,
                min_price_per_ml_or_g=per_ml,
                min_price_per_piece=per_piece,
                specific=specific,
            )
        )
    _check_no_overlap(reader, out, key=lambda r: r.hs_prefix)
    return tuple(out)


def _specific_duty(
    reader: _FileReader, line: int, row: dict[str, str], kind: str, rate: Decimal | None
) -> SpecificDuty | None:
    """The specific part of a consumption-tax row, checked against its ``kind``: ad_valorem has
    none; specific has one and rate 0; compound has one and a rate above 0 (白酒 20%)."""
    if kind not in CONSUMPTION_KINDS:
        reader.fail(
            line,
            "kind",
            f"计征方式须为 ad_valorem（从价）、specific（从量）或 compound（复合）：{kind!r}",
            f"kind must be ad_valorem, specific or compound: {kind!r}",
        )
        return None
    amount = reader.decimal(line, row, "specific_amount", optional=True)
    unit = row.get("specific_unit", "")
    if kind == "ad_valorem":
        if amount is not None or unit:
            reader.fail(
                line, "specific_amount", "从价计征的品目不应有从量税额", "an ad_valorem row has no specific part"
            )
        return None
    if amount is None or unit not in SPECIFIC_UNITS:
        reader.fail(
            line,
            "specific_unit",
            f"从量、复合计征须填写 specific_amount 和 specific_unit（{'、'.join(sorted(SPECIFIC_UNITS))}）",
            f"a {kind} row needs specific_amount and specific_unit ({', '.join(sorted(SPECIFIC_UNITS))})",
        )
        return None
    if rate is not None and (rate == 0) != (kind == "specific"):
        reader.fail(
            line,
            "rate",
            "从量计征税率须为0，复合计征须大于0",
            "a specific row has rate 0, a compound one a rate above 0",
        )
    tier = reader.decimal(line, row, "tier_price_per_unit", optional=True)
    below = reader.decimal(line, row, "specific_amount_below_tier", optional=True)
    if (tier is None) != (below is None):
        reader.fail(
            line,
            "tier_price_per_unit",
            "tier_price_per_unit 与 specific_amount_below_tier 须同时填写",
            "tier_price_per_unit and specific_amount_below_tier go together",
        )
    litres = reader.decimal(line, row, "litres_per_tonne", optional=True)
    if litres is not None and litres == 0:
        reader.fail(line, "litres_per_tonne", "每吨升数须大于0", "litres_per_tonne must be above 0")
        litres = None
    return SpecificDuty(amount, unit, tier, below, litres)


def _check_no_overlap(reader: _FileReader, rows: list[Any], key: Callable[[Any], object]) -> None:
    by_key: dict[object, list[Any]] = {}
    for row in rows:
        by_key.setdefault(key(row), []).append(row)
    for group in by_key.values():
        group.sort(key=lambda r: r.valid_from)
        for earlier, later in itertools.pairwise(group):
            if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
                reader.fail(
                    later.line,
                    "valid_from",
                    f"与第 {earlier.line} 行的有效期重叠",
                    f"validity overlaps row {earlier.line} for the same key",
                )


def _cit_bands(reader: _FileReader) -> tuple[CitBand, ...]:
    required = ("valid_from", "valid_to", "band_from", "band_to", "taxable_share", "rate", "status", "source")
    out: list[CitBand] = []
    for line, row in reader.rows(required):
        valid_from = reader.day(line, row, "valid_from")
        valid_to = reader.day(line, row, "valid_to", optional=True)
        band_from = reader.decimal(line, row, "band_from")
        band_to = reader.decimal(line, row, "band_to")
        share = reader.decimal(line, row, "taxable_share")
        rate = reader.rate(line, row)
        status = reader.status(line, row)
        source = reader.source(line, row)
        if band_from is not None and band_to is not None and band_to <= band_from:
            reader.fail(line, "band_to", "区间上限须大于下限", "band_to must exceed band_from")
        if None in (valid_from, band_from, band_to, share, rate):
            continue
        assert valid_from is not None and band_from is not None and band_to is not None
        assert share is not None and rate is not None
        out.append(
            CitBand(line, valid_from, valid_to, band_from, band_to, share, rate, status, source, row.get("note", ""))
        )
    _check_no_overlap(reader, out, key=lambda b: b.band_from)
    return tuple(out)


_POLICY_CHOICES: dict[str, frozenset[str]] = {
    "rounding.scope": frozenset({"line", "order"}),
    "retail.annual_period": frozenset(p.value for p in AnnualPeriod),
    "retail.limit_value": frozenset({"dutiable", "goods"}),
    "retail.threshold_price": frozenset({"declared", "dutiable"}),
    "refund.zero_rate_cancelled": frozenset({"true", "false"}),
    "retail.late_return_quota_back": frozenset({"true", "false"}),
    "rounding.mode": ROUNDING_MODES,
}


def _policy(reader: _FileReader) -> Policy | None:
    values: dict[str, PolicyValue] = {}
    lines: dict[str, int] = {}
    for line, row in reader.rows(("key", "value", "status", "source")):
        key = row["key"]
        values[key] = PolicyValue(
            key, row["value"], reader.status(line, row), reader.source(line, row), row.get("note", "")
        )
        lines[key] = line
        allowed = _POLICY_CHOICES.get(key)
        if allowed is not None and row["value"] not in allowed:
            reader.fail(
                line,
                "value",
                f"{key} 取值须为 {', '.join(sorted(allowed))}：{row['value']!r}",
                f"{key} must be one of {', '.join(sorted(allowed))}: {row['value']!r}",
            )
    needed = (
        "rounding.quantum",
        "rounding.mode",
        "rounding.scope",
        "retail.annual_period",
        "retail.limit_value",
        "retail.threshold_price",
        "refund.zero_rate_cancelled",
        "retail.late_return_quota_back",
        "cit.standard_rate",
    )
    missing = [k for k in needed if k not in values]
    if missing:
        reader.fail(1, ",".join(missing), "缺少参数", "missing parameters")
        return None
    quantum = reader.decimal(lines["rounding.quantum"], {"value": values["rounding.quantum"].value}, "value")
    cit_rate = reader.rate(lines["cit.standard_rate"], {"value": values["cit.standard_rate"].value}, "value")
    if quantum is not None and quantum <= 0:
        reader.fail(lines["rounding.quantum"], "value", "舍入单位须大于0", "the rounding quantum must be positive")
    if reader.errors or quantum is None or cit_rate is None:
        return None
    return Policy(
        values=MappingProxyType(values),
        rounding_quantum=quantum,
        rounding_mode=getattr(decimal, values["rounding.mode"].value),
        rounding_scope=values["rounding.scope"].value,
        annual_period=AnnualPeriod(values["retail.annual_period"].value),
        limit_value=values["retail.limit_value"].value,
        threshold_price=values["retail.threshold_price"].value,
        zero_refund_rate_cancelled=values["refund.zero_rate_cancelled"].value == "true",
        late_return_quota_back=values["retail.late_return_quota_back"].value == "true",
        cit_standard_rate=cit_rate,
    )


def load_tables(directory: Path | None = None) -> TaxTables:
    """Read every table, from ``directory`` where it holds the file, else the shipped copy.

    Raises :class:`InvalidInput` listing every bad row (file, row number, column) at once.
    """
    texts: dict[str, str] = {}
    origins: dict[str, str] = {}
    for name in FILES:
        if directory is not None and (directory / name).is_file():
            texts[name] = (directory / name).read_text(encoding="utf-8-sig")
            origins[name] = str(directory / name)
        else:
            texts[name] = resources.files("cbec.tax").joinpath("data", name).read_text(encoding="utf-8")
            origins[name] = "builtin"
    readers = {name: _FileReader(name, text) for name, text in texts.items()}
    vat = _rate_rows(readers[VAT_FILE])
    consumption = _rate_rows(readers[CONSUMPTION_FILE], consumption=True)
    tariff = _rate_rows(readers[TARIFF_FILE])
    refund = _rate_rows(readers[REFUND_FILE])
    cit = _cit_bands(readers[CIT_FILE])
    policy = _policy(readers[POLICY_FILE])
    errors = [e for r in readers.values() for e in r.errors]
    if errors or policy is None:
        first = errors[0] if errors else None
        raise InvalidInput(
            f"the tax tables have {len(errors)} problem(s)" + (f"; first: {first}" if first else ""),
            f"税率表有 {len(errors)} 处问题" + (f"；首个：{first}" if first else ""),
            document=str(directory) if directory else "builtin tax tables",
            details=errors,
        )
    return TaxTables(
        vat=vat,
        consumption=consumption,
        tariff=tariff,
        refund=refund,
        cit_bands=cit,
        policy=policy,
        origins=MappingProxyType(origins),
        digests=MappingProxyType({n: hashlib.sha256(t.encode("utf-8")).hexdigest() for n, t in texts.items()}),
    )


@lru_cache(maxsize=8)
def tax_tables(directory: Path | None = None) -> TaxTables:
    """The tables, read once per folder (``None``: the shipped starter tables)."""
    return load_tables(directory)


# --------------------------------------------------------------------------------------------
# The rate an assessment applied, with where it came from
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppliedRate:
    """A rate used in an assessment and its provenance, for the assessment's basis."""

    rate: Decimal
    origin: str  # "table", "input" (per-line override), "rule" (fixed by a rule set), "none"
    source: str
    status: str = ""  # C / I / starter for table rows; C for rules; "" for input
    table: str = ""
    line: int | None = None
    hs_prefix: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = ""

    @classmethod
    def from_row(cls, row: RateRow, *, note: str = "") -> AppliedRate:
        return cls(
            rate=row.rate,
            origin="table",
            source=row.source,
            status=row.status,
            table=row.table,
            line=row.line,
            hs_prefix=row.hs_prefix,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            note=note or row.note,
        )

    @classmethod
    def from_input(cls, rate: Decimal, field: str) -> AppliedRate:
        return cls(rate=rate, origin="input", source=f"input field {field} (per-line override / 逐项指定)")

    @classmethod
    def from_rule(cls, rate: Decimal, source: str, note: str = "") -> AppliedRate:
        return cls(rate=rate, origin="rule", source=source, status="C", note=note)
