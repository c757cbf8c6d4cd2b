"""Hypothesis strategies that start from a real file and spoil it the ways files get spoiled: bytes
flipped, cut short, lines and columns duplicated or dropped, saved in another encoding, a cell
replaced by something a spreadsheet or an attacker would put there."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import strategies as st

#: what a cell may become: formulas, numbers no amount may be, dates off the calendar, huge text
CELLS = (
    "=HYPERLINK(\"http://x\",\"y\")", "=1+2", "+1", "-1", "@SUM(A1:A9)", "=cmd|' /C calc'!A0",
    "NaN", "nan", "Infinity", "-Infinity", "inf", "1e999999", "-1E+308", "1e-400", "0x10", "1_000",
    "１２３", "٣", "1,2,3", "(3.10)", "--5", "", " ", "\u00a0", "\u200b", "0", "-0", "99999999999999999999.99999",
    "1" * 5000, "0000-00-00 00:00:00", "9999-12-31 23:59:59", "10000-01-01 00:00:00", "1900-02-29 10:00:00",
    "2026-13-45 25:61:61", "0001-01-01 00:00:00", "2026-05-01T10:00:00+99:99", "31.02.2026",
    "\"", "\"\"\"", "'", "\t", "\r", "\n", "\x00", "\ufeff", "<script>", "&amp;", "${jndi:ldap://x}",
    "x" * 140_000, "中" * 70_000,
)  # fmt: skip

ENCODINGS = ("gb18030", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "latin-1", "utf-32", "cp1252")


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _pick(items: Sequence[bytes], at: int) -> int:
    return at % len(items) if items else 0


def flip(data: bytes, at: int, value: int) -> bytes:
    if not data:
        return bytes([value])
    i = at % len(data)
    return data[:i] + bytes([data[i] ^ (value or 1)]) + data[i + 1 :]


def truncate(data: bytes, at: int, _: int) -> bytes:
    return data[: at % (len(data) + 1)]


def dup_line(data: bytes, at: int, times: int) -> bytes:
    lines = _lines(data)
    i = _pick(lines, at)
    return b"\n".join(lines[:i] + [lines[i]] * (1 + times % 50) + lines[i:])


def del_line(data: bytes, at: int, _: int) -> bytes:
    lines = _lines(data)
    i = _pick(lines, at)
    return b"\n".join(lines[:i] + lines[i + 1 :])


def _columns(data: bytes, edit: Callable[[list[bytes]], list[bytes]]) -> bytes:
    sep = max((b",", b"\t", b";"), key=data[:2000].count)
    return b"\n".join(sep.join(edit(line.split(sep))) for line in _lines(data))


def del_column(data: bytes, at: int, _: int) -> bytes:
    return _columns(data, lambda cells: cells[: at % len(cells)] + cells[at % len(cells) + 1 :])


def dup_column(data: bytes, at: int, times: int) -> bytes:
    return _columns(data, lambda cells: cells + [cells[at % len(cells)]] * (1 + times % 3))


def replace_cell(data: bytes, at: int, which: int) -> bytes:
    """One cell (or, in JSON and XML, one token between delimiters) becomes one of ``CELLS``."""
    lines = _lines(data)
    i = _pick(lines, at)
    sep = max((b",", b"\t", b";", b'"', b">"), key=lines[i].count)
    cells = lines[i].split(sep)
    j = (at // 7) % len(cells)
    cells[j] = CELLS[which % len(CELLS)].encode()
    lines[i] = sep.join(cells)
    return b"\n".join(lines)


def reencode(data: bytes, _: int, which: int) -> bytes:
    text = data.decode("utf-8", "replace")
    return text.encode(ENCODINGS[which % len(ENCODINGS)], "replace")


def line_endings(data: bytes, _: int, which: int) -> bytes:
    return data.replace(b"\n", (b"\r", b"\r\n", b"\n\n", b"\x00\n")[which % 4])


def insert_bytes(data: bytes, at: int, which: int) -> bytes:
    junk = (b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\x80\x81", b"\xe4\xb8", b"\x1a", b"\\", b"\x7f" * 9)
    i = at % (len(data) + 1)
    return data[:i] + junk[which % len(junk)] + data[i:]


MUTATIONS = (flip, truncate, dup_line, del_line, del_column, dup_column, replace_cell, reencode, line_endings)
MUTATIONS += (insert_bytes,)
_OPS = st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**31), st.integers(0, 255))


def mutated(seeds: Sequence[bytes], *, extra: Sequence[bytes] = ()) -> st.SearchStrategy[bytes]:
    """A real file with one to four spoilings, or one of ``extra`` hand-written hostile inputs."""

    def apply(seed: bytes, ops: list[tuple[Callable[[bytes, int, int], bytes], int, int]]) -> bytes:
        for op, at, value in ops:
            seed = op(seed, at, value)
        return seed

    spoiled = st.builds(apply, st.sampled_from(list(seeds)), st.lists(_OPS, min_size=1, max_size=4))
    fixed = [b"", b"\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00" * 64, *extra]
    return st.one_of(st.sampled_from(fixed), spoiled, st.binary(max_size=512))
