"""declaration: indexes for the lookups of sending and receipts

Marking a message's declarations sent (``WHERE outbox_id = …``) scanned the whole declaration
table once per message sent: 0.2 s a message at 300,000 declarations on PostgreSQL (seen in
bench/bus.py's 100,000-order run), so sending was quadratic in the table's size. Finding a list
by customs' inventory number (receipts that name only invtNo, logistics, bonded stock) and a
list's cancellations and returns (``related_id``) scanned it too.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 22:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_declaration_outbox", "declaration", ["outbox_id"])
    op.create_index("ix_declaration_invt_no", "declaration", ["invt_no"])
    op.create_index("ix_declaration_related", "declaration", ["related_id"])


def downgrade() -> None:
    op.drop_index("ix_declaration_related", table_name="declaration")
    op.drop_index("ix_declaration_invt_no", table_name="declaration")
    op.drop_index("ix_declaration_outbox", table_name="declaration")
