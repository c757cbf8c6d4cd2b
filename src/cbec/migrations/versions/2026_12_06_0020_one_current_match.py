"""match_result: at most one current result an order

Two writers matching the same order at once (two nodes of the bus while a partition's lease
moves from one to the other) each marked the previous result not current and added their own:
under PostgreSQL's read committed the second writer's UPDATE waited for the first, then skipped
the row the first had already marked and did not see the row it added, so both new results
stayed current. Declaring that order then built it twice and failed on the unique copNo, the
same way at every retry, with every other order of its batch. A partial unique index makes the
second writer fail instead (its step is retried and finds the order matched). Orders that have
several current results already keep the newest.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    result = sa.table("match_result", sa.column("id", sa.Integer), sa.column("order_key", sa.String))
    result.append_column(sa.column("is_current", sa.Boolean))
    newer = sa.alias(result, "newer")
    op.execute(
        result.update()
        .where(
            result.c.is_current.is_(True),
            sa.exists().where(
                newer.c.order_key == result.c.order_key, newer.c.is_current.is_(True), newer.c.id > result.c.id
            ),
        )
        .values(is_current=False)
    )
    op.create_index(
        "ux_match_result_current",
        "match_result",
        ["order_key"],
        unique=True,
        sqlite_where=sa.text("is_current"),
        postgresql_where=sa.text("is_current"),
    )


def downgrade() -> None:
    op.drop_index("ux_match_result_current", table_name="match_result")
