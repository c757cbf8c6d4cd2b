"""The normalised documents every parser produces, whatever the partner's format.

A document is a head and lines keyed by the CEB field names exactly as the XSD spells them
(``orderNo``, ``goodsValue``, ``acturalPaid`` …), one document type per CEB business entity a
partner sends us. Values are ``str`` for text, ``Decimal`` for N19,5 amounts and quantities and
``int`` for ``gnum``/``packNo``; parsers may leave numbers as text and the validation step
(``intake.rules``) coerces them and reports what it cannot read, naming the field.

Fields the CEB entity does not carry but the platform needs are *extension fields*, listed in
``EXTENSION_FIELDS``; they are never written into a CEB message.
Pure module: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DocType(StrEnum):
    EXPORT_ORDER = "export_order"  # CEB303 Order (orderType E, B for 9710, W for 9810 bookings)
    EXPORT_RECEIPT = "export_receipt"  # CEB403 Receipts (payment receipt, optional since 2024年第167号)
    EXPORT_WAYBILL = "export_waybill"  # CEB505 Logistics
    IMPORT_ORDER = "import_order"  # CEB311 Order
    IMPORT_PAYMENT = "import_payment"  # CEB411 Payment
    IMPORT_WAYBILL = "import_waybill"  # CEB511 Logistics
    ORDER_CANCEL = "order_cancel"  # a marketplace cancellation/credit note (no CEB message of its own)


#: CEB message each document type comes from (and is declared as).
CEB_MESSAGE: dict[DocType, str] = {
    DocType.EXPORT_ORDER: "CEB303",
    DocType.EXPORT_RECEIPT: "CEB403",
    DocType.EXPORT_WAYBILL: "CEB505",
    DocType.IMPORT_ORDER: "CEB311",
    DocType.IMPORT_PAYMENT: "CEB411",
    DocType.IMPORT_WAYBILL: "CEB511",
}

#: Head fields whose values identify a document; a resubmission with the same key is the same
#: document (identical content: a duplicate; other content: a new version).
KEY_FIELDS: dict[DocType, tuple[str, ...]] = {
    DocType.EXPORT_ORDER: ("ebpCode", "orderNo"),
    DocType.EXPORT_RECEIPT: ("ebpCode", "orderNo"),
    DocType.EXPORT_WAYBILL: ("logisticsCode", "logisticsNo"),
    DocType.IMPORT_ORDER: ("ebpCode", "orderNo"),
    DocType.IMPORT_PAYMENT: ("payCode", "payTransactionId"),
    DocType.IMPORT_WAYBILL: ("logisticsCode", "logisticsNo"),
    DocType.ORDER_CANCEL: ("ebpCode", "cancelNo"),
}

#: Platform fields that are not part of the CEB entity. Documented in docs/intake.md.
EXTENSION_FIELDS: dict[DocType, frozenset[str]] = {
    DocType.EXPORT_ORDER: frozenset(
        {
            "orderTime",  # YYYYMMDDhhmmss when the buyer ordered (CEB303 has only appTime)
            "destinationCountry",  # customs country code of destination (goes to CEB603 country)
            "logisticsNo",  # waybill of the parcel, when the seller knows it (links to CEB505)
            "logisticsCode",
            "buyerRef",  # marketplace customer reference (no personal data needed for export)
        }
    ),
    DocType.EXPORT_RECEIPT: frozenset(),
    DocType.EXPORT_WAYBILL: frozenset(
        {
            "orderNo",  # order the parcel carries; CEB505 has no orderNo, the list CEB603 links them
            "ebpCode",
            "destinationCountry",
        }
    ),
    DocType.IMPORT_ORDER: frozenset({"orderTime"}),
    DocType.IMPORT_PAYMENT: frozenset(),
    DocType.IMPORT_WAYBILL: frozenset(
        {
            "trafNo",  # conveyance (flight) of the direct-purchase shipment, needed by the 9610 list
            "voyageNo",  # voyage/flight number (billNo is a CEB511 field)
        }
    ),
    DocType.ORDER_CANCEL: frozenset(
        {"cancelNo", "orderNo", "ebpCode", "ebcCode", "cancelTime", "buyerRef", "currency", "reason"}
    ),
}

#: Line extension fields (all types): ``hsCode`` suggested by the partner, ``kind`` of a
#: pseudo-line that is not goods (see LineKind); ``qty2``/``unit2`` (the CEB621 names): the
#: line's total in a second unit (ml, g, 片), which the import tax needs for goods taxed by their
#: price per unit (high-end cosmetics, 财税〔2016〕103号) and CEB311 OrderList cannot carry.
LINE_EXTENSION_FIELDS = frozenset({"hsCode", "kind", "itemRecordNo", "qty2", "unit2"})


class LineKind(StrEnum):
    GOODS = "goods"
    FREIGHT = "freight"  # postage/carriage lines of a marketplace report → order freight
    DISCOUNT = "discount"  # discount lines → reduce goods value (export) / discount (import)
    FEE = "fee"  # marketplace/bank fees: not goods, not declared; kept for FX reconciliation
    ADJUSTMENT = "adjustment"  # manual or bad-debt adjustments: not goods


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """One business document as received, normalised to CEB field names."""

    doc_type: DocType
    head: Mapping[str, Any]
    lines: tuple[Mapping[str, Any], ...] = ()
    #: where in the submission it came from, for error messages: "row 12", "invoice 536365" …
    source_ref: str = ""
    #: parser remarks that are not errors (e.g. "3 postage lines moved to freight")
    notes: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        """The document's identity, e.g. ``ebpCode=1105910159|orderNo=536365``."""
        return "|".join(f"{f}={self.head.get(f, '')}" for f in KEY_FIELDS[self.doc_type])

    @property
    def label(self) -> str:
        """How the document is named in error messages."""
        name = CEB_MESSAGE.get(self.doc_type, self.doc_type.value)
        ref = f" ({self.source_ref})" if self.source_ref else ""
        return f"{name} {self.doc_type.value} {self.key}{ref}"


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What the submitter told us beside the file: whose documents these are."""

    seller_code: str  # ebcCode of the e-commerce enterprise (seller)
    seller_name: str
    platform_code: str = ""  # ebpCode; "无" is allowed for a foreign platform with no code
    platform_name: str = ""
    sender_code: str = ""  # enterprise that sent the file (defaults to the seller)
