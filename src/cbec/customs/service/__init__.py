"""The declaration lifecycle on stored data, one module per use case:

* ``declare``  — matched orders → declarations and their messages, with risk and tax before;
* ``outbox``   — messages built and stored with their declarations, then handed to the transport;
* ``receipts`` — customs' answers applied once each, through the state machine;
* ``requests`` — cancellation and return of a declared list;
* ``summary``  — the CEB701 summary declaration of released (and departed) 9610 lists;
* ``movements`` — arrival, departure, master bill, delivery, site entry, returned-parcel tally;
* ``screen``   — a seller's received orders through the risk rules before declaring (nothing kept);
* ``read``     — counts, pages, detail, XML and timeline for the API, the pages and the CLI.

None of these commit; the caller's unit of work does.
"""

from cbec.customs.rules import LIST_MESSAGES
from cbec.customs.schemas import DeclareReport, ReceiptReport
from cbec.customs.service.declaring import declare
from cbec.customs.service.movements import (
    declare_movement,
    departed_lists,
    mark_departed,
    movements_of_parcels,
    parcels_moved,
    released_parcels,
    sellers_of_parcels,
    zone_customs_code,
)
from cbec.customs.service.outbox import send_pending
from cbec.customs.service.read import (
    declaration_detail,
    declaration_read,
    declaration_xml,
    declared_exports,
    list_declarations,
    lists_waiting,
    message_count,
    receipt_count,
    released_export_lines,
    status_counts,
    timeline,
)
from cbec.customs.service.receipts import apply_receipt_bytes, apply_receipts, settle_receipts
from cbec.customs.service.requests import request_cancel, request_return
from cbec.customs.service.screen import screen_seller
from cbec.customs.service.summary import summarise

__all__ = [
    "LIST_MESSAGES",
    "DeclareReport",
    "ReceiptReport",
    "apply_receipt_bytes",
    "apply_receipts",
    "declaration_detail",
    "declaration_read",
    "declaration_xml",
    "declare",
    "declare_movement",
    "declared_exports",
    "departed_lists",
    "list_declarations",
    "lists_waiting",
    "mark_departed",
    "message_count",
    "movements_of_parcels",
    "parcels_moved",
    "receipt_count",
    "released_export_lines",
    "released_parcels",
    "request_cancel",
    "request_return",
    "screen_seller",
    "sellers_of_parcels",
    "send_pending",
    "settle_receipts",
    "status_counts",
    "summarise",
    "timeline",
    "zone_customs_code",
]
