"""the language an application was made in

Revision ID: 0014
Revises: 0013
applications.language keeps the language of the apply form ("ja" or "en"), so the
applicant's mails (the standing, a promotion, a duplicate notice, the organizer's
messages) are written in it. Existing rows are Japanese, the only form they had.

Create Date: 2026-12-07 06:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


# Plain ALTER TABLE as in 0007: SQLite adds a NOT NULL column with a constant default.


def upgrade() -> None:
    op.add_column(
        "applications",
        sa.Column("language", sa.String(length=8), nullable=False, server_default="ja"),
    )


def downgrade() -> None:
    op.drop_column("applications", "language")
