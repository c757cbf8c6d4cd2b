"""What every parser returns. Parsers are pure: bytes in, documents out, no I/O."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from cbec.errors import FieldError
from cbec.intake.documents import ParsedDocument


@dataclass
class ParseResult:
    """Documents read from one submission, and what could not become a document at all.

    ``errors`` are problems that stop a row/element from being read (e.g. an unreadable number
    in a marketplace file); documents that were read but break field rules are reported later
    by ``intake.validation`` and still kept.
    """

    documents: list[ParsedDocument] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
