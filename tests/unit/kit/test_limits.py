"""Each named limit at its boundary: the limit itself passes, one over is refused with an error
that names the limit in Chinese and English."""

from __future__ import annotations

import io
import struct
import zipfile
from decimal import Decimal

import pytest
from tests.unit.intake.test_json_and_ceb_xml import CTX

from cbec.ceb.xsd import parse_xml
from cbec.errors import InvalidInput, LimitExceeded
from cbec.intake.parsers import json_docs, template
from cbec.kit.limits import (
    MAX_BYTES,
    MAX_CELL_CHARS,
    MAX_CELLS_PER_ROW,
    MAX_JSON_DEPTH,
    MAX_LINE_CHARS,
    MAX_NUMBER_DIGITS,
    MAX_ROWS,
    MAX_UNZIPPED_BYTES,
    MAX_XML_DEPTH,
    check_size,
    check_zip,
    csv_rows,
)
from cbec.kit.money import in_range


def refused(name: str, excinfo: pytest.ExceptionInfo[LimitExceeded]) -> bool:
    exc = excinfo.value
    return exc.field == name and name in exc.message_en and name in exc.message_zh


def test_request_size() -> None:
    check_size(bytes(MAX_BYTES))  # calloc'd: no memory is touched
    with pytest.raises(LimitExceeded) as exc:
        check_size(bytes(MAX_BYTES + 1))
    assert refused("MAX_BYTES", exc)


def test_rows_per_file() -> None:
    assert sum(1 for _ in csv_rows("a\n" * MAX_ROWS)) == MAX_ROWS
    with pytest.raises(LimitExceeded) as exc:
        sum(1 for _ in csv_rows("a\n" * (MAX_ROWS + 1)))
    assert refused("MAX_ROWS", exc) and f"row {MAX_ROWS + 1}" in exc.value.message_en


def test_cells_per_row() -> None:
    assert len(next(csv_rows(",".join(["a"] * MAX_CELLS_PER_ROW)))) == MAX_CELLS_PER_ROW
    with pytest.raises(LimitExceeded) as exc:
        next(csv_rows(",".join(["a"] * (MAX_CELLS_PER_ROW + 1))))
    assert refused("MAX_CELLS_PER_ROW", exc)


def test_cell_length_in_every_table_format() -> None:
    assert next(csv_rows("x" * MAX_CELL_CHARS)) == ["x" * MAX_CELL_CHARS]
    huge = b"orderNo,orderTime\n" + b"x" * (MAX_CELL_CHARS + 1) + b",2026-05-01 10:00:00\n"
    with pytest.raises(LimitExceeded) as exc:
        template.parse(huge, CTX)  # was csv's own "field larger than field limit" error, unhandled
    assert refused("MAX_CELL_CHARS", exc) and "row 2" in exc.value.message_en


def test_line_length() -> None:
    cells = ["x" * MAX_CELL_CHARS] * (MAX_LINE_CHARS // MAX_CELL_CHARS)
    assert sum(map(len, next(csv_rows(",".join(cells))))) == MAX_LINE_CHARS
    with pytest.raises(LimitExceeded) as exc:
        next(csv_rows(",".join([*cells, "y"])))
    assert refused("MAX_LINE_CHARS", exc)


def test_json_nesting() -> None:
    deep = b"[" + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"]"
    assert json_docs.parse(deep, CTX).errors  # read: its one item is no object, said so
    for too_deep in (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), b"[" * 200_000):
        with pytest.raises(LimitExceeded) as exc:
            json_docs.parse(too_deep, CTX)
        assert refused("MAX_JSON_DEPTH", exc)


def test_xml_nesting() -> None:
    parse_xml(b"<a>" * MAX_XML_DEPTH + b"</a>" * MAX_XML_DEPTH)
    with pytest.raises(LimitExceeded) as exc:
        parse_xml(b"<a>" * (MAX_XML_DEPTH + 1) + b"</a>" * (MAX_XML_DEPTH + 1), "submission", "提交的文件")
    assert refused("MAX_XML_DEPTH", exc)


def test_digits_of_a_number() -> None:
    assert in_range(Decimal(f"9e{MAX_NUMBER_DIGITS - 1}")) and in_range(Decimal(f"1e-{MAX_NUMBER_DIGITS}"))
    assert not in_range(Decimal(f"1e{MAX_NUMBER_DIGITS}")) and not in_range(Decimal(f"1e-{MAX_NUMBER_DIGITS + 1}"))


def _zip_declaring(size: int) -> bytes:
    """A zip whose one member declares ``size`` bytes unpacked (the central directory's field)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", b"x")
    data = bytearray(out.getvalue())
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", size)
    return bytes(data)


def test_a_zip_of_a_version_python_does_not_read_is_an_unreadable_workbook() -> None:
    data = bytearray(_zip_declaring(1))
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 84  # "version needed to extract" 8.4: zipfile raised NotImplementedError
    with pytest.raises(InvalidInput, match="cannot be read"):
        check_zip(bytes(data), "template", "模板")


def test_unpacked_workbook_size() -> None:
    check_zip(_zip_declaring(MAX_UNZIPPED_BYTES), "template", "模板")
    with pytest.raises(LimitExceeded) as exc:
        check_zip(_zip_declaring(MAX_UNZIPPED_BYTES + 1), "template", "模板")
    assert refused("MAX_UNZIPPED_BYTES", exc)
