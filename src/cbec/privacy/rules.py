"""Erasing one buyer's personal data (issue 21, part 3). Pure: no database, no files, no clock.

《个人信息保护法》(PIPL) 第47条: the handler deletes personal information on the person's request
or when its purpose is served; where a law requires it to be kept for longer, processing stops
except storage and the necessary protection. Which records customs law requires a platform to
keep, and for how long, is not settled in RULES.md: see docs/privacy.md (marked uncertain there).

What this module decides: which fields of a document or a declaration hold a person's identity
or contact, what replaces them, and which byte forms of a value a raw file may hold it in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: what an erased value becomes, everywhere: ASCII, and no character that JSON, CSV, TSV or XML
#: would need to escape, so it can replace a value inside a raw file without breaking its syntax
ERASED = "ERASED"

#: CEB and intake fields holding a buyer's, payer's or consignee's identity or contact
#: (CEB311 OrderHead, CEB411 PaymentHead, CEB511 LogisticsHead, CEB621 InventoryHead,
#: CEB623/625): the ID number, the name, the phone and the address
PERSON_FIELDS = frozenset(
    {
        "buyerIdNumber",
        "buyerName",
        "buyerTelephone",
        "payerIdNumber",
        "payerName",
        "payerTelephone",
        "consignee",
        "consigneeTelephone",
        "consigneeAddress",
        "consigneeIdNumber",
        "idNumber",
        "telephone",
    }
)

#: a value shorter than this is not searched for inside raw files: a one-character "name"
#: would erase that character from every text around it
MIN_SEARCHED_LENGTH = 2

#: how long the encrypted copy is kept: three years [uncertain: not in RULES.md; 《电子商务法》
#: 第31条 and the customs audit period (海关稽查条例) both speak of three years from the
#: transaction or release, to be confirmed against the official texts, docs/privacy.md]
RETENTION_YEARS = 3
RETENTION_BASIS = (
    "《个人信息保护法》第47条 (keep only where a law requires, storage and protection only); "
    "《电子商务法》第31条 / 海关稽查条例 three years [uncertain, docs/privacy.md]"
)


@dataclass(frozen=True, slots=True)
class PersonValues:
    """The texts that identify one person across the platform's records."""

    values: frozenset[str] = field(default_factory=frozenset)

    @staticmethod
    def collect(records: Iterable[Mapping[str, Any]]) -> PersonValues:
        """Every personal field's value in these heads and lines (nested lists included)."""
        found: set[str] = set()
        for record in records:
            _collect(record, found)
        return PersonValues(frozenset(v for v in found if v and v != ERASED))

    @property
    def searched(self) -> list[str]:
        """The values to look for inside raw bytes, longest first (an address before a name it
        might contain)."""
        return sorted((v for v in self.values if len(v) >= MIN_SEARCHED_LENGTH), key=lambda v: (-len(v), v))


def _collect(obj: Any, found: set[str]) -> None:
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if k in PERSON_FIELDS and isinstance(v, str | int) and str(v).strip():
                found.add(str(v).strip())
            else:
                _collect(v, found)
    elif isinstance(obj, list):
        for v in obj:
            _collect(v, found)


def erase_fields(obj: Any) -> tuple[Any, int]:
    """A copy of a JSON-like structure with every personal field replaced by ``ERASED``, and
    how many fields were replaced."""
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        n = 0
        for k, v in obj.items():
            if k in PERSON_FIELDS and v not in (None, "", ERASED):
                out[k], n = ERASED, n + 1
            else:
                out[k], m = erase_fields(v)
                n += m
        return out, n
    if isinstance(obj, list):
        items, n = [], 0
        for v in obj:
            item, m = erase_fields(v)
            items.append(item)
            n += m
        return items, n
    return obj, 0


def erase_text(obj: Any, person: PersonValues) -> tuple[Any, int]:
    """A copy of a JSON-like structure with the person's values replaced inside every string
    (error messages that quote a value, free text), and how many strings changed."""
    if isinstance(obj, str):
        new = obj
        for v in person.searched:
            new = new.replace(v, ERASED)
        return new, int(new != obj)
    if isinstance(obj, Mapping):
        pairs = [(k, *erase_text(v, person)) for k, v in obj.items()]
        return {k: v for k, v, _ in pairs}, sum(n for _, _, n in pairs)
    if isinstance(obj, list):
        items = [erase_text(v, person) for v in obj]
        return [v for v, _ in items], sum(n for _, n in items)
    return obj, 0


def byte_forms(value: str) -> list[bytes]:
    """The byte strings a value may appear as in a stored file: UTF-8 (JSON, XML, CSV as sent),
    GB18030 (GBK: a Chinese spreadsheet program's CSV), and JSON's ``\\uXXXX`` escapes (upper and
    lower case hex), which is how a JSON column holds Chinese text written with ``ensure_ascii``."""
    forms = [value.encode("utf-8"), value.encode("gb18030")]  # GB18030 encodes every Unicode character
    escaped = json.dumps(value)[1:-1]
    if escaped != value:
        forms += [escaped.encode("ascii"), _upper_hex(escaped).encode("ascii")]
    return list(dict.fromkeys(forms))


def _upper_hex(escaped: str) -> str:
    parts = escaped.split("\\u")
    return parts[0] + "".join("\\u" + p[:4].upper() + p[4:] for p in parts[1:])


def redact_bytes(data: bytes, person: PersonValues) -> tuple[bytes, int]:
    """The bytes with every form of the person's values replaced by ``ERASED``, and how many
    occurrences were replaced."""
    n = 0
    replacement = ERASED.encode("ascii")
    for value in person.searched:
        for form in byte_forms(value):
            count = data.count(form)
            if count:
                data, n = data.replace(form, replacement), n + count
    return data, n


def holds_any(data: bytes, person: PersonValues) -> bool:
    return any(form in data for value in person.searched for form in byte_forms(value))


def retain_until(on: date) -> date:
    """The last day the encrypted copy is kept: ``RETENTION_YEARS`` after ``on``, the buyer's
    last order or declaration (the 29th of February becomes the 28th)."""
    try:
        return on.replace(year=on.year + RETENTION_YEARS)
    except ValueError:
        return on.replace(year=on.year + RETENTION_YEARS, day=28)
