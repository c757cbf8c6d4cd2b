"""UPU S10 item identifiers (postal tracking numbers): two service letters, an 8-digit serial,
a check digit and the issuing country's ISO alpha-2 code, e.g. ``RB123456785GB``.

Check digit (UPU standard S10): weights 8 6 4 2 3 5 9 7 over the serial, sum mod 11;
check = 11 − remainder, with 10 → 0 and 11 → 5.
"""

from __future__ import annotations

import re

import pycountry

_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


def s10_check_digit(serial: str) -> int:
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"an S10 serial is 8 digits, not {serial!r}")
    check = 11 - sum(int(d) * w for d, w in zip(serial, _WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def make_s10(service: str, serial: int, country: str) -> str:
    """Build a valid S10 number, e.g. make_s10("LP", 12345678, "CN") → "LP123456785CN"."""
    s = f"{serial:08d}"
    return f"{service}{s}{s10_check_digit(s)}{country}"


def is_valid_s10(number: str) -> bool:
    m = _S10.match(number.replace(" ", "").upper())
    if not m:
        return False
    if pycountry.countries.get(alpha_2=m.group(4)) is None:
        return False
    return s10_check_digit(m.group(2)) == int(m.group(3))
