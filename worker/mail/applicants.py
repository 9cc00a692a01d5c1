"""Applicants' mails: the confirmation (or waiting-list place), the promotion notice, and
the notice that someone applied again with an applicant's details.

The task carries only the application's id; the job reads the address, computes the
signed view-or-cancel link again from the id and the secret key, and sends. With no
mail server configured (HIROBA_SMTP_HOST empty) the mail is skipped and the task done.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from intake.applications.links import application_path, link_expiry, make_link_token
from intake.applications.models import APPLICATION_HOLDING, ApplicationStatus
from intake.applications.services import position_of
from intake.formatting import dates
from intake.models import Application, Post
from intake.runtime import Runtime

from . import send_text

log = logging.getLogger(__name__)


def mail_text(
    site_name: str, post: Post, application: Application, position: int | None, link: str
) -> tuple[str, str]:
    """Return the subject and body of an applicant's mail for their current standing."""
    if application.status == ApplicationStatus.CONFIRMED:
        standing, headline = "参加確定", f"「{post.title}」への参加が確定しました。"
    elif application.status == ApplicationStatus.WAITLISTED:
        standing = f"キャンセル待ち {position}番目"
        headline = (
            f"「{post.title}」は定員に達しているため、キャンセル待ち（{position}番目）で"
            "受け付けました。順番が来たら、あらためてメールでお知らせします。"
        )
    else:
        standing, headline = "キャンセル済み", f"「{post.title}」への申込はキャンセルされています。"
    when = dates.format_datetime(post.starts_at, "ja") if post.starts_at else "未定"
    body = (
        f"{headline}\n\n"
        f"イベント: {post.title}\n"
        f"日時: {when}\n"
        f"会場: {post.place_name or '未定'}\n"
        f"人数: {application.party_size}人\n"
        f"状態: {standing}\n\n"
        "申込内容の確認とキャンセルは、次のリンクからできます（イベントの翌日まで有効）。\n"
        f"{link}\n\n"
        "このメールに心当たりがない場合は、このメールを破棄してください。\n"
        f"{site_name}\n"
    )
    return f"【{site_name}】申込の受付（{standing}）", body


DUPLICATE_HEADLINE = (
    "このイベントに、あなたの申込と同じメールアドレスまたは電話番号で、もう一度申込がありました。"
    "同じ方の二重の申込は受け付けないため、新しい席は取っていません。"
    "あなたの申込は、下の内容のまま有効です。\n\n"
)


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
    link = f"{rt.settings.public_url}{application_path(token)}"
    subject, body = mail_text(
        rt.settings.site_name, post, application, position_of(session, application), link
    )
    if promoted:
        subject = f"【{rt.settings.site_name}】キャンセル待ちから参加が確定しました"
        body = "キャンセルが出たため、キャンセル待ちから繰り上がりました。\n\n" + body
    elif duplicate:
        subject = f"【{rt.settings.site_name}】同じ連絡先で、もう一度申込がありました"
        body = DUPLICATE_HEADLINE + body
    send_text(rt.settings, address or "", subject, body)
