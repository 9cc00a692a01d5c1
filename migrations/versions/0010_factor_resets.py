"""second factor resets of staff accounts (four-eyes)

Revision ID: 0010
Revises: 0007
factor_resets keeps each reset of a moderator's or ward staff member's second factor:
who asked for it, which second moderator confirmed it, and when the staff member enrolled
a new factor at their next sign-in.

Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "factor_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["confirmed_by"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_factor_resets_account_id", "factor_resets", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_factor_resets_account_id", table_name="factor_resets")
    op.drop_table("factor_resets")
