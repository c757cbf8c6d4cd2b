"""logistics: tracking events and their review queue, the parcels of movement declarations, a
list's departure time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.orm

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tracking_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=18), nullable=False),
        sa.Column("code_system", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("example", sa.Text(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(length=60), nullable=False),
        sa.Column("first_seen_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", cbec.orm.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_review")),
        sa.UniqueConstraint("carrier", "code_system", "code", name=op.f("uq_tracking_review_carrier_code_system_code")),
    )
    op.create_table(
        "tracking_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=18), nullable=False),
        sa.Column("waybill_no", sa.String(length=80), nullable=False),
        sa.Column("occurred_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("code_system", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("seller_code", sa.String(length=18), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("received_at", cbec.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["tracking_review.id"], name=op.f("fk_tracking_event_review_id_tracking_review")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_event")),
        sa.UniqueConstraint(
            "carrier",
            "waybill_no",
            "code",
            "occurred_at",
            name=op.f("uq_tracking_event_carrier_waybill_no_code_occurred_at"),
        ),
    )
    with op.batch_alter_table("tracking_event", schema=None) as batch_op:
        batch_op.create_index("ix_tracking_event_waybill", ["waybill_no", "occurred_at"], unique=False)
        batch_op.create_index("ix_tracking_event_review", ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracking_event_seller_code"), ["seller_code"], unique=False)

    op.create_table(
        "declaration_parcel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("logistics_no", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declaration.id"], name=op.f("fk_declaration_parcel_declaration_id_declaration")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration_parcel")),
        sa.UniqueConstraint(
            "declaration_id", "logistics_no", name=op.f("uq_declaration_parcel_declaration_id_logistics_no")
        ),
    )
    with op.batch_alter_table("declaration_parcel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declaration_parcel_declaration_id"), ["declaration_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_declaration_parcel_logistics_no"), ["logistics_no"], unique=False)

    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("departed_at", cbec.orm.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.drop_column("departed_at")
    with op.batch_alter_table("declaration_parcel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_parcel_logistics_no"))
        batch_op.drop_index(batch_op.f("ix_declaration_parcel_declaration_id"))
    op.drop_table("declaration_parcel")
    with op.batch_alter_table("tracking_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_event_seller_code"))
        batch_op.drop_index("ix_tracking_event_review")
        batch_op.drop_index("ix_tracking_event_waybill")
    op.drop_table("tracking_event")
    op.drop_table("tracking_review")
