"""The states of a catalogue entry's HS code, and what a declaration may use. Pure.

A line is declared only with an HS code the seller made its own: a code it *confirmed* as
suggested, one it *corrected* (gave instead of the suggestion), or one it sent with the order or
in its catalogue file. A suggestion alone is never declared: the declarant classifies its goods
(商品编码 is the declarant's entry in every CEB list), and our suggestions are right at heading
level only so often (docs/hs-suggestions.md). This is the platform's policy, not a cited rule.
"""

from __future__ import annotations

from enum import StrEnum


class HsState(StrEnum):
    NONE = "none"  # no code yet: nothing suggested either
    SUGGESTED = "suggested"  # the platform's guess, waiting for the seller
    CONFIRMED = "confirmed"  # the seller accepted the suggestion, or gave the code itself
    CORRECTED = "corrected"  # the seller gave another code than the one suggested


#: states whose code a declaration may use
DECLARABLE = frozenset({HsState.CONFIRMED.value, HsState.CORRECTED.value})
#: states a seller still has to act on
UNCONFIRMED = frozenset({HsState.NONE.value, HsState.SUGGESTED.value})


def state_after_decision(suggested_code: str | None, chosen_code: str) -> HsState:
    """A seller's decision on a SKU: taking the suggested code confirms it, another corrects it."""
    return HsState.CONFIRMED if suggested_code in (None, "", chosen_code) else HsState.CORRECTED


def parse_state(value: str | None) -> str | None:
    """A filter's state: one of the states, "unconfirmed" (none or suggested), or None (all)."""
    if value in (None, "", "all"):
        return None
    allowed = {s.value for s in HsState} | {"unconfirmed"}
    if value not in allowed:
        raise ValueError(value)
    return value
