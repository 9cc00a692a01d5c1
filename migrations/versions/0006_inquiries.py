"""inquiries: messages to the operator from the contact form and their threads

Revision ID: 0006
Revises: 0004
The contact form's inquiries (category, status, language, the sealed name, reply address,
phone and message, the assigned moderator) and each inquiry's thread of internal notes
and replies by mail (the body sealed). Numbered 0006: another change of the same round
takes 0005; the merge puts this one after it.

Create Date: 2026-12-07 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=True),
        sa.Column("email_enc", sa.Text(), nullable=True),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("message_enc", sa.Text(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inquiries_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "inquiry_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body_enc", sa.Text(), nullable=True),
        sa.Column("mail_state", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inquiry_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inquiry_entries_inquiry_id"), ["inquiry_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inquiry_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inquiry_entries_inquiry_id"))
    op.drop_table("inquiry_entries")
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inquiries_updated_at"))
        batch_op.drop_index(batch_op.f("ix_inquiries_status"))
    op.drop_table("inquiries")
