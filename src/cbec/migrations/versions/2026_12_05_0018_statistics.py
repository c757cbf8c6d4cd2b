"""statistics: the counted lists and their lines, with the CNY value at a stated rate

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.orm

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stat_list",
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("order_key", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("value_cny", cbec.orm.Money(), nullable=True),
        sa.Column("rate", sa.String(length=24), nullable=False),
        sa.Column("rate_on", sa.Date(), nullable=True),
        sa.Column("rate_source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declaration.id"], name=op.f("fk_stat_list_declaration_id_declaration")
        ),
        sa.PrimaryKeyConstraint("declaration_id", name=op.f("pk_stat_list")),
    )
    op.create_index("ix_stat_list_month", "stat_list", ["month"], unique=False)
    op.create_index("ix_stat_list_day", "stat_list", ["day"], unique=False)
    op.create_table(
        "stat_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("gnum", sa.Integer(), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("chapter", sa.String(length=2), nullable=False),
        sa.Column("heading", sa.String(length=4), nullable=False),
        sa.Column("value", cbec.orm.Money(), nullable=False),
        sa.Column("value_cny", cbec.orm.Money(), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["stat_list.declaration_id"], name=op.f("fk_stat_line_declaration_id_stat_list")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_line")),
    )
    op.create_index("ix_stat_line_chapter", "stat_line", ["chapter", "heading"], unique=False)
    op.create_index(op.f("ix_stat_line_declaration_id"), "stat_line", ["declaration_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stat_line_declaration_id"), table_name="stat_line")
    op.drop_index("ix_stat_line_chapter", table_name="stat_line")
    op.drop_table("stat_line")
    op.drop_index("ix_stat_list_day", table_name="stat_list")
    op.drop_index("ix_stat_list_month", table_name="stat_list")
    op.drop_table("stat_list")
