"""Which parser reads a submission: named by the sender, or told from the bytes (``auto``)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from importlib import import_module

from cbec.errors import InvalidInput
from cbec.intake.documents import ParseContext
from cbec.intake.parsers.base import ParseResult


class Format(StrEnum):
    AUTO = "auto"
    JSON = "json"
    CEB = "ceb"
    CSV = "csv"
    XLSX = "xlsx"
    AMAZON_ORDERS = "amazon-orders"
    SHOPIFY_ORDERS = "shopify-orders"
    ONLINE_RETAIL = "online-retail"


_MODULES = {
    Format.JSON: "cbec.intake.parsers.json_docs",
    Format.CEB: "cbec.intake.parsers.ceb_xml",
    Format.CSV: "cbec.intake.parsers.template",
    Format.XLSX: "cbec.intake.parsers.template",
    Format.AMAZON_ORDERS: "cbec.intake.parsers.amazon_orders",
    Format.SHOPIFY_ORDERS: "cbec.intake.parsers.shopify_orders",
    Format.ONLINE_RETAIL: "cbec.intake.parsers.online_retail",
}


def parse_format(value: str) -> Format:
    try:
        return Format(value.strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in Format)
        raise InvalidInput(
            f"unknown format {value!r}; allowed: {allowed}", f"未知格式 {value!r}；可选：{allowed}", field="format"
        ) from None


def detect(data: bytes, filename: str = "") -> Format:
    """Tell the format from the content first, the file name second."""
    name = filename.lower()
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:4] == b"PAR1":
        return Format.ONLINE_RETAIL
    if data[:2] == b"PK":  # a zip container: XLSX
        return Format.XLSX
    if head[:1] in (b"{", b"["):
        return Format.JSON
    if head[:1] == b"<":
        return Format.CEB
    first_line = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if "amazon-order-id" in first_line:
        return Format.AMAZON_ORDERS
    if "lineitem quantity" in first_line and "name" in first_line:
        return Format.SHOPIFY_ORDERS
    if "invoiceno" in first_line and "stockcode" in first_line:
        return Format.ONLINE_RETAIL
    if name.endswith((".csv", ".txt", ".tsv")) or b"," in head:
        return Format.CSV
    raise InvalidInput(
        f"cannot tell the format of {filename or 'the submission'}; name it with --format",
        f"无法识别 {filename or '提交内容'} 的格式；请用 --format 指定",
        field="format",
    )


def parser_for(fmt: Format) -> Callable[[bytes, ParseContext], ParseResult]:
    if fmt is Format.AUTO:
        raise ValueError("detect the format first")
    module = import_module(_MODULES[fmt])
    parse: Callable[[bytes, ParseContext], ParseResult] = module.parse
    return parse
