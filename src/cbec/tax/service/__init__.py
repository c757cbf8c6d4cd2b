"""Tax assessments kept in the database, one module per use case:

* ``imports``  — retail imports against the buyers' annual ledger, one order or a selection, and
  the ledger given back when customs voids an assessed order (an event);
* ``claims``   — export refund claims and returned-goods relief;
* ``explain``  — a stored assessment recomputed from the rates stored with it;
* ``reports``  — the period's refund report;
* ``read``     — assessments for the API, the pages and a declaration's detail.

The computations are the pure ones of :mod:`cbec.tax` (import_tax, export_refund,
return_relief); this layer reads the buyer's year-to-date total from the database ledger,
stores each assessment with its input and its full result (basis included), and reads them
back. Services flush, never commit: the unit of work at the edge does.
"""

from cbec.tax.service.claims import assess_refund, assess_return_relief
from cbec.tax.service.common import IMPORT, REFUND, RETURN_RELIEF
from cbec.tax.service.explain import explain
from cbec.tax.service.imports import (
    DbLedger,
    assess_import,
    assess_import_orders,
    refused_orders,
    release_order,
)
from cbec.tax.service.read import assessment_read, assessments_for_declaration, explain_scoped, list_assessments
from cbec.tax.service.reports import parse_period, refund_report

__all__ = [
    "IMPORT",
    "REFUND",
    "RETURN_RELIEF",
    "DbLedger",
    "assess_import",
    "assess_import_orders",
    "assess_refund",
    "assess_return_relief",
    "assessment_read",
    "assessments_for_declaration",
    "explain",
    "explain_scoped",
    "list_assessments",
    "parse_period",
    "refund_report",
    "refused_orders",
    "release_order",
]
