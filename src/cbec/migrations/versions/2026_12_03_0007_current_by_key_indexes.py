"""current-by-key indexes for documents and match results

Measured on a 640,000-document SQLite database (bench/e2e.py at 1,000,000 orders, cut at
batch 63): looking up 500 documents' current versions by key took 444-719 ms and marking 500
orders' match results superseded 1,342 ms, each walking every current row of the type, so
each batch was slower than the last (23 s → 53 s). With these indexes: 1.5 ms and 0.7 ms.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index("ix_document_type_key_current", ["doc_type", "doc_key", "is_current"], unique=False)
    with op.batch_alter_table("match_result", schema=None) as batch_op:
        batch_op.create_index("ix_match_result_order_key_current", ["order_key", "is_current"], unique=False)
        batch_op.drop_index("ix_match_result_order_key")


def downgrade() -> None:
    with op.batch_alter_table("match_result", schema=None) as batch_op:
        batch_op.create_index("ix_match_result_order_key", ["order_key"], unique=False)
        batch_op.drop_index("ix_match_result_order_key_current")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_type_key_current")
