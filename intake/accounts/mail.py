"""The mails of accounts, in the language the account registered in: the outcome of a
registration, approved (with the sign-in link) or not approved (with the moderator's
reason), and the password-reset link. The texts are message ids of the intake's catalog
(`make messages` extracts them); the worker's jobs (worker/jobs/accounts.py) fill them in
and send.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..mail import translations

SIGN_IN_PATH = "/app/login"  # intake/accounts/signin_views.py, under the app's /app prefix
RESET_PATH = "/app/password/reset/"  # intake/accounts/views.py, the token follows


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    """Mark a message for extraction; it is translated when the mail is written."""
    return message


APPROVED_SUBJECT = N_("【%(site)s】登録を承認しました")
APPROVED_BODY = N_(
    "「%(name)s」の%(site)sへの登録を承認しました。\n\n"
    "次のページから、登録したログインIDとパスワードでログインできます。\n"
    "%(link)s\n\n"
    "このメールに心当たりがない場合は、このメールを破棄してください。"
)
REFUSED_SUBJECT = N_("【%(site)s】登録は承認されませんでした")
REFUSED_BODY = N_(
    "「%(name)s」の%(site)sへの登録は、承認されませんでした。\n\n"
    "理由:\n%(reason)s\n\n"
    "内容を見直して、あらためて登録することができます。"
    "ご不明な点は運営者までお問い合わせください。\n"
    "この登録の内容は、%(days)s日後に消去します。"
)


@dataclass(frozen=True)
class Outcome:
    """What the mail says: whose registration, approved or not, and why not."""

    public_name: str
    approved: bool
    reason: str = ""


def sign_in_link(public_url: str, lang: str) -> str:
    """Return the address of the sign-in page, in the registrant's language."""
    return f"{public_url}{SIGN_IN_PATH}" + ("" if lang == "ja" else f"?lang={lang}")


def outcome_text(
    site_name: str, public_url: str, outcome: Outcome, lang: str, keep_days: int
) -> tuple[str, str]:
    """Return the subject and body of the outcome mail in lang (Japanese when unknown)."""
    text = translations(lang).gettext
    values = {
        "site": site_name,
        "name": outcome.public_name,
        "link": sign_in_link(public_url, lang),
        "reason": outcome.reason,
        "days": keep_days,
    }
    subject, body = (
        (APPROVED_SUBJECT, APPROVED_BODY) if outcome.approved else (REFUSED_SUBJECT, REFUSED_BODY)
    )
    return text(subject) % values, f"{text(body) % values}\n\n{site_name}\n"


RESET_SUBJECT = N_("【%(site)s】パスワード再設定のご案内")
RESET_BODY = N_(
    "%(site)sのパスワード再設定のお申し込みを受け付けました。\n\n"
    "次のリンクを開いて、新しいパスワードを設定してください。\n%(link)s\n\n"
    "このリンクは%(minutes)s分間、1回だけ使えます。\n"
    "お心当たりがない場合は、このメールを破棄してください。パスワードは変わりません。"
)


def reset_link(public_url: str, token: str, lang: str) -> str:
    """Return the address of the reset page for token, in the account's language."""
    return f"{public_url}{RESET_PATH}{token}" + ("" if lang == "ja" else f"?lang={lang}")


def reset_text(site_name: str, link: str, minutes: int, lang: str) -> tuple[str, str]:
    """Return the subject and body of the password-reset mail in lang (Japanese when unknown)."""
    text = translations(lang).gettext
    values = {"site": site_name, "link": link, "minutes": minutes}
    return text(RESET_SUBJECT) % values, f"{text(RESET_BODY) % values}\n\n{site_name}\n"
