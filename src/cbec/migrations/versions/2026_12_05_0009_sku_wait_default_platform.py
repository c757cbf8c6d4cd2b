"""orders waiting on a SKU's HS code; a seller's default platform

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sku_wait",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_key", sa.String(length=200), nullable=False),
        sa.Column("order_no", sa.String(length=60), nullable=False),
        sa.Column("seller_code", sa.String(length=18), nullable=False),
        sa.Column("sku", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_wait")),
    )
    with op.batch_alter_table("sku_wait", schema=None) as batch_op:
        batch_op.create_index("ix_sku_wait_seller_sku", ["seller_code", "sku"], unique=False)
        batch_op.create_index(batch_op.f("ix_sku_wait_order_key"), ["order_key"], unique=False)
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("default_platform", sa.String(length=18), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_column("default_platform")
    with op.batch_alter_table("sku_wait", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sku_wait_order_key"))
        batch_op.drop_index("ix_sku_wait_seller_sku")
    op.drop_table("sku_wait")
