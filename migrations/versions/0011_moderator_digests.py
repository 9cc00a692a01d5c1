"""moderator_digests: when the worker mailed the moderators a digest of waiting work

Revision ID: 0011
Revises: 0007
One row per digest: the counts per queue it reported (numbers only, no personal data) and
when. after_id names the digest it follows and is unique, so two workers deciding at the
same moment cannot both send one.

Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderator_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("after_id", sa.Integer(), nullable=False),
        sa.Column("counts", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("after_id"),
    )


def downgrade() -> None:
    op.drop_table("moderator_digests")
