"""Hypothesis strategies that generate valid entities for any CEB message, from the XSD facets.

Strings respect exact/min/max length and include XML's special characters and CJK; decimals
respect N19,5 (up to 14 integer digits and 5 decimals, negative too); integers their digits;
code fields the catalogue's values; trade-mode rules get their extra fields. Optional fields are
either absent or present, never empty (an empty optional field is not written, so it could not
come back).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from cbec.ceb.messages import Entity, MessageSpec, layout_of
from cbec.ceb.schema import EntitySpec, FieldSpec

# No whitespace (some export fields collapse it), no control characters XML cannot carry.
_ALPHABET = st.one_of(
    st.sampled_from("ABCXYZabcxyz0123456789-_./()#&<>'\"+:;,@"),
    st.sampled_from("海关跨境电商订单清单运单张三杭州"),
    st.characters(codec="utf-8", categories=["L", "N"]),
)


def _text(f: FieldSpec) -> st.SearchStrategy[str]:
    low = f.length or max(1, f.min_length or 1)
    high = f.length or min(f.max_length or 40, 40)
    return st.text(_ALPHABET, min_size=low, max_size=max(low, high))


def _decimal(f: FieldSpec) -> st.SearchStrategy[Decimal]:
    fraction = f.fraction_digits or 0
    integer_digits = (f.total_digits or 19) - fraction
    top = 10**integer_digits - 1
    return st.builds(
        lambda i, frac: Decimal(f"{i}.{frac:0{fraction}d}") if fraction else Decimal(i),
        st.integers(-top, top),
        st.integers(0, 10**fraction - 1) if fraction else st.just(0),
    )


def _int(f: FieldSpec) -> st.SearchStrategy[int]:
    top = min(10 ** (f.total_digits or 9) - 1, 2**31 - 1)
    return st.integers(0, top)


def value(f: FieldSpec, codes: dict[str, frozenset[str]] | Any = None) -> st.SearchStrategy[Any]:
    if codes and f.name in codes:
        return st.sampled_from(sorted(codes[f.name]))
    if f.kind == "decimal":
        return _decimal(f)
    if f.kind == "int":
        return _int(f)
    return _text(f)


@st.composite
def fields(
    draw: st.DrawFn, spec: EntitySpec, codes: Any = None, force: tuple[str, ...] = (), fixed: Any = None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in spec.fields:
        if f.required or f.name in force or draw(st.booleans()):
            out[f.name] = fixed[f.name] if fixed and f.name in fixed else draw(value(f, codes))
    return out


@st.composite
def entity(draw: st.DrawFn, spec: MessageSpec) -> Entity:
    _spec, lay = layout_of(spec.code)
    head = draw(fields(lay.head_spec, spec.codes, fixed=lay.head_fixed))
    extra_head: tuple[str, ...] = ()
    extra_lines: tuple[str, ...] = ()
    for rule in spec.rules:
        if head.get(rule.field) in rule.values:
            extra_head += rule.head
            extra_lines += rule.lines
    for name in extra_head:
        if name not in head:
            head[name] = draw(value(lay.head_spec.by_name[name]))
    lines: list[dict[str, Any]] = []
    if lay.line_spec is not None:
        count = draw(st.integers(lay.min_lines, min(lay.max_lines, lay.min_lines + 3)))
        lines = [draw(fields(lay.line_spec, spec.line_codes, extra_lines, lay.line_fixed)) for _ in range(count)]
    return Entity(head, tuple(lines))
