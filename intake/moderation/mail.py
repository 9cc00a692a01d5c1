"""The digest mail telling a moderator that work waits, in their account's language, and
the texts of the mails to a poster about their post (a decision, a takedown, a request to
remove stale content: worker/mail/posters.py), in the poster's account's language.

The digest holds counts per queue and the link to the moderation page: nothing else. No
registrant's name, no post's title (a title is public only once approved), no inquiry's
text. The texts are message ids of the intake's catalog; the worker's jobs
(worker/jobs/moderation.py) fill them in and send.
"""

from __future__ import annotations

from ..mail import translations
from ..validation import N_
from .waiting import QUEUE_LABELS, WaitingWork

MODERATION_PATH = "/app/moderation"  # intake/moderation/views.py, under the app's /app prefix

DIGEST_SUBJECT = N_("【%(site)s】運営の作業が%(n)s件待っています")
DIGEST_HEAD = N_("%(site)sで、次の作業が運営者の確認を待っています。")
DIGEST_LINE = N_("・%(queue)s: %(n)s件")
DIGEST_FOOT = N_(
    "運営の画面で確認してください:\n%(link)s\n\n"
    "このお知らせは、新しい作業が届いたときに、最短で%(minutes)s分おきに送られます。"
)

# Mails to a poster (worker/mail/posters.py).
POSTER_SUBJECT = N_("【%(site)s】%(subject)s")
POST_NAME = N_("「%(title)s」（投稿番号 %(id)s）")
APPROVED_SUBJECT = N_("投稿を承認しました")
APPROVED_EDIT_SUBJECT = N_("投稿の変更を承認しました")
APPROVED_LINE = N_("%(name)sを承認しました。まもなくサイトに公開されます。")
APPROVED_EDIT_LINE = N_("%(name)sの変更を承認しました。公開中のページにまもなく反映されます。")
APPROVED_WITH_EDITS = N_("運営者が次の点を修正してから承認しました。")
REJECTED_SUBJECT = N_("投稿を差し戻しました")
REJECTED_EDIT_SUBJECT = N_("投稿の変更を差し戻しました")
REJECTED_LINE = N_("%(name)sは、このままでは掲載できないため差し戻しました。")
REJECTED_EDIT_LINE = N_("%(name)sの変更は承認されませんでした。公開中の内容はそのままです。")
REASON = N_("理由:")
RESUBMIT = N_("マイページから内容を修正して、もう一度審査に送ることができます。")
MY_PAGE = N_("マイページ: %(link)s")
TAKEDOWN_SUBJECT = N_("投稿の公開を停止しました")
TAKEDOWN_BODY = N_(
    "%(name)sは、運営者の判断により公開を停止しました。\n\n"
    "理由:\n%(reason)s\n\n"
    "ご不明な点は運営者までお問い合わせください。"
)
STALE_SUBJECT = N_("古い情報の削除依頼")
STALE_BODY = N_(
    "%(name)sについて、運営者から古い情報の削除依頼が届いています。\n\n"
    "理由:\n%(reason)s\n\n"
    "%(deadline)s までに、マイページから内容を更新するか、取り下げてください。"
    "期限を過ぎると、運営者が削除することがあります。"
)


def moderation_link(public_url: str, lang: str) -> str:
    """Return the address of the moderation page, in the moderator's language."""
    return f"{public_url}{MODERATION_PATH}" + ("" if lang == "ja" else f"?lang={lang}")


def digest_text(
    site_name: str, public_url: str, work: WaitingWork, lang: str, minutes: int
) -> tuple[str, str]:
    """Return the subject and body of the digest in lang (Japanese when unknown)."""
    text = translations(lang).gettext
    lines = [text(DIGEST_HEAD) % {"site": site_name}, ""]
    for queue, label in QUEUE_LABELS.items():
        lines.append(text(DIGEST_LINE) % {"queue": text(label), "n": work.counts.get(queue, 0)})
    link = moderation_link(public_url, lang)
    lines += ["", text(DIGEST_FOOT) % {"link": link, "minutes": minutes}, "", site_name]
    subject = text(DIGEST_SUBJECT) % {"site": site_name, "n": work.total}
    return subject, "\n".join(lines) + "\n"
