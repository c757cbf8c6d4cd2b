"""The finance area's use cases (issue 17), one module each:

* ``money_files`` — settlement, payout and receipts files kept raw, then read;
* ``reconciling`` — declared exports against settlements and receipts, stored per order;
* ``read``        — the list bridge, the orders' money and the page's figures;
* ``prequalifying`` — the financing pre-qualification data package, sealed.

Money came after the goods; none of these commit (the edge's unit of work does).
"""

from cbec.finance.service.money_files import keep, money_format, read_money_file
from cbec.finance.service.prequalifying import prequalification
from cbec.finance.service.read import list_money, money_of_order, order_money_read, orders_money, page_figures
from cbec.finance.service.reconciling import declared_orders, quote_read, reconcile, reconcile_workbook

__all__ = [
    "declared_orders",
    "keep",
    "list_money",
    "money_format",
    "money_of_order",
    "order_money_read",
    "orders_money",
    "page_figures",
    "prequalification",
    "quote_read",
    "read_money_file",
    "reconcile",
    "reconcile_workbook",
]
