"""the access log: each audit entry's client address, sealed

Revision ID: 0012
Revises: 0007
audit_log.address_enc keeps the client address of the request that wrote the entry,
sealed like other personal data and cleared after [retention] audit_days. It stays outside
the entry's hash (intake/protection/audit.py), so entries written before keep verifying.

Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("address_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "address_enc")
