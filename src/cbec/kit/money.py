"""Exact money and quantities: Decimal only, with named rounding.

CEB amounts are N19,5 (19 digits, 5 decimals); we keep five decimals where the standard does and
round to the fen (0.01 CNY) only where a rule says so, with ROUND_HALF_UP named.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cbec.kit.limits import MAX_NUMBER_DIGITS

FEN = Decimal("0.01")
CEB_PLACES = Decimal("0.00001")
ZERO = Decimal(0)

_THOUSANDS_DOT_DECIMAL_COMMA = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")
_THOUSANDS_COMMA_DECIMAL_DOT = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_CURRENCY_NOISE = re.compile(r"[\s\u00a0'€$£¥]|[A-Z]{3}$|^[A-Z]{3}")


def parse_decimal(text: str | int | float | Decimal | None, *, decimal_comma: bool | None = None) -> Decimal:
    """Read an amount as people and marketplaces write it.

    Accepts "89.95", "89,95" (EU decimal comma), "1.234,56", "1,234.56", "1 234,56", "€12", and
    integers. ``decimal_comma`` forces the reading of a lone comma; ``None`` decides per value:
    a single comma followed by digits is a decimal comma unless it is exactly three digits that
    look like a thousands group *and* the caller said decimal_comma=False.
    Raises ValueError with the text when it is not a number. Floats are read through their
    shortest repr (so 2.55 stays 2.55), never through binary arithmetic.
    """
    if text is None:
        raise ValueError("empty amount")
    if isinstance(text, Decimal):
        return text
    if isinstance(text, bool):
        raise ValueError(f"not an amount: {text!r}")
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, float):
        if math.isnan(text) or math.isinf(text):
            raise ValueError(f"not an amount: {text!r}")
        return Decimal(repr(text))
    s = _CURRENCY_NOISE.sub("", text.strip())
    if not s:
        raise ValueError("empty amount")
    if s.startswith("(") and s.endswith(")"):
        s = "-" + s[1:-1]
    if _THOUSANDS_DOT_DECIMAL_COMMA.match(s):
        s = s.replace(".", "").replace(",", ".")
    elif _THOUSANDS_COMMA_DECIMAL_DOT.match(s) and decimal_comma is not True:
        s = s.replace(",", "")
    elif _DECIMAL_COMMA.match(s):
        s = s.replace(",", "") if decimal_comma is False else s.replace(",", ".")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not in_range(value):
        raise ValueError(f"not an amount: {text!r}")
    return value


def in_range(value: Decimal) -> bool:
    """Finite, and at most MAX_NUMBER_DIGITS digits either side of the point when written out."""
    if not value.is_finite():
        return False
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -MAX_NUMBER_DIGITS and value.adjusted() < MAX_NUMBER_DIGITS


def to_fen(amount: Decimal) -> Decimal:
    """Round to the fen, half up (the rounding customs tax bills use)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_ceb(amount: Decimal) -> Decimal:
    """Round to the five decimals of CEB's N19,5, half up."""
    return amount.quantize(CEB_PLACES, rounding=ROUND_HALF_UP)


def ceb_text(amount: Decimal) -> str:
    """Format for a CEB message: plain notation, no exponent, trailing zeros dropped."""
    q = to_ceb(amount).normalize()
    text = format(q, "f")
    return "0" if text in ("-0", "") else text


def fits_n19_5(amount: Decimal) -> bool:
    """True when the value fits CEB's N19,5 (≤19 digits in all, ≤5 after the point)."""
    _sign, digits, exponent = amount.normalize().as_tuple()
    if not isinstance(exponent, int):
        return False
    frac = max(0, -exponent)
    total = len(digits) + exponent if exponent > 0 else max(len(digits), frac)
    return frac <= 5 and total <= 19
