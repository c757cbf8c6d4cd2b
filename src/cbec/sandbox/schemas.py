"""What the sandbox customs reports, and the records it keeps and passes between its parts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from cbec.ceb.messages import (
    ParsedMessage,
)
from cbec.errors import CbecError


class SandboxFault(CbecError):
    """The sandbox produced something it should not have (a receipt failing its own XSD)."""

    code = "sandbox_fault"
    http_status = 500


# --- report -----------------------------------------------------------------------------------


@dataclass
class SandboxReport:
    """What one step (or several) did."""

    steps: int = 0
    files_read: int = 0
    receipt_files: int = 0
    #: receipts (return entities) written: message → returnStatus → count
    receipts: dict[str, Counter[str]] = field(default_factory=dict)
    ceb900: int = 0
    summary_results: int = 0  # CEB792 messages
    advanced: int = 0  # walk steps taken (a status moved on)
    pending: int = 0  # walks still open after the step

    def count(self, message: str, status: str, n: int = 1) -> None:
        self.receipts.setdefault(message, Counter())[status] += n

    def merge(self, other: SandboxReport) -> None:
        self.steps += other.steps
        self.files_read += other.files_read
        self.receipt_files += other.receipt_files
        for message, counts in other.receipts.items():
            self.receipts.setdefault(message, Counter()).update(counts)
        self.ceb900 += other.ceb900
        self.summary_results += other.summary_results
        self.advanced += other.advanced
        self.pending = other.pending

    @property
    def is_idle(self) -> bool:
        return self.files_read == 0 and self.advanced == 0 and self.pending == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "files_read": self.files_read,
            "receipt_files": self.receipt_files,
            "receipts": {m: dict(sorted(c.items())) for m, c in sorted(self.receipts.items())},
            "ceb900": self.ceb900,
            "summary_results": self.summary_results,
            "advanced": self.advanced,
            "pending": self.pending,
        }


@dataclass
class Doc:
    side: str
    kind: str
    key: str
    message: str
    guid: str
    status: int
    data: dict[str, Any]
    state: str = "active"
    invt_no: str = ""
    pre_no: str = ""
    hold: str = ""
    summary: str = ""
    received_at: str = ""

    @property
    def head(self) -> dict[str, Any]:
        head: dict[str, Any] = self.data.get("head", {})
        return head

    @property
    def lines(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = self.data.get("lines", [])
        return lines


@dataclass
class Walk:
    id: int
    side: str
    kind: str
    doc_key: str
    receipt: str
    source: str
    ret: dict[str, Any]
    plan: list[str]
    reply: dict[str, str] | None
    #: set when a step changes ``ret`` (a number assigned): only then is ``ret`` written again
    ret_changed: bool = False


@dataclass
class Answer:
    """Customs' answer to one entity: its status now, and the walk it starts (if any)."""

    status: int
    info: str
    plan: tuple[str, ...] = ()  # statuses still to come, one per step
    kind: str = ""
    doc_key: str = ""


@dataclass(frozen=True)
class Incoming:
    """A declaration read from a file: the message, its bytes, and how to address the answer."""

    file: str
    data: bytes
    parsed: ParsedMessage
    reply: dict[str, str] | None
    root: etree._Element  # the message as parsed once; its signature check uses it up
