"""Posting on an account's behalf (代理投稿): a moderator types in a post a group or an
individual sent by phone or on paper.

The post belongs to the account and goes through the moderation queue like any other;
posts.entered_by names the moderator, the audit log records the entry, and the account
holder is told by mail (worker/jobs/posts.py) when they registered an address. The mail's
texts are message ids of the intake's catalog, filled in the account's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..accounts.models import AccountStatus
from ..errors import NotFound
from ..mail import translations
from ..models import Account
from ..runtime import Runtime
from ..validation import N_

POSTERS = ("individual", "group")
MY_PATH = "/app/my"  # intake/posts/views.py: the poster's own list, under the app's /app prefix

NOTICE_SUBJECT = N_("【%(site)s】運営者があなたに代わって投稿を入力しました")
NOTICE_BODY = N_(
    "%(site)sの運営者が、「%(name)s」に代わって次の投稿を入力しました。\n\n"
    "「%(title)s」（投稿番号 %(id)s）\n\n"
    "運営者が内容を確認して承認すると、サイトに公開されます。"
    "内容はマイページで確かめられます。\n%(link)s\n\n"
    "心当たりがない場合は、運営者までお問い合わせください。"
)


@dataclass(frozen=True)
class Poster:
    """An account a moderator may post for (no personal data)."""

    id: int
    kind: str
    public_name: str


def posters(rt: Runtime) -> list[Poster]:
    """Return the active individual and group accounts, by public name."""
    with rt.sessions() as session:
        rows = session.execute(
            select(Account.id, Account.kind, Account.public_name)
            .where(Account.kind.in_(POSTERS), Account.status == AccountStatus.ACTIVE)
            .order_by(Account.public_name, Account.id)
        )
        return [Poster(row.id, row.kind, row.public_name) for row in rows]


def poster(rt: Runtime, account_id: int) -> Poster:
    """Return one account a moderator may post for, or raise NotFound."""
    with rt.sessions() as session:
        account = session.get(Account, account_id)
        if account is None or account.kind not in POSTERS or account.status != AccountStatus.ACTIVE:
            raise NotFound(f"account {account_id}")
        return Poster(account.id, account.kind, account.public_name)


def notice_text(
    site: str, public_url: str, name: str, title: str, post_id: int, lang: str
) -> tuple[str, str]:
    """Return the subject and body of the notice to the account holder, in lang."""
    text = translations(lang).gettext
    link = f"{public_url}{MY_PATH}" + ("" if lang == "ja" else f"?lang={lang}")
    values = {"site": site, "name": name, "title": title, "id": post_id, "link": link}
    return text(NOTICE_SUBJECT) % values, f"{text(NOTICE_BODY) % values}\n\n{site}\n"
