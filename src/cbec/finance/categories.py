"""Which bridge category a settlement amount component belongs to (``data/amazon_categories.csv``,
replaceable; the categories are explained there). Pure once loaded."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

#: every category, in the order the bridge shows them (declared value → money received)
CATEGORIES = (
    "principal", "shipping", "refund", "promotion", "commission", "fulfilment", "storage", "logistics", "tax",
    "advertising", "account", "other", "reserve",
)  # fmt: skip

#: the costs 国家外汇管理局 汇发〔2020〕11号 §2 lets a seller net against export proceeds (overseas
#: storage, logistics and taxes): the "restored gross" adds them back to what was received
NETTED = frozenset({"fulfilment", "storage", "logistics", "tax"})

#: charges not tied to one order, spread over the settlement's orders (rules.allocate)
ACCOUNT_LEVEL = frozenset({"storage", "advertising", "account", "other"})


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[str, str, str, str], ...]:
    text = resources.files("cbec.finance.data").joinpath("amazon_categories.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(
        (r["transaction_type"].lower(), r["amount_type"].lower(), r["amount_description"].lower(), r["category"])
        for r in rows
    )


def category_of(transaction_type: str, amount_type: str, description: str) -> str:
    """The first row of the table that matches (``*`` matches anything); ``other`` if none."""
    key = (transaction_type.lower(), amount_type.lower(), description.lower())
    for kind, atype, desc, category in _table():
        if all(want in ("*", have) for want, have in zip((kind, atype, desc), key, strict=True)):
            return category
    return "other"
