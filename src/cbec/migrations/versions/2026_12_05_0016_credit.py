"""credit (record, grades, imported facts, objections) and risk lanes with the credit standings they read

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-05 18:39:11.023623
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.orm

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=False),
        sa.Column("imported_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_fact")),
    )
    with op.batch_alter_table("credit_fact", schema=None) as batch_op:
        batch_op.create_index("ix_credit_fact_enterprise", ["enterprise_code"], unique=False)

    op.create_table(
        "credit_grade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("computed_grade", sa.String(length=4), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=False),
        sa.Column("dishonest", sa.Boolean(), nullable=False),
        sa.Column("customs_tier", sa.String(length=20), nullable=True),
        sa.Column("contributions", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_grade")),
    )
    with op.batch_alter_table("credit_grade", schema=None) as batch_op:
        batch_op.create_index("ix_credit_grade_enterprise", ["enterprise_code", "id"], unique=False)

    op.create_table(
        "credit_objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("filed_by", sa.String(length=60), nullable=False),
        sa.Column("filed_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.String(length=2000), nullable=False),
        sa.Column("answered_by", sa.String(length=60), nullable=False),
        sa.Column("answered_at", cbec.orm.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_objection")),
    )
    with op.batch_alter_table("credit_objection", schema=None) as batch_op:
        batch_op.create_index("ix_credit_objection_enterprise", ["enterprise_code"], unique=False)

    op.create_table(
        "risk_lane",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cop_no", sa.String(length=60), nullable=False),
        sa.Column("message_type", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("seller_code", sa.String(length=18), nullable=False),
        sa.Column("order_no", sa.String(length=60), nullable=False),
        sa.Column("lane", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("best", sa.Boolean(), nullable=False),
        sa.Column("draw", sa.Float(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("created_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_lane")),
        sa.UniqueConstraint("direction", "cop_no", name="uq_risk_lane_direction_cop_no"),
    )
    with op.batch_alter_table("risk_lane", schema=None) as batch_op:
        batch_op.create_index("ix_risk_lane_seller", ["seller_code"], unique=False)

    op.create_table(
        "risk_standing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=True),
        sa.Column("customs_tier", sa.String(length=20), nullable=True),
        sa.Column("dishonest", sa.Boolean(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("updated_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_standing")),
        sa.UniqueConstraint("enterprise_code", name=op.f("uq_risk_standing_enterprise_code")),
    )

    op.create_table(
        "risk_price_ref",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("updated_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_price_ref")),
        sa.UniqueConstraint("kind", "key", "currency", "direction", name="uq_risk_price_ref_key"),
    )


def downgrade() -> None:
    op.drop_table("risk_price_ref")
    op.drop_table("risk_standing")
    with op.batch_alter_table("risk_lane", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_lane_seller")

    op.drop_table("risk_lane")
    with op.batch_alter_table("credit_objection", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_objection_enterprise")

    op.drop_table("credit_objection")
    with op.batch_alter_table("credit_grade", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_grade_enterprise")

    op.drop_table("credit_grade")
    with op.batch_alter_table("credit_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_fact_enterprise")

    op.drop_table("credit_fact")
