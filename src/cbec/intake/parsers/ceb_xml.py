"""CEB XML as partners send it: CEB303/403/505 (export) and CEB311/411/511 (import).

A message may come bare or inside a ``DxpMsg`` envelope (Base64 ``Data``), and carries up to
100 entities; each entity becomes one document with the XSD field names (Decimal amounts, int
``gnum``). The XML is read by the hardened parser of ``cbec.ceb.messages`` (a DOCTYPE is
refused outright, no entity expansion, no network), so billion-laughs and external-entity
attacks are refused with a clear error before anything is read.

Schema conformance of what a partner sends is not required here: field rules are checked by
``intake.rules`` per document, so one bad order does not lose the other 99. The
message's ``BaseTransfer`` (who transmitted it) is kept as a note on each document.
"""

from __future__ import annotations

from cbec.ceb.envelope import open_message
from cbec.ceb.messages import parse as parse_message
from cbec.ceb.xsd import parse_xml
from cbec.errors import InvalidInput
from cbec.intake.documents import DocType, ParseContext, ParsedDocument
from cbec.intake.parsers.base import ParseResult

#: message → document type of its entities
DOC_TYPE = {
    "CEB303": DocType.EXPORT_ORDER,
    "CEB403": DocType.EXPORT_RECEIPT,
    "CEB505": DocType.EXPORT_WAYBILL,
    "CEB311": DocType.IMPORT_ORDER,
    "CEB411": DocType.IMPORT_PAYMENT,
    "CEB511": DocType.IMPORT_WAYBILL,
}


def parse(data: bytes, ctx: ParseContext) -> ParseResult:
    parse_xml(data, "submission", "提交的文件")  # refuses DOCTYPE/entities before anything else looks at it
    inner = open_message(data)
    message = parse_message(inner, document="submission")
    doc_type = DOC_TYPE.get(message.message)
    if doc_type is None:
        allowed = ", ".join(DOC_TYPE)
        raise InvalidInput(
            f"{message.message} is not a message partners submit here; allowed: {allowed}",
            f"{message.message} 不是可提交的报文；可提交：{allowed}",
            field="message",
        )
    transfer = message.base_transfer
    note = f"BaseTransfer copCode={transfer.copCode} dxpId={transfer.dxpId}" if transfer is not None else ""
    result = ParseResult()
    result.stats["messages"] = 1
    docs: list[ParsedDocument] = []
    for n, entity in enumerate(message.entities, start=1):
        head = dict(entity.head)
        if doc_type in (DocType.EXPORT_ORDER, DocType.IMPORT_ORDER):
            head.setdefault("ebcCode", ctx.seller_code)
        docs.append(
            ParsedDocument(
                doc_type,
                head,
                tuple(dict(line) for line in entity.lines),
                source_ref=f"{message.message} entity {n}",
                notes=(note,) if note else (),
            )
        )
    result.documents = docs
    result.stats[doc_type.value] = len(docs)
    return result
