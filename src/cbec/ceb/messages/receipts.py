"""Receipts: the e-port's and customs' answers, read into ``Receipt`` records.

Every receipt entity of the standard (``OrderReturn`` … ``DeliveryReturn``, and the CEB900
``MessageReturn``) carries ``guid``, ``returnStatus``, ``returnTime`` and ``returnInfo``; the rest of
its fields are the keys of the document it answers (orderNo, invtNo, copNo, preNo, logisticsNo …),
which differ per message and are kept as the XSD names them. CEB.md §4.2 lists the codes.
"""

from __future__ import annotations

from lxml import etree

from cbec.ceb.messages.catalogue import message_spec
from cbec.ceb.messages.codec import layout_of
from cbec.ceb.messages.model import ParsedMessage, Receipt
from cbec.ceb.messages.reader import parse
from cbec.errors import InvalidInput

RETURN_FIELDS = ("guid", "returnStatus", "returnTime", "returnInfo")


def is_receipt(message: str) -> bool:
    """True for the messages whose entities are receipts (304 … 712, 900)."""
    _spec, lay = layout_of(message)
    return lay.is_flat and "returnStatus" in lay.head_spec.by_name


def receipts(parsed: ParsedMessage) -> list[Receipt]:
    """The receipt records of a parsed receipt message, in document order."""
    if not is_receipt(parsed.message):
        raise InvalidInput(f"{parsed.message} is not a receipt", f"{parsed.message} 不是回执报文")
    answers = message_spec(parsed.message).answers
    out: list[Receipt] = []
    for entity in parsed.entities:
        head = entity.head
        out.append(
            Receipt(
                message=parsed.message,
                guid=str(head.get("guid", "")),
                returnStatus=str(head.get("returnStatus", "")),
                returnTime=str(head.get("returnTime", "")),
                returnInfo=str(head.get("returnInfo", "")),
                keys={k: v for k, v in head.items() if k not in RETURN_FIELDS},
                answers=answers,
            )
        )
    return out


def parse_receipts(data: bytes | etree._Element, *, document: str = "") -> list[Receipt]:
    """Parse a receipt message (plain CEB XML) straight into receipt records."""
    return receipts(parse(data, document=document))
