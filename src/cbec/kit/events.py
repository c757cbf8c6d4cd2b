"""In-process domain events: an area says what happened, and an area below it that must react
subscribes a handler, so the lower area is never called from inside the higher one's logic and
the higher one never learns the lower one's bookkeeping (customs says an import list was voided;
tax gives the buyer's quota back). Delivery is synchronous, inside the publisher's unit of work:
the reaction commits or rolls back with the change that caused it.

An event type is a frozen dataclass owned by the subscriber's area (its input contract); the
handler registers where it is defined, so whoever can import the event type has loaded its
handler. Publishing an event nobody handles is a wiring bug and raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

E = TypeVar("E")
Handler = Callable[[Any, E], None]

_handlers: dict[type[Any], list[Handler[Any]]] = {}


def subscribe(event_type: type[E], handler: Handler[E]) -> None:
    """Register ``handler(session, event)`` for ``event_type`` (once; registering again is a no-op)."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def publish(session: Any, event: object) -> None:
    """Deliver ``event`` to every handler of its type, in the caller's unit of work."""
    handlers = _handlers.get(type(event))
    if not handlers:
        raise LookupError(f"no handler for {type(event).__name__}: its area's module was not loaded")
    for handler in handlers:
        handler(session, event)
