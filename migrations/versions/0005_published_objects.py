"""publication to a bucket: the bucket's manifest and the publisher's fence

Revision ID: 0005
Revises: 0004
published_objects holds the site's objects in the publication bucket (the object's
address s3://bucket/prefix/path, SHA-256, size; a NULL digest while a publication may be
writing the object), so
a publication uploads only what changed. site_state.published_rev is the revision the
bucket holds and publisher_token the one publication allowed to write it.

Create Date: 2026-12-07 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_objects",
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )
    with op.batch_alter_table("site_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_rev", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("publisher_token", sa.String(length=32), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("site_state", schema=None) as batch_op:
        batch_op.drop_column("publisher_token")
        batch_op.drop_column("published_rev")
    op.drop_table("published_objects")
