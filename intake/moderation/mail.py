"""The digest mail telling a moderator that work waits, in their account's language.

Counts per queue and the link to the moderation page: nothing else. No registrant's name,
no post's title (a title is public only once approved), no inquiry's text. The texts are
message ids of the intake's catalog; the worker's job (worker/jobs/moderation.py) sends.
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
