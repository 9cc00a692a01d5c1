"""Every rq job's dotted name, in one place: intake enqueues by name and never imports worker.

A Task row stores the name of the job it owes, so renaming a job here needs a migration
that rewrites the stored names (migrations/versions/, see the jobs' move to worker.jobs).
"""

from __future__ import annotations

# accounts
INGEST_ACCOUNT = "worker.jobs.accounts.ingest_account"
SEND_PASSWORD_RESET = "worker.jobs.accounts.send_password_reset"  # noqa: S105 - a job name
SEND_ACCOUNT_DECISION = "worker.jobs.accounts.send_account_decision"  # approved or refused
# posts
INGEST_POST = "worker.jobs.posts.ingest_post"
PUBLISH_POST = "worker.jobs.posts.publish_post"
# applications
INGEST_APPLICATION = "worker.jobs.applications.ingest_application"  # the confirmation mail
SEND_PROMOTED = "worker.jobs.applications.send_promoted"
SEND_DUPLICATE_NOTICE = "worker.jobs.applications.send_duplicate_notice"
SEND_EVENT_MESSAGE = "worker.jobs.applications.send_event_message"
# moderation
SEND_POST_DECISION = "worker.jobs.moderation.send_post_decision"
SEND_TAKEDOWN_NOTICE = "worker.jobs.moderation.send_takedown_notice"
SEND_STALE_REQUEST = "worker.jobs.moderation.send_stale_request"
# site: publishing and the public site
PUBLISH_PROFILES = "worker.jobs.site.publish_profiles"  # subject: the group changed
REBUILD_SITE = "worker.jobs.site.rebuild_site"
NIGHTLY_BUILD = "worker.jobs.site.nightly_build"
REINDEX_SEARCH = "worker.jobs.site.reindex_search"
ARCHIVE_PAST = "worker.jobs.site.archive_past"
# notices: the site-wide banner's stylesheet (operator notices publish as posts)
WRITE_BANNER = "worker.jobs.notices.write_banner"
# inquiries
SEND_INQUIRY_REPLY = "worker.jobs.inquiries.send_inquiry_reply"
# protection
PURGE_EXPIRED = "worker.jobs.protection.purge_expired"

ALL = (
    INGEST_ACCOUNT,
    SEND_PASSWORD_RESET,
    SEND_ACCOUNT_DECISION,
    INGEST_POST,
    PUBLISH_POST,
    INGEST_APPLICATION,
    SEND_PROMOTED,
    SEND_DUPLICATE_NOTICE,
    SEND_EVENT_MESSAGE,
    SEND_POST_DECISION,
    SEND_TAKEDOWN_NOTICE,
    SEND_STALE_REQUEST,
    PUBLISH_PROFILES,
    REBUILD_SITE,
    NIGHTLY_BUILD,
    REINDEX_SEARCH,
    ARCHIVE_PAST,
    SEND_INQUIRY_REPLY,
    WRITE_BANNER,
    PURGE_EXPIRED,
)
