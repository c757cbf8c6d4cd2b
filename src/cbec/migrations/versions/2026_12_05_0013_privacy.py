"""personal-data erasure: the encrypted retention record, an inbox item's erasure time

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.orm

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retained_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=18), nullable=False),
        sa.Column("erased_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retained_record")),
        sa.UniqueConstraint("token", name=op.f("uq_retained_record_token")),
    )
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", cbec.orm.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    op.drop_table("retained_record")
