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
SEND_ON_BEHALF_NOTICE = "worker.jobs.posts.send_on_behalf_notice"  # a moderator posted for them
# applications
INGEST_APPLICATION = "worker.jobs.applications.ingest_application"  # the confirmation mail
SEND_PROMOTED = "worker.jobs.applications.send_promoted"
SEND_DUPLICATE_NOTICE = "worker.jobs.applications.send_duplicate_notice"
SEND_EVENT_MESSAGE = "worker.jobs.applications.send_event_message"
# moderation
SEND_POST_DECISION = "worker.jobs.moderation.send_post_decision"
SEND_TAKEDOWN_NOTICE = "worker.jobs.moderation.send_takedown_notice"
SEND_STALE_REQUEST = "worker.jobs.moderation.send_stale_request"
SEND_MODERATOR_DIGEST = "worker.jobs.moderation.send_moderator_digest"  # subject: a moderator
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
# helping people
SEND_ACCOUNT_REENABLED = "worker.jobs.helping.send_account_reenabled"
SEND_POST_CORRECTED = "worker.jobs.helping.send_post_corrected"  # subject: the decision
SEND_POST_RESTORED = "worker.jobs.helping.send_post_restored"
# oversight: the monthly audit report and the anomaly alerts
SEND_AUDIT_NOTICE = "worker.jobs.oversight.send_audit_notice"  # subject: an audit_mails row
# protection
PURGE_EXPIRED = "worker.jobs.protection.purge_expired"

ALL = (
    INGEST_ACCOUNT,
    SEND_PASSWORD_RESET,
    SEND_ACCOUNT_DECISION,
    INGEST_POST,
    PUBLISH_POST,
    SEND_ON_BEHALF_NOTICE,
    INGEST_APPLICATION,
    SEND_PROMOTED,
    SEND_DUPLICATE_NOTICE,
    SEND_EVENT_MESSAGE,
    SEND_POST_DECISION,
    SEND_TAKEDOWN_NOTICE,
    SEND_STALE_REQUEST,
    SEND_MODERATOR_DIGEST,
    PUBLISH_PROFILES,
    REBUILD_SITE,
    NIGHTLY_BUILD,
    REINDEX_SEARCH,
    ARCHIVE_PAST,
    SEND_INQUIRY_REPLY,
    SEND_ACCOUNT_REENABLED,
    SEND_POST_CORRECTED,
    SEND_POST_RESTORED,
    WRITE_BANNER,
    PURGE_EXPIRED,
    SEND_AUDIT_NOTICE,
)
