"""moderation, uploads, revisions and group profiles

Revision ID: 0002
Revises: 0001
Added NOT NULL columns carry a server default so existing rows migrate.

Create Date: 2026-11-29 17:42:40.112127
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reason_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "post_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_revisions_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_revisions_status"), ["status"], unique=False)

    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("revision_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("alt", sa.String(length=300), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("variants", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["post_revisions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_state"), ["state"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("profile_public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("website", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("public_contact", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("profile_pending", sa.Text(), nullable=False, server_default="")
        )

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edits", sa.Text(), nullable=False, server_default=""))

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recurrence", sa.String(length=80), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("occurrences", sa.Text(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("attendance", sa.String(length=8), nullable=False, server_default="offline")
        )
        batch_op.add_column(
            sa.Column("online_details", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("audience", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("taken_down_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("takedown_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("stale_requested_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("stale_deadline", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("stale_reason", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("stale_reason")
        batch_op.drop_column("stale_deadline")
        batch_op.drop_column("stale_requested_at")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("takedown_reason")
        batch_op.drop_column("taken_down_at")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("audience")
        batch_op.drop_column("online_details")
        batch_op.drop_column("attendance")
        batch_op.drop_column("occurrences")
        batch_op.drop_column("recurrence")

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("edits")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("profile_pending")
        batch_op.drop_column("public_contact")
        batch_op.drop_column("website")
        batch_op.drop_column("profile_public")

    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_state"))
        batch_op.drop_index(batch_op.f("ix_uploads_post_id"))
        batch_op.drop_index(batch_op.f("ix_uploads_account_id"))

    op.drop_table("uploads")
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_revisions_status"))
        batch_op.drop_index(batch_op.f("ix_post_revisions_post_id"))

    op.drop_table("post_revisions")
    op.drop_table("reason_templates")
