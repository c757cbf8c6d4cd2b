"""CEB messages: builders and parsers for the whole 202205 standard (see docs/customs-messages.md).

One generic codec driven by the official XSD (read at run time from ``CBEC_CEB_SCHEMA_DIR``) and
one declaration row per message (``catalogue.MESSAGES``). Pure: no database, no clock, no network.

    built = build("CEB303", orders, BaseTransfer(...), at=declared_at, signer=signer)
    parsed = parse(data)            # any message, declaration or receipt
    for r in parse_receipts(data):  # receipt records: guid, returnStatus, returnTime, returnInfo, keys
        ...
"""

from cbec.ceb.messages.catalogue import (
    BY_CODE,
    EXPORT_RECEIVER,
    IMPORT_RECEIVER,
    MESSAGES,
    RECEIPT_FOR,
    Kind,
    MessageSpec,
    When,
    export_order_type,
    message_spec,
)
from cbec.ceb.messages.codec import (
    MAX_ENTITIES,
    build,
    check_message,
    field_text,
    layout_of,
    new_guid,
    sign,
    split_lines,
)
from cbec.ceb.messages.model import (
    BaseSubscribe,
    BaseTransfer,
    BuiltMessage,
    Entity,
    EntityLike,
    ParsedMessage,
    Receipt,
)
from cbec.ceb.messages.reader import field_value, parse
from cbec.ceb.messages.receipts import is_receipt, parse_receipts, receipts
from cbec.ceb.xsd import CEB_NS, Layout

__all__ = [
    "BY_CODE",
    "CEB_NS",
    "EXPORT_RECEIVER",
    "IMPORT_RECEIVER",
    "MAX_ENTITIES",
    "MESSAGES",
    "RECEIPT_FOR",
    "BaseSubscribe",
    "BaseTransfer",
    "BuiltMessage",
    "Entity",
    "EntityLike",
    "Kind",
    "Layout",
    "MessageSpec",
    "ParsedMessage",
    "Receipt",
    "When",
    "build",
    "check_message",
    "export_order_type",
    "field_text",
    "field_value",
    "is_receipt",
    "layout_of",
    "message_spec",
    "new_guid",
    "parse",
    "parse_receipts",
    "receipts",
    "sign",
    "split_lines",
]
