"""failed sign-ins counted, and signing in refused for a while after too many

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.orm

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until", cbec.orm.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
