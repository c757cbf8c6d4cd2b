"""Reading the fields of one JSON document for the tax engine: text, numbers, days, codes, units
and rates, every problem collected (with its field and line, in Chinese and English) and raised
once. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cbec.errors import FieldError, InvalidInput
from cbec.kit.codes import code_lists
from cbec.kit.money import to_fen

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GCODE = re.compile(r"^\d{8}(\d{2})?$")
_UNIT_ALIASES = {"ml": "096", "l": "095", "g": "036", "kg": "035", "t": "070", "pcs": "007", "piece": "007"}
IMPORT_TRADE_MODES = frozenset({"1210", "9610"})


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


class _Reader:
    """Reads fields of one JSON document and collects every problem before raising once."""

    def __init__(self, document: str) -> None:
        self.document = document
        self.errors: list[FieldError] = []

    def fail(self, code: str, field: str, zh: str, en: str, line: int | None = None) -> None:
        self.errors.append(FieldError(code, field, zh, en, document=self.document, line=line))

    def done(self) -> None:
        if self.errors:
            first = self.errors[0]
            where = f" (line {first.line})" if first.line is not None else ""
            raise InvalidInput(
                f"{len(self.errors)} problem(s) in the input; first: [{first.field}]{where} {first.message_en}",
                f"输入有 {len(self.errors)} 处问题；首个：[{first.field}]{where} {first.message_zh}",
                field=first.field,
                document=self.document,
                details=list(self.errors),
            )

    def mapping(self, data: Mapping[str, Any], key: str, *, required: bool = True) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail("required", key, f"缺少 {key}", f"{key} is missing")
            return None
        if not isinstance(value, Mapping):
            self.fail("type", key, f"{key} 须为 JSON 对象", f"{key} must be a JSON object")
            return None
        return value

    def items(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.fail("required", key, f"{key} 须为非空数组", f"{key} must be a non-empty array")
            return []
        out = []
        for i, item in enumerate(value, start=1):
            if isinstance(item, Mapping):
                out.append(item)
            else:
                self.fail("type", key, f"第 {i} 个元素须为 JSON 对象", f"element {i} must be a JSON object", i)
        return out

    def text(
        self, data: Mapping[str, Any], key: str, *, line: int | None = None, required: bool = True, max_len: int = 0
    ) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("required", key, f"缺少 {key}", f"{key} is missing", line)
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail("type", key, f"{key} 须为文本", f"{key} must be text", line)
            return ""
        text = str(value).strip()
        if max_len and len(text) > max_len:
            self.fail("max_length", key, f"{key} 超过 {max_len} 个字符", f"{key} is longer than {max_len}", line)
        return text

    def amount(
        self,
        data: Mapping[str, Any],
        key: str,
        *,
        line: int | None = None,
        required: bool = True,
        default: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("required", key, f"缺少 {key}", f"{key} is missing", line)
            return default
        number = _number(value)
        if number is None:
            self.fail("number", key, f"{key} 不是数字：{value!r}", f"{key} is not a number: {value!r}", line)
            return default
        if number < 0 or (positive and number == 0):
            need_zh, need_en = ("须大于0", "must be above 0") if positive else ("不能为负数", "cannot be negative")
            self.fail("range", key, f"{key} {need_zh}：{value!r}", f"{key} {need_en}: {value!r}", line)
            return default
        return number

    def rate(self, data: Mapping[str, Any], key: str, *, line: int | None = None) -> Decimal | None:
        value = self.amount(data, key, line=line, required=False)
        if value is not None and value >= 1:
            self.fail(
                "range",
                key,
                f"{key} 须为小数形式的税率（如 13% 填 0.13）：{value}",
                f"{key} is a decimal fraction (13% is 0.13): {value}",
                line,
            )
            return None
        return value

    def day(self, data: Mapping[str, Any], key: str, *, line: int | None = None, required: bool = True) -> date | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("required", key, f"缺少 {key}", f"{key} is missing", line)
            return None
        parsed = _day(value)
        if parsed is None:
            self.fail(
                "date",
                key,
                f"{key} 须为日期 YYYY-MM-DD、YYYYMMDD 或 YYYYMMDDhhmmss：{value!r}",
                f"{key} must be a date YYYY-MM-DD, YYYYMMDD or YYYYMMDDhhmmss: {value!r}",
                line,
            )
        return parsed

    def flag(
        self, data: Mapping[str, Any], key: str, *, line: int | None = None, default: bool | None = False
    ) -> bool | None:
        value = data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.fail("type", key, f"{key} 须为 true 或 false", f"{key} must be true or false", line)
        return default

    def required_flag(self, data: Mapping[str, Any], key: str, *, line: int | None = None) -> bool:
        value = self.flag(data, key, line=line, default=None)
        if value is None:
            if key not in data:
                self.fail("required", key, f"缺少 {key}（true 或 false）", f"{key} is missing (true or false)", line)
            return False
        return value

    def integer(self, data: Mapping[str, Any], key: str, *, line: int | None = None) -> int:
        value = data.get(key)
        if isinstance(value, bool) or value is None:
            self.fail("required", key, f"缺少 {key}", f"{key} is missing", line)
            return 0
        try:
            number = int(str(value).strip())
        except ValueError:
            self.fail("number", key, f"{key} 须为整数：{value!r}", f"{key} must be an integer: {value!r}", line)
            return 0
        if number < 1:
            self.fail("range", key, f"{key} 须从1开始：{value!r}", f"{key} starts at 1: {value!r}", line)
        return number

    def gcode(self, data: Mapping[str, Any], *, line: int | None = None, key: str = "gcode") -> str:
        text = self.text(data, key, line=line)
        if text and not _GCODE.match(text):
            self.fail(
                "format",
                key,
                f"商品编码须为8位或10位数字：{text!r}",
                f"the HS code (gcode) must be 8 or 10 digits: {text!r}",
                line,
            )
        return text

    def unit(self, data: Mapping[str, Any], key: str, *, line: int | None = None, required: bool = True) -> str:
        text = self.text(data, key, line=line, required=required)
        if not text:
            return ""
        code = unit_code(text)
        if code is None:
            self.fail(
                "code_list",
                key,
                f"{key} 不是海关计量单位代码或名称：{text!r}",
                f"{key} is not a customs unit code or name: {text!r}",
                line,
            )
            return ""
        return code

    def trade_mode(self, data: Mapping[str, Any], key: str = "tradeMode", *, required: bool = True) -> str:
        text = self.text(data, key, required=required)
        if text and not re.fullmatch(r"\d{4}", text):
            self.fail("format", key, f"监管方式须为4位数字：{text!r}", f"the trade mode is 4 digits: {text!r}")
        return text

    def unique_gnums(self, gnums: Sequence[int]) -> None:
        seen: set[int] = set()
        for g in gnums:
            if g in seen:
                self.fail("duplicate", "gnum", f"项号 {g} 重复", f"gnum {g} is repeated", g)
            seen.add(g)


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str) and _PLAIN_NUMBER.match(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern excludes it
            return None
    else:
        return None
    return number if number.is_finite() else None


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(r"\d{8}", text):
            return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, no zone
        if re.fullmatch(r"\d{14}", text):
            return datetime.strptime(text, "%Y%m%d%H%M%S").date()  # noqa: DTZ007 - CEB appTime, local time
    except ValueError:
        return None
    return None


def _given(data: Mapping[str, Any], key: str) -> bool:
    return data.get(key) not in (None, "")


def unit_code(text: str) -> str | None:
    """Customs unit code for a code (``096``), a Chinese name (``毫升``) or a short alias (``ml``)."""
    units = code_lists().units
    key = text.strip()
    if key in units:
        return key
    if key.lower() in _UNIT_ALIASES:
        return _UNIT_ALIASES[key.lower()]
    for unit in units.values():
        if key == unit.name_zh or (unit.name_en and key.lower() == unit.name_en.lower()):
            return unit.code
    return None


def _check_total(reader: _Reader, data: Mapping[str, Any], key: str, expected: Decimal, line: int | None) -> None:
    given = reader.amount(data, key, line=line, required=False)
    if given is not None and to_fen(given) != to_fen(expected):
        reader.fail(
            "arithmetic",
            key,
            f"{key} {given} 与计算值 {to_fen(expected)} 不符",
            f"{key} {given} does not equal the computed {to_fen(expected)}",
            line,
        )
