"""Applicants' mails: the confirmation (or waiting-list place), the promotion notice, and
the notice that someone applied again with an applicant's details.

The task carries only the application's id; the job reads the address, computes the
signed view-or-cancel link again from the id and the secret key, and sends. With no
mail server configured (HIROBA_SMTP_HOST empty) the mail is skipped and the task done.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from intake.applications import mail as words
from intake.applications.links import application_path, link_expiry, make_link_token
from intake.applications.models import APPLICATION_HOLDING, ApplicationStatus
from intake.applications.services import position_of
from intake.formatting import dates
from intake.mail import translations
from intake.models import Application, Post
from intake.runtime import Runtime

from . import send_text

log = logging.getLogger(__name__)


def mail_text(
    site_name: str,
    post: Post,
    application: Application,
    position: int | None,
    link: str,
    lang: str = "ja",
) -> tuple[str, str]:
    """Return the subject and body of an applicant's mail for their current standing."""
    text = translations(lang).gettext
    values: dict[str, object] = {"title": post.title, "position": position, "site": site_name}
    if application.status == ApplicationStatus.CONFIRMED:
        standing, headline = text(words.STANDING_CONFIRMED), text(words.HEADLINE_CONFIRMED)
    elif application.status == ApplicationStatus.WAITLISTED:
        standing, headline = text(words.STANDING_WAITING), text(words.HEADLINE_WAITING)
    else:
        standing, headline = text(words.STANDING_CANCELLED), text(words.HEADLINE_CANCELLED)
    values["standing"] = standing % values
    when = text(words.NOT_DECIDED)
    if post.starts_at:
        when = dates.format_datetime(post.starts_at, lang)
    body = text(words.STANDING_BODY) % (
        values
        | {
            "headline": headline % values,
            "when": when,
            "place": post.place_name or text(words.NOT_DECIDED),
            "party": application.party_size,
            "link": link,
        }
    )
    return text(words.STANDING_SUBJECT) % values, body


def mail_standing(
    rt: Runtime, session: Session, application_id: int, promoted: bool, duplicate: bool = False
) -> None:
    """Mail an applicant where their application stands (skipped without an address)."""
    application = session.get(Application, application_id)
    if application is None or application.email_enc is None:
        return  # purged or no address given
    if promoted and application.status != ApplicationStatus.CONFIRMED:
        return  # cancelled again before the mail went out
    if duplicate and application.status not in APPLICATION_HOLDING:
        return  # cancelled since: nothing left to tell about
    if not rt.settings.smtp_host:
        log.info("no mail server configured; application mail %s skipped", application_id)
        return
    post = session.get(Post, application.post_id)
    assert post is not None
    address = rt.vault.open(application.email_enc, "applications.email")
    token = make_link_token(rt.settings.secret_key(), application.id, link_expiry(post))
    lang = application.language
    link = f"{rt.settings.public_url}{application_path(token)}"
    link += "" if lang == "ja" else f"?lang={lang}"  # the page opens in the mail's language
    position = position_of(session, application)
    subject, body = mail_text(rt.settings.site_name, post, application, position, link, lang)
    text = translations(lang).gettext
    site = {"site": rt.settings.site_name}
    if promoted:
        subject = text(words.PROMOTED_SUBJECT) % site
        body = f"{text(words.PROMOTED_HEADLINE)}\n\n{body}"
    elif duplicate:
        subject = text(words.DUPLICATE_SUBJECT) % site
        body = f"{text(words.DUPLICATE_HEADLINE)}\n\n{body}"
    send_text(rt.settings, address or "", subject, body)
