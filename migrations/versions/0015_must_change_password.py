"""accounts that must change their password at the first sign-in

Revision ID: 0015
Revises: 0014
accounts.must_change_password marks an account whose password someone else chose (a
paper registration's initial password): after signing in, every intake page sends it to
/app/account/first-password until the person sets their own. Existing accounts are not
marked (their letters asked for the change; nobody can tell who did).

Create Date: 2026-12-07 14:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


# Plain ALTER TABLE as in 0007: SQLite adds a NOT NULL column with a constant default.


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("accounts", "must_change_password")
