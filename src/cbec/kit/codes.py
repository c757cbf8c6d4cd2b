"""Customs code lists (country, currency, unit) and their ISO equivalents.

The official tables are read at run time from the reference folder, like the CEB XSDs
(``CBEC_CODE_LIST_DIR``, default ``<shared>/reference/codes``; its SOURCES.md says where each
table comes from and what is unverified), never from a copy inside the project:

* ``country.csv`` — the customs country (region) table in the 3-digit numeric form CEB messages
  use (CEB.md §4.3): 242 codes with their ISO 3166-1 alpha-2/3 and names;
* ``country_alias_suggested.csv`` — the ISO 3166-1 territories with no code of their own (Jersey,
  Guernsey, Isle of Man, Åland …), each with a *suggested* customs code and its reasoning. These
  are suggestions, not official mappings: an order to such a territory is never refused; it is
  declared under the suggested code and :meth:`CodeLists.country_alias` tells the user so;
* ``currency.csv`` — the customs currency codes with ISO 4217 (34 rows);
* ``unit.csv`` — the customs units of measure (123 rows).

The project adds one table of its own, ``data/country_alias.csv``: country names seen in real
marketplace data ("EIRE", "RSA", "Unspecified") and the code each means. English currency names
are ISO 4217's (pycountry). CEB keeps the customs numeric codes: currency 142 = CNY, 303 = GBP,
country 303 = United Kingdom, unit 007 = 个. Pure once loaded: the folder is passed in.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pycountry

from cbec.config import get_settings
from cbec.errors import CbecError, UnknownCode

#: the official tables read from the reference folder
REFERENCE_FILES = ("country.csv", "country_alias_suggested.csv", "currency.csv", "unit.csv")


class CodeListsUnavailable(CbecError):
    code = "code_lists_unavailable"
    http_status = 503


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name_zh: str
    name_en: str = ""
    iso: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class CountryAlias:
    """A territory without a customs code of its own, declared under a suggested one."""

    iso2: str
    name_en: str
    code: str
    reason: str

    def note(self, code_name_zh: str, code_name_en: str) -> tuple[str, str]:
        """What the user is shown when an order's country goes through the alias (zh, en)."""
        return (
            f"{self.name_en}（{self.iso2}）在海关国别代码表中无单独代码，按建议代码 {self.code} "
            f"{code_name_zh} 申报（可替换的建议映射：{self.reason}）",
            f"{self.name_en} ({self.iso2}) has no code of its own in the customs country table: declared "
            f"as {self.code} {code_name_en} (a suggested, replaceable mapping: {self.reason})",
        )


@dataclass(frozen=True)
class CodeLists:
    countries: dict[str, Code]
    currencies: dict[str, Code]
    units: dict[str, Code]
    _country_lookup: dict[str, str] = field(default_factory=dict)
    _currency_by_iso: dict[str, str] = field(default_factory=dict)
    _aliases: dict[str, CountryAlias] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> CodeLists:
        """Read the official tables from ``directory`` and the project's names seen in real data."""
        missing = [name for name in REFERENCE_FILES if not (directory / name).is_file()]
        if missing:
            raise CodeListsUnavailable(
                f"the customs code tables are not in {directory} (missing {', '.join(missing)}); "
                "set CBEC_CODE_LIST_DIR to the folder holding them",
                f"海关代码表不在 {directory}（缺少 {'、'.join(missing)}）；请设置 CBEC_CODE_LIST_DIR",
            )

        def rows(name: str) -> list[dict[str, str]]:
            with (directory / name).open(encoding="utf-8", newline="") as f:
                return list(csv.DictReader(f))

        countries = {
            r["code"]: Code(r["code"], r["name_zh"], r["name_en"], r["iso2"], r.get("note", ""))
            for r in rows("country.csv")
        }
        currencies = {
            r["code"]: Code(r["code"], r["name_zh"], _currency_name(r["iso"]), r["iso"]) for r in rows("currency.csv")
        }
        units = {r["code"]: Code(r["code"], r["name_zh"], r.get("name_en", "")) for r in rows("unit.csv")}
        aliases = {
            r["iso2"].upper(): CountryAlias(r["iso2"].upper(), _country_name(r["iso2"]), r["code"], r["reason"])
            for r in rows("country_alias_suggested.csv")
        }
        return cls(
            countries,
            currencies,
            units,
            _country_lookup(countries, aliases),
            {c.iso.upper(): c.code for c in currencies.values() if c.iso},
            aliases,
        )

    def country(self, value: str) -> str:
        """Customs country code for a customs code, ISO alpha-2/3, or a name seen in real data; a
        territory without a code of its own gets its suggested code (see :meth:`country_alias`)."""
        key = value.strip().upper() if value else ""
        code = self._country_lookup.get(key) or self._country_lookup.get(value.strip() if value else "")
        if code is None:
            raise UnknownCode(
                f"unknown country {value!r}: not a customs country code, ISO 3166-1 code or known name",
                f"未知国别(地区) {value!r}：不是海关国别代码、ISO 3166-1 代码或已知名称",
                field="country",
            )
        return code

    def country_alias(self, value: str) -> CountryAlias | None:
        """The suggested mapping ``value`` went through, when it names a territory without a
        customs code of its own (by ISO alpha-2/3 or name); None otherwise."""
        key = value.strip().upper() if value else ""
        alias = self._aliases.get(key)
        if alias is None:
            iso2 = _pycountry_alpha2(key)
            alias = self._aliases.get(iso2) if iso2 is not None else None
        return alias

    def country_note(self, value: str) -> tuple[str, str] | None:
        """The note shown on a document whose country went through a suggested alias (zh, en)."""
        alias = self.country_alias(value)
        if alias is None:
            return None
        target = self.countries.get(alias.code)
        return alias.note(target.name_zh if target else "", target.name_en if target else "")

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

    def currency_or_iso(self, value: str) -> str:
        """The customs currency code, or for a real ISO 4217 currency without one (MXN) its ISO
        code, to be converted to CNY at intake (:mod:`cbec.kit.fx`); anything else is unknown."""
        try:
            return self.currency(value)
        except UnknownCode:
            key = value.strip().upper() if value else ""
            if len(key) == 3 and key.isalpha() and pycountry.currencies.get(alpha_3=key) is not None:
                return key
            raise

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


def _pycountry_alpha2(key: str) -> str | None:
    """ISO 3166-1 alpha-2 of a code or name pycountry knows."""
    if not key:
        return None
    try:
        return str(pycountry.countries.lookup(key).alpha_2)
    except LookupError:
        return None


def _country_name(iso2: str) -> str:
    found = pycountry.countries.get(alpha_2=iso2.upper())
    return str(found.name) if found is not None else iso2


def _currency_name(iso: str) -> str:
    found = pycountry.currencies.get(alpha_3=iso.upper()) if iso else None
    return str(found.name) if found is not None else iso


def _country_lookup(countries: dict[str, Code], aliases: dict[str, CountryAlias]) -> dict[str, str]:
    """Every spelling that names a customs country: its code, ISO alpha-2/3, names (Chinese,
    English, ISO's common and official names), then the suggested aliases, then the names seen in
    real data (the project's own table, which wins)."""
    lookup: dict[str, str] = {}
    for c in countries.values():
        lookup[c.code] = c.code
        if c.iso:
            lookup[c.iso.upper()] = c.code
        if c.name_en:
            lookup[c.name_en.upper()] = c.code
        lookup[c.name_zh] = c.code
    for c in countries.values():
        if c.iso:
            _add_iso_names(lookup, c.iso, c.code)
    for alias in aliases.values():
        lookup.setdefault(alias.iso2, alias.code)
        _add_iso_names(lookup, alias.iso2, alias.code)
    text = resources.files("cbec.kit").joinpath("data", "country_alias.csv").read_text(encoding="utf-8")
    for r in csv.DictReader(text.splitlines()):
        lookup[r["alias"].upper()] = r["code"]
    return lookup


def _add_iso_names(lookup: dict[str, str], iso2: str, code: str) -> None:
    pc = pycountry.countries.get(alpha_2=iso2.upper())
    if pc is None:
        return
    lookup.setdefault(pc.alpha_3.upper(), code)
    for attr in ("name", "common_name", "official_name"):
        other = getattr(pc, attr, None)
        if other:
            lookup.setdefault(str(other).upper(), code)


def reference_dir() -> Path:
    """The folder of the official code tables: ``CBEC_CODE_LIST_DIR``, else the shared reference."""
    settings = get_settings()
    if settings.code_list_dir is not None:
        return settings.code_list_dir
    if settings.shared_dir is not None:
        return settings.shared_dir / "reference" / "codes"
    raise CodeListsUnavailable(
        "the customs code tables are not configured; set CBEC_CODE_LIST_DIR",
        "未配置海关代码表目录；请设置 CBEC_CODE_LIST_DIR",
    )


@lru_cache(maxsize=4)
def code_lists(directory: Path | None = None) -> CodeLists:
    """The code lists, read once per folder (default: :func:`reference_dir`)."""
    return CodeLists.load(directory if directory is not None else reference_dir())
