"""What goes into a CEB message and what comes out of one: small frozen dataclasses.

Field names inside ``head`` and ``lines`` are the CEB names exactly as the XSD spells them
(``acturalPaid`` is the official spelling). Values: ``Decimal`` for N19,5 amounts and
quantities, ``int`` for integer fields (``gnum``, ``packNo``, ``msgCount`` …), ``str`` for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class EntityLike(Protocol):
    """Anything with a head and lines keyed by CEB field names (``intake.documents.ParsedDocument`` is one)."""

    @property
    def head(self) -> Mapping[str, Any]: ...

    @property
    def lines(self) -> Sequence[Mapping[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class Entity:
    """One business entity of a message: an order, a list, a receipt line …

    For flat entities (``Receipts``, ``Logistics``, ``InvtCancel``, every ``*Return``) the fields are
    in ``head`` and ``lines`` is empty.
    """

    head: Mapping[str, Any]
    lines: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of(cls, document: EntityLike) -> Entity:
        return cls(dict(document.head), tuple(dict(line) for line in document.lines))


@dataclass(frozen=True, slots=True)
class BaseTransfer:
    """The transmitting enterprise (CEB.md §2.2): must be the identity of the certificate that signs."""

    copCode: str
    copName: str
    dxpId: str
    dxpMode: str = "DXP"
    note: str = ""


@dataclass(frozen=True, slots=True)
class BaseSubscribe:
    """A third party that receives copies: status ALL (data + receipts), DATA or RET (receipts)."""

    status: str
    dxpAddress: str
    dxpMode: str = "DXP"
    note: str = ""


@dataclass(frozen=True, slots=True)
class BuiltMessage:
    """One message ready to sign/send, and what it carries (plumbing fields filled in)."""

    message: str  # "CEB303"
    guid: str  # the root guid attribute
    data: bytes
    entities: tuple[Entity, ...]

    def __bytes__(self) -> bytes:
        return self.data


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    message: str  # "CEB303"
    guid: str
    version: str
    entities: tuple[Entity, ...]
    base_transfer: BaseTransfer | None = None
    base_subscribe: tuple[BaseSubscribe, ...] = ()
    is_signed: bool = False
    #: message-level elements we do not model (ExtendMessage, anything unexpected), by name
    ignored: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Receipt:
    """One receipt entity (``OrderReturn``, ``InventoryReturn`` …, or CEB900 ``MessageReturn``)."""

    message: str  # the receipt message, "CEB304"
    guid: str
    returnStatus: str  # "2", "120", "399", "800", "-301010" … kept as sent
    returnTime: str  # yyyyMMddHHmmssSSS
    returnInfo: str
    #: every other field of the receipt: the keys of the answered document (orderNo, invtNo,
    #: copNo, preNo, logisticsNo …), as the XSD names them
    keys: Mapping[str, Any]
    answers: str | None = None  # the declaration it answers, "CEB303"; None for CEB900

    @property
    def status(self) -> int | None:
        """The numeric returnStatus, None when it is not a number."""
        try:
            return int(self.returnStatus.strip())
        except ValueError:
            return None

    @property
    def is_error(self) -> bool:
        """Negative codes are processing errors (CEB.md §4.2); CEB900 always reports one."""
        status = self.status
        return status is not None and status < 0
