"""What every parser returns. Parsers are pure: bytes in, documents out, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cbec.errors import FieldError
from cbec.intake.documents import ParseContext, ParsedDocument
from cbec.kit.codes import CodeLists


@dataclass
class ParseResult:
    """Documents read from one submission, and what could not become a document at all.

    ``errors`` are problems that stop a row/element from being read (e.g. an unreadable number
    in a marketplace file); documents that were read but break field rules are reported later
    by ``intake.rules`` and still kept.

    A parser of large files may give ``documents`` as a generator, so that intake stores them in
    batches while they are read and memory stays flat in the file's size; ``errors`` and
    ``stats`` are then complete only once the documents have been consumed, and ``size_hint``
    (an upper bound, for progress bars) says how many to expect.
    """

    documents: Iterable[ParsedDocument] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    size_hint: int | None = None

    def materialize(self) -> ParseResult:
        """Read every document now (tests, small files)."""
        if not isinstance(self.documents, list):
            self.documents = list(self.documents)
        return self


def country_notes(codes: CodeLists, given: str) -> tuple[str, ...]:
    """The note a document carries when its country has no customs code of its own and went
    through a suggested alias (Jersey → 399): the mapping is shown to the user, never hidden."""
    note = codes.country_note(given) if given else None
    return (f"{note[1]} / {note[0]}",) if note else ()


def export_head(
    ctx: ParseContext,
    order_no: str,
    *,
    goods_value: Any,
    freight: Any,
    currency: str | None,
    order_time: str,
    country: str | None,
) -> dict[str, Any]:
    """The head of an export order (CEB303-shaped keys) as every marketplace parser makes it: the
    order, the platform and the seller the file was submitted for, the amounts and the
    destination, in this key order."""
    return {
        "orderType": "E",
        "orderNo": order_no,
        "ebpCode": ctx.platform_code,
        "ebpName": ctx.platform_name,
        "ebcCode": ctx.seller_code,
        "ebcName": ctx.seller_name,
        "goodsValue": goods_value,
        "freight": freight,
        "currency": currency,
        "orderTime": order_time,
        "destinationCountry": country,
    }
