"""The mails of helping people, in the language the account registered in: an account
switched on again, a live post a moderator corrected (what changed, old beside new), a
taken-down post back on the site. The texts are message ids of the intake's catalog (`make
messages` extracts them); the worker's jobs (worker/jobs/helping.py) fill them in and send.
"""

from __future__ import annotations

from typing import Any

from ..mail import translations
from ..posts import fields as post_fields


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark a message for extraction; it is translated when the mail is written."""
    return message


REENABLED_SUBJECT = N_("【%(site)s】アカウントの利用を再開しました")
REENABLED_BODY = N_(
    "「%(name)s」のアカウントの利用停止を解除しました。"
    "これまでのログインIDとパスワードで、またログインできます。\n%(link)s\n\n"
    "ご不明な点は運営者までお問い合わせください。"
)
CORRECTED_SUBJECT = N_("【%(site)s】公開中の投稿を運営者が修正しました")
CORRECTED_BODY = N_(
    "「%(title)s」（投稿番号 %(id)s）を、運営者が修正しました。"
    "修正した内容はまもなくサイトに反映されます。\n\n修正した点:\n%(changes)s"
)
CORRECTED_REASON = N_("理由:\n%(reason)s")
CHANGE_LINE = N_("・%(label)s: %(before)s → %(after)s")
RESTORED_SUBJECT = N_("【%(site)s】投稿を再び公開しました")
RESTORED_BODY = N_(
    "公開を停止していた「%(title)s」（投稿番号 %(id)s）を、運営者が再び公開しました。"
    "まもなくサイトに表示されます。"
)
MY_PAGE = N_("マイページ: %(link)s")


def _link(public_url: str, path: str, lang: str) -> str:
    return f"{public_url}{path}" + ("" if lang == "ja" else f"?lang={lang}")


def reenabled_text(site: str, public_url: str, name: str, lang: str) -> tuple[str, str]:
    """Return the subject and body telling an account's holder they may sign in again."""
    text = translations(lang).gettext
    values = {"site": site, "name": name, "link": _link(public_url, "/app/login", lang)}
    return text(REENABLED_SUBJECT) % values, f"{text(REENABLED_BODY) % values}\n\n{site}\n"


def change_lines(edits: dict[str, list[Any]], lang: str) -> list[str]:
    """Return one line per changed field, old beside new, the label in lang."""
    text = translations(lang).gettext
    return [
        text(CHANGE_LINE)
        % {
            "label": text(post_fields.label(name)),
            "before": post_fields.show(name, before),
            "after": post_fields.show(name, after),
        }
        for name, (before, after) in edits.items()
    ]


def corrected_text(
    site: str,
    public_url: str,
    post_id: int,
    title: str,
    edits: dict[str, list[Any]],
    reason: str,
    lang: str,
) -> tuple[str, str]:
    """Return the subject and body listing what a moderator changed in a live post."""
    text = translations(lang).gettext
    values = {"site": site, "title": title, "id": post_id}
    body = text(CORRECTED_BODY) % (values | {"changes": "\n".join(change_lines(edits, lang))})
    if reason:
        body += "\n\n" + text(CORRECTED_REASON) % {"reason": reason}
    body += "\n\n" + text(MY_PAGE) % {"link": _link(public_url, "/app/my", lang)}
    return text(CORRECTED_SUBJECT) % values, f"{body}\n\n{site}\n"


def restored_text(
    site: str, public_url: str, post_id: int, title: str, lang: str
) -> tuple[str, str]:
    """Return the subject and body telling a poster their post is back on the site."""
    text = translations(lang).gettext
    values = {"site": site, "title": title, "id": post_id}
    body = text(RESTORED_BODY) % values
    body += "\n\n" + text(MY_PAGE) % {"link": _link(public_url, "/app/my", lang)}
    return text(RESTORED_SUBJECT) % values, f"{body}\n\n{site}\n"
