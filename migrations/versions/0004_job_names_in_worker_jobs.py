"""job names: the rq jobs moved to worker.jobs.<domain>

Revision ID: 0004
Revises: 0003
Task rows store the dotted name of the job they owe (intake/jobs.py). The jobs moved
from worker.<module> to worker.jobs.<domain>, so owed rows are rewritten to the new
names (done and failed rows too, so the history reads alike); the downgrade writes the
old names back. Jobs still in Redis under an old name are not rewritten: the reconciler
enqueues every pending row again under its stored name.

Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen here: a migration must not follow later renames of intake/jobs.py.
RENAMED = {
    "worker.ingest.ingest_account": "worker.jobs.accounts.ingest_account",
    "worker.mail.send_password_reset": "worker.jobs.accounts.send_password_reset",
    "worker.ingest.ingest_post": "worker.jobs.posts.ingest_post",
    "worker.publish.publish_post": "worker.jobs.posts.publish_post",
    "worker.ingest.ingest_application": "worker.jobs.applications.ingest_application",
    "worker.application_mail.send_promoted": "worker.jobs.applications.send_promoted",
    "worker.application_mail.send_duplicate_notice": (
        "worker.jobs.applications.send_duplicate_notice"
    ),
    "worker.messages.send_event_message": "worker.jobs.applications.send_event_message",
    "worker.post_mail.send_post_decision": "worker.jobs.moderation.send_post_decision",
    "worker.poster_mail.send_takedown_notice": "worker.jobs.moderation.send_takedown_notice",
    "worker.poster_mail.send_stale_request": "worker.jobs.moderation.send_stale_request",
    "worker.profiles.publish_profiles": "worker.jobs.site.publish_profiles",
    "worker.build.rebuild_site": "worker.jobs.site.rebuild_site",
    "worker.nightly.nightly_build": "worker.jobs.site.nightly_build",
    "worker.searchindex.reindex_search": "worker.jobs.site.reindex_search",
    "worker.archive.archive_past": "worker.jobs.site.archive_past",
    "worker.retention.purge_expired": "worker.jobs.protection.purge_expired",
}

tasks = sa.table("tasks", sa.column("name", sa.String(100)))


def _rename(pairs: dict[str, str]) -> None:
    for old, new in pairs.items():
        op.execute(tasks.update().where(tasks.c.name == old).values(name=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
