"""file changes carried by an edit of a live post

Revision ID: 0003
Revises: 0002
post_revisions.removes lists the live uploads an edit takes away (JSON ids); the
edit's new files are uploads rows with its revision_id. The NOT NULL column carries a
server default so existing rows migrate.

Create Date: 2026-11-29 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removes", sa.Text(), nullable=False, server_default="[]"))
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_revision_id"), ["revision_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_revision_id"))
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.drop_column("removes")
