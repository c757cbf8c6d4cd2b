"""The inputs fuzzing found breaking a parser, sent as a partner would: through the API's upload
(orders) and money-file routes. Each is answered 4xx with both messages, never a 5xx or a
traceback, and the server goes on answering (a parquet that aborts Polars is read elsewhere)."""

from __future__ import annotations

import io

import polars as pl
import pytest
from fastapi.testclient import TestClient

from tests.conftest import ONLINE_RETAIL
from tests.e2e.web_world import World
from tests.integration.helpers import PLATFORM
from tests.unit.intake.test_fuzz_findings import PANIC_AT
from tests.unit.kit.test_limits import _zip_declaring

pytestmark = pytest.mark.e2e

LAUGHS = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
    b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10) for i in range(1, 10)
)


def _panicking_parquet() -> bytes:
    buffer = io.BytesIO()
    pl.read_parquet(ONLINE_RETAIL).head(200).write_parquet(buffer)
    data = bytearray(buffer.getvalue())
    data[PANIC_AT] ^= 1
    return bytes(data)


def _zip_of_version_84() -> bytes:
    data = bytearray(_zip_declaring(1))
    data[data.index(b"PK\x01\x02") + 6] = 84
    return bytes(data)


ORDER_FILES = {
    "json nested 100,000 deep": ("orders.json", b"[" * 100_000, "json"),
    "json NaN amount": ("orders.json", b'[{"type":"export_order","head":{"goodsValue":NaN}}]', "json"),
    "billion laughs behind a long comment": (
        "m.xml",
        b"<!--" + b"x" * 200_000 + b"--><!DOCTYPE r [" + LAUGHS + b"]><r>&a9;</r>",
        "ceb",
    ),
    "xml nested 300 deep": ("m.xml", b"<a>" * 300 + b"</a>" * 300, "ceb"),
    "dxpmsg data not ascii": (
        "m.xml",
        b'<dxp:DxpMsg xmlns:dxp="http://www.chinaport.gov.cn/dxp"><dxp:TransInfo/><dxp:Data>\xc3\xa9</dxp:Data></dxp:DxpMsg>',
        "ceb",
    ),
    "csv cell over the limit": ("t.csv", b"orderNo,orderTime\n" + b"x" * 140_000 + b",1\n", "csv"),
    "zip of version 8.4": ("t.xlsx", _zip_of_version_84(), "xlsx"),
    "parquet that aborts polars": ("online-retail.parquet", _panicking_parquet(), "online-retail"),
}
MONEY_FILES = {
    "only a BOM": ("x.csv", b"\xef\xbb\xbf", "auto"),
    "receipts json nested deep": ("r.json", b"[" * 100_000, "receipts"),
}


def _answered_cleanly(r: object) -> None:
    status, text = r.status_code, r.text  # type: ignore[attr-defined]
    assert 400 <= status < 500, (status, text[:500])
    assert "Traceback" not in text
    body = r.json()  # type: ignore[attr-defined]
    assert body["message_en"] and body["message_zh"]


@pytest.mark.parametrize("name", list(ORDER_FILES))
def test_order_files_that_broke_a_parser(world: World, name: str) -> None:
    client: TestClient = world.client()
    filename, data, fmt = ORDER_FILES[name]
    r = client.post(
        "/api/v1/uploads",
        files={"file": (filename, data, "application/octet-stream")},
        data={"format": fmt, "platform": PLATFORM.code},
        headers={"Authorization": f"Bearer {world.keys['a']}"},
    )
    _answered_cleanly(r)
    assert client.get("/api/v1/documents", headers={"Authorization": f"Bearer {world.keys['a']}"}).status_code == 200


@pytest.mark.parametrize("name", list(MONEY_FILES))
def test_money_files_that_broke_a_parser(world: World, name: str) -> None:
    filename, data, fmt = MONEY_FILES[name]
    r = world.client().post(
        "/api/v1/finance/files",
        files={"file": (filename, data, "application/octet-stream")},
        data={"format": fmt},
        headers={"Authorization": f"Bearer {world.keys['a']}"},
    )
    _answered_cleanly(r)
