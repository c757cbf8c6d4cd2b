"""A seller's catalogue file (商品备案表) as exported from its ERP: SKU, HS code, Chinese name,
legal units and origin, one row per SKU, CSV or XLSX. Pure: bytes in, typed rows and errors out.

Columns are found by name in the first row that names the SKU column (English or Chinese, case
and spaces ignored). Each row is checked on its own: a wrong HS code or unit is an error of that
row and field; the other rows are kept. A unit may be the customs code (``007``) or its Chinese
name (``个``); an origin the customs country code, an ISO code or a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cbec.catalogue.hs import validate_cn_hs_code
from cbec.errors import FieldError, InvalidInput, UnknownCode
from cbec.kit.codes import CodeLists
from cbec.kit.sheets import cell_text, sheet_rows

#: column → the names sellers' files use for it
COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "itemno", "seller sku", "商品货号", "货号", "企业商品货号", "商品编号"),
    "hs_code": ("hs", "hs code", "hscode", "gcode", "hs编码", "商品编码", "海关编码", "税号"),
    "name_zh": ("name_zh", "gname", "中文品名", "商品名称", "品名", "中文名称"),
    "name_en": ("name_en", "english name", "英文品名", "英文名称", "product name", "title"),
    "unit1": ("unit1", "法定第一单位", "第一单位", "法定计量单位"),
    "unit2": ("unit2", "法定第二单位", "第二单位"),
    "origin": ("origin", "origin country", "country of origin", "原产国", "原产国(地区)", "原产地"),
}
_KEY = re.compile(r"[\s_\-()（）]+")


def _key(text: str) -> str:
    return _KEY.sub("", text.lower())


_BY_KEY = {_key(alias): column for column, aliases in COLUMNS.items() for alias in (column, *aliases)}


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    row: int
    sku: str
    hs_code: str
    name_zh: str
    name_en: str
    unit1: str | None
    unit2: str | None
    origin_country: str | None


def read_catalogue(data: bytes, codes: CodeLists, *, document: str) -> tuple[list[CatalogueRow], list[FieldError]]:
    """The file's rows that can be recorded, and every cell that cannot (naming row and field)."""
    rows = [
        (n, cells)
        for n, cells in sheet_rows(data, what_en="catalogue", what_zh="商品备案表")
        if any(cell_text(c) for c in cells)
    ]
    header_at = next(
        (i for i, (_, cells) in enumerate(rows[:10]) if any(_BY_KEY.get(_key(cell_text(c))) == "sku" for c in cells)),
        None,
    )
    if header_at is None:
        raise InvalidInput(
            f"{document}: no header row naming the SKU column (SKU / 商品货号) in the first ten rows",
            f"{document}：前十行中没有包含 SKU 列（SKU / 商品货号）的表头",
            field="sku",
            document=document,
        )
    columns = {
        _BY_KEY[_key(cell_text(c))]: i for i, c in enumerate(rows[header_at][1]) if _key(cell_text(c)) in _BY_KEY
    }
    if "hs_code" not in columns:
        raise InvalidInput(
            f"{document}: the header has no HS code column (HS code / 商品编码)",
            f"{document}：表头缺少 HS 编码列（HS code / 商品编码）",
            field="hs_code",
            document=document,
        )
    out: list[CatalogueRow] = []
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for number, cells in rows[header_at + 1 :]:
        read = _row(number, cells, columns, codes, document, errors)
        if read is None:
            continue
        if read.sku in seen:
            errors.append(
                _error(
                    "duplicate",
                    "sku",
                    f"SKU {read.sku} 已在第 {seen[read.sku]} 行出现",
                    f"SKU {read.sku} is already on row {seen[read.sku]}",
                    document,
                    number,
                )
            )
            continue
        seen[read.sku] = number
        out.append(read)
    return out, errors


def _error(code: str, field: str, zh: str, en: str, document: str, row: int) -> FieldError:
    return FieldError(code, field, f"第 {row} 行：{zh}", f"row {row}: {en}", document=document, line=row)


def _row(
    number: int,
    cells: tuple[object, ...],
    columns: dict[str, int],
    codes: CodeLists,
    document: str,
    errors: list[FieldError],
) -> CatalogueRow | None:
    def cell(column: str) -> str:
        i = columns.get(column)
        return cell_text(cells[i]) if i is not None and i < len(cells) else ""

    sku = cell("sku")
    if not sku:
        errors.append(_error("required", "sku", "缺少 SKU", "the SKU is empty", document, number))
        return None
    if len(sku) > 30:
        errors.append(
            _error(
                "max_length",
                "sku",
                f"SKU {sku} 超过 30 个字符",
                f"SKU {sku} is longer than 30 characters",
                document,
                number,
            )
        )
        return None
    hs = re.sub(r"[\s.]", "", cell("hs_code"))
    problem = validate_cn_hs_code(hs)
    if problem is not None:
        errors.append(
            _error(
                "hs_code",
                "hs_code",
                f"SKU {sku}：{problem.message_zh}",
                f"SKU {sku}: {problem.message_en}",
                document,
                number,
            )
        )
        return None
    units: dict[str, str | None] = {}
    for column in ("unit1", "unit2"):
        given = cell(column)
        code = _unit(given, codes)
        if given and code is None:
            errors.append(
                _error(
                    "unknown_code",
                    column,
                    f"SKU {sku}：计量单位 {given!r} 不在海关计量单位代码表中",
                    f"SKU {sku}: unit {given!r} is not a customs unit code or name",
                    document,
                    number,
                )
            )
            return None
        units[column] = code
    origin = cell("origin")
    try:
        origin_code = codes.country(origin) if origin else None
    except UnknownCode as exc:
        errors.append(
            _error(
                "unknown_code",
                "origin",
                f"SKU {sku}：{exc.message_zh}",
                f"SKU {sku}: {exc.message_en}",
                document,
                number,
            )
        )
        return None
    return CatalogueRow(
        number, sku, hs, cell("name_zh")[:250], cell("name_en")[:250], units["unit1"], units["unit2"], origin_code
    )


def _unit(given: str, codes: CodeLists) -> str | None:
    if not given:
        return None
    if given.zfill(3) in codes.units and given.isdigit():
        return given.zfill(3)
    return next((u.code for u in codes.units.values() if u.name_zh == given), None)
