"""operator notices and the site-wide banner

Revision ID: 0008
Revises: 0007
posts.from_operator marks a notice a moderator wrote as the operator (運営からのお知らせ);
existing posts are not (server default false). banners holds the site-wide banners
(maintenance, outage, emergency), each with who set it, its texts and its end time.

Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on posts, not batch mode (see 0007): other tables' foreign keys point at it.


def upgrade() -> None:
    op.add_column(
        "posts",
        sa.Column("from_operator", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "banners",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("text_ja", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("cleared_by", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=True),
    )
    op.create_index("ix_banners_ends_at", "banners", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_banners_ends_at", table_name="banners")
    op.drop_table("banners")
    op.drop_column("posts", "from_operator")
