"""the language an account registered in

Revision ID: 0007
Revises: 0004
accounts.language keeps the language of the registration form ("ja" or "en"), so the
mails about the registration's outcome are written in it. Existing accounts registered
before it was kept get "ja" (the NOT NULL column carries a server default).

Create Date: 2026-12-06 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="ja")
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("language")
