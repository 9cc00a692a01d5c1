"""the language an account registered in

Revision ID: 0007
Revises: 0006
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


# Plain ALTER TABLE, not batch mode: on SQLite a batch copies and drops `accounts`, which
# the foreign keys of every other table refuse (PRAGMA foreign_keys=ON) once rows exist.
# SQLite adds a NOT NULL column with a constant default, and drops one since 3.35.


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("language", sa.String(length=8), nullable=False, server_default="ja"),
    )


def downgrade() -> None:
    op.drop_column("accounts", "language")
