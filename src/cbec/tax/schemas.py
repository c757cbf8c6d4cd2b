"""Tax's typed contracts: what another area hands it (an import order to assess, one voided) and
what a request to the tax engine is once read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cbec.tax.import_tax import (
    ImportOrder,
)


@dataclass(frozen=True, slots=True)
class ImportRequest:
    order: ImportOrder
    prior_purchases: Decimal
    date_source: str  # "on" or "appTime"


@dataclass(frozen=True, slots=True)
class ImportToAssess:
    """A matched retail import order handed to tax by customs before it is declared: the order
    as the tax rules read it, and whose it is (the seller, the platform that keys the ledger)."""

    order: ImportOrder
    seller_code: str
    platform_code: str


@dataclass(frozen=True, slots=True)
class ImportOrderVoided:
    """An assessed import order that will not be bought after all: the declaration builder
    refused it, customs rejected its list, or the list was cancelled or its goods returned. It
    uses none of the buyer's annual quota (财关税〔2018〕49号 counts what a person bought); tax
    takes it out of the ledger (``ebp_code`` + ``order_no`` key the ledger entry)."""

    ebp_code: str
    order_no: str
