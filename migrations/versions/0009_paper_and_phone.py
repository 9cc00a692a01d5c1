"""applications, change requests and posts taken by phone or on paper

Revision ID: 0009
Revises: 0007
applications.source and change_requests.source say how a record came in ("web", "phone"
or "paper"); existing rows came through the web (a server default). change_requests and
posts get entered_by: the moderator who typed in a request received by phone or on paper,
or who posted on an account's behalf (NULL when the account holder did it themselves).

Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (see 0007): batch mode on SQLite would copy and drop the tables that
# other tables' foreign keys point at. entered_by holds an account id without a declared
# foreign key, which SQLite cannot add to an existing table.


def upgrade() -> None:
    for table in ("applications", "change_requests"):
        op.add_column(
            table, sa.Column("source", sa.String(length=8), nullable=False, server_default="web")
        )
    for table in ("change_requests", "posts"):
        op.add_column(table, sa.Column("entered_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ("change_requests", "posts"):
        op.drop_column(table, "entered_by")
    for table in ("applications", "change_requests"):
        op.drop_column(table, "source")
