"""Customs code lists (country, currency, unit) and their ISO equivalents.

The tables are replaceable data files (see ``data/README.md``); this module only reads them.
CEB keeps the customs 3-digit numeric codes (CEB.md §4.3–4.5): currency 142 = CNY, 303 = GBP,
country 303 = United Kingdom, unit 007 = 个. Pure: the folder is passed in.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pycountry

from cbec.errors import UnknownCode


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name_zh: str
    name_en: str = ""
    iso: str = ""
    source: str = ""


@dataclass(frozen=True)
class CodeLists:
    countries: dict[str, Code]
    currencies: dict[str, Code]
    units: dict[str, Code]
    _country_lookup: dict[str, str] = field(default_factory=dict)
    _currency_by_iso: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path | None = None) -> CodeLists:
        """Read the three tables from ``directory`` (default: the files shipped with cbec)."""

        def rows(name: str) -> list[dict[str, str]]:
            if directory is not None and (directory / name).exists():
                text = (directory / name).read_text(encoding="utf-8")
            else:
                text = resources.files("cbec.kit").joinpath("data", name).read_text(encoding="utf-8")
            return list(csv.DictReader(text.splitlines()))

        countries = {
            r["code"]: Code(r["code"], r["name_zh"], r["name_en"], r["iso2"], r["source"]) for r in rows("country.csv")
        }
        currencies = {
            r["code"]: Code(r["code"], r["name_zh"], r["iso"], r["iso"], r["source"]) for r in rows("currency.csv")
        }
        units = {r["code"]: Code(r["code"], r["name_zh"], r["name_en"], "", r["source"]) for r in rows("unit.csv")}
        lookup: dict[str, str] = {}
        for c in countries.values():
            lookup[c.code] = c.code
            if c.iso:
                lookup[c.iso.upper()] = c.code
            lookup[c.name_en.upper()] = c.code
            lookup[c.name_zh] = c.code
        for c in countries.values():
            if c.iso:
                pc = pycountry.countries.get(alpha_2=c.iso)
                if pc is not None:
                    lookup.setdefault(pc.alpha_3.upper(), c.code)
                    lookup.setdefault(pc.name.upper(), c.code)
                    for attr in ("common_name", "official_name"):
                        other = getattr(pc, attr, None)
                        if other:
                            lookup.setdefault(other.upper(), c.code)
        for r in rows("country_alias.csv"):
            lookup[r["alias"].upper()] = r["code"]
        return cls(
            countries,
            currencies,
            units,
            lookup,
            {c.iso.upper(): c.code for c in currencies.values()},
        )

    def country(self, value: str) -> str:
        """Customs country code for a customs code, ISO alpha-2/3, or a name seen in real data."""
        key = value.strip().upper() if value else ""
        code = self._country_lookup.get(key) or self._country_lookup.get(value.strip() if value else "")
        if code is None:
            raise UnknownCode(
                f"unknown country {value!r}: not a customs country code, ISO code or known name",
                f"未知国别(地区) {value!r}：不是海关国别代码、ISO 代码或已知名称",
                field="country",
            )
        return code

    def currency(self, value: str) -> str:
        """Customs currency code for a customs code or an ISO 4217 alpha code."""
        key = value.strip().upper() if value else ""
        if key in self.currencies:
            return key
        code = self._currency_by_iso.get(key)
        if code is None:
            raise UnknownCode(
                f"unknown currency {value!r}: not a customs currency code or ISO 4217 code in the list",
                f"未知币制 {value!r}：不在海关币制代码表中",
                field="currency",
            )
        return code

    def currency_iso(self, code: str) -> str:
        """ISO 4217 alpha code for a customs currency code."""
        try:
            return self.currencies[code].iso
        except KeyError:
            raise UnknownCode(
                f"unknown customs currency code {code!r}", f"未知币制代码 {code!r}", field="currency"
            ) from None

    def is_unit(self, code: str) -> bool:
        return code in self.units

    def is_country(self, code: str) -> bool:
        return code in self.countries

    def is_currency(self, code: str) -> bool:
        return code in self.currencies


@lru_cache(maxsize=4)
def code_lists(directory: Path | None = None) -> CodeLists:
    """The code lists, read once per folder."""
    return CodeLists.load(directory)
