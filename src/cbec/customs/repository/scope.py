"""Whose declarations a caller sees."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_

from cbec.customs.models import Declaration

Scope = frozenset[str] | None


def scope_filter(scope: Scope) -> ColumnElement[bool] | None:
    """A seller sees its declarations; a platform those of orders placed on it."""
    if scope is None:
        return None
    return or_(Declaration.seller_code.in_(scope), Declaration.ebp_code.in_(scope))
