"""Typed errors that carry their meaning, in Chinese and English.

Nothing below an entry point raises framework exceptions; the CLI (and later the HTTP API)
render these once. Every error that concerns a document names the document, the line and the
field, so a person can find and correct it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of one document."""

    code: str  # stable machine code, e.g. "required", "max_length", "arithmetic"
    field: str  # CEB field name as the standard spells it, e.g. "goodsValue"
    message_zh: str
    message_en: str
    document: str = ""  # e.g. "export_order ebp=1105910159 orderNo=536365"
    line: int | None = None  # gnum / row number where the problem is on a line

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "document": self.document,
            "line": self.line,
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }

    def __str__(self) -> str:
        where = self.document + (f" line {self.line}" if self.line is not None else "")
        return f"{where} [{self.field}] {self.message_zh} / {self.message_en}"


class CbecError(Exception):
    """Base of every error the platform reports to a person or a partner."""

    code = "error"
    http_status = 400
    #: the inbox submission the error concerns, when the raw input was kept
    inbox_id: int | None = None

    def __init__(
        self,
        message_en: str,
        message_zh: str = "",
        *,
        field: str | None = None,
        document: str | None = None,
        details: list[FieldError] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        self.field = field
        self.document = document
        self.details = details or []

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "error": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        if self.field:
            out["field"] = self.field
        if self.document:
            out["document"] = self.document
        if self.inbox_id is not None:
            out["inbox_id"] = self.inbox_id
        if self.details:
            out["details"] = [d.as_dict() for d in self.details]
        return out

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


class NotFound(CbecError):
    code = "not_found"
    http_status = 404


class Conflict(CbecError):
    code = "conflict"
    http_status = 409


class InvalidInput(CbecError):
    """The input cannot be read at all (malformed file, unknown format, bad argument)."""

    code = "invalid_input"
    http_status = 422


class HostileInput(InvalidInput):
    """Input that tries to attack the parser (DTDs, entity expansion, external references)."""

    code = "hostile_input"


class LimitExceeded(InvalidInput):
    """The input is past one of the named limits of ``cbec.kit.limits`` (the error names it)."""

    code = "limit_exceeded"


class ValidationFailed(CbecError):
    """A document was read but breaks field, code-list or arithmetic rules."""

    code = "validation_failed"
    http_status = 422
    #: for a batch (a message of many entities): entity index → its problems (-1: the batch's own)
    by_entity: dict[int, list[FieldError]] | None = None


class RuleViolation(CbecError):
    """A business rule refuses the request (limits, matching, state transitions)."""

    code = "rule_violation"
    http_status = 422


class UnknownCode(InvalidInput):
    """A code (country, currency, unit, HS, enterprise) is not in its code list."""

    code = "unknown_code"


class Unavailable(CbecError):
    """The platform cannot do it now (the database is unreachable, the disk is full): nothing was
    changed by the failed attempt, and the same request succeeds once the fault clears."""

    code = "unavailable"
    http_status = 503
    retry_after = 30
