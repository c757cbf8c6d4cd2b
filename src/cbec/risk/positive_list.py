"""The retail import positive list (跨境电子商务零售进口商品清单): whether a goods code may come in
as a cross-border retail import. Pure: the list is passed in (the service reads the data file).

Source: the 2019 edition as amended by 财政部等八部门公告2022年第7号 (in force 2022-03-01) [V2];
the shipped file is a partial transcription (``data/positive_list.csv``, every row [B]); keyed by
the 8-digit tariff line (税则号列), the first 8 digits of the 10-digit declared code (RULES.md §1.5).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PositiveList:
    lines: frozenset[str]
    source: str

    @classmethod
    def from_text(cls, text: str, source: str) -> PositiveList:
        rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
        lines = set()
        for n, r in enumerate(rows, start=2):
            code = (r.get("tariff_line") or "").strip()
            if len(code) != 8 or not code.isdigit():
                raise ValueError(f"{source}: row {n}: tariff_line must be 8 digits, not {code!r}")
            lines.add(code)
        return cls(frozenset(lines), source)

    def allows(self, gcode: str) -> bool:
        return gcode.strip()[:8] in self.lines


def not_listed(plist: PositiveList, gcodes: Iterable[str]) -> list[str]:
    """The goods codes that are not on the list, in the order given, each once."""
    out: list[str] = []
    for g in gcodes:
        if not plist.allows(g) and g not in out:
            out.append(g)
    return out


def refusal_text(codes: list[str]) -> tuple[str, str]:
    listed = ", ".join(codes)
    return (
        f"商品编码 {listed} 不在跨境电子商务零售进口商品清单内（2019年版，经财政部等八部门公告2022年第7号调整）："
        "不能以跨境电商零售进口方式申报，请改按一般贸易进口或退回",
        f"goods code {listed} is not on the cross-border e-commerce retail import positive list (2019 edition as"
        " amended by MOF et al. announcement 2022 No. 7): it cannot be declared as a retail import; declare it"
        " as general trade or send it back",
    )
