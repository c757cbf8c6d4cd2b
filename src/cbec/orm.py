"""ORM base, naming convention and the portable column types.

Tables and types behave the same on SQLite and PostgreSQL: JSON (not JSONB), strings for enums,
timezone-aware timestamps, money as exact integers of 10⁻⁵ (CEB's N19,5 scale).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, DateTime, MetaData, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_SCALE = Decimal(100000)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps, stored in UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact amount with up to five decimals, stored as an integer of 10⁻⁵ units."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * _SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"amount {value} has more than five decimals")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / _SCALE).normalize() if value else Decimal(0)


def utcnow() -> datetime:
    """The one place the ORM layer asks the clock (pure rules get dates passed in)."""
    return datetime.now(UTC)


# --- Core statements on the hot write paths ---------------------------------------------------
# The batch paths write with Core statements on the tables (``insert(Model.__table__)``, executemany
# updates by id): the ORM's bulk layer walked every row and column in Python, a fifth of declaring's
# CPU and two fifths of applying receipts'. These keep what that layer did for us: the rows it would
# have sent, the flush of pending changes before the statement, the loaded objects kept current.


def table_of(model: type[Base]) -> Table:
    """A model's table, typed for Core statements."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


@cache
def _defaulted(table: Table) -> frozenset[str]:
    """The columns whose default the ORM applied when a row gave them None (JSON stores None as
    JSON null, so it keeps the None; a column without a default is NULL either way)."""
    return frozenset(c.key for c in table.c if c.default is not None and not c.type.should_evaluate_none)


def insert_groups(table: Table, rows: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """``rows`` for Core INSERT executemany statements, as the ORM's bulk INSERT sent them: a None
    given to a column with a default dropped (the default applies), and consecutive rows with the
    same keys together, one statement each, in order (Core takes an executemany's columns from its
    first row and would ignore another key of a later row)."""
    defaulted = _defaulted(table)
    groups: list[list[Mapping[str, Any]]] = []
    keys: Any = None
    for given in rows:
        row = given
        if None in given.values():
            for k in defaulted:
                if k in given and given[k] is None:
                    row = {k: v for k, v in given.items() if v is not None or k not in defaulted}
                    break
        if keys is None or row.keys() != keys:
            groups.append([])
            keys = row.keys()
        groups[-1].append(row)
    return groups


def autoflush(session: Session) -> None:
    """Flush pending changes before a Core statement, as an ORM statement would (autoflush):
    the statement then sees them, and a later flush does not overwrite what it wrote."""
    if session.autoflush:
        session.flush()


def expire_loaded(session: Session, model: type[Base], ids: Collection[int], keys: Iterable[str]) -> None:
    """After a Core UPDATE of these rows, their objects loaded in the session (usually none) read
    the changed columns again, as the ORM's UPDATE kept them current."""
    if not ids or not session.identity_map:
        return
    wanted = set(ids)
    identity = session.identity_map
    loaded = [identity.get(key) for key in list(identity.keys()) if key[0] is model and key[1][0] in wanted]
    columns = list(keys)
    for obj in loaded:
        if obj is not None:
            session.expire(obj, columns)
