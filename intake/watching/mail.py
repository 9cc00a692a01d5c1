"""The alert mail to `[operator] alert_email`: one when an incident opens, one when it clears."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from .. import mail
from ..config import Settings
from ..formatting import dates

log = logging.getLogger(__name__)

TITLES = {
    "build": "サイトの構築に失敗しました",
    "worker": "ワーカーが応答していません",
    "jobs": "失敗したジョブがあります",
    "audit": "監査ログの改ざんを検出しました",
    "backup": "バックアップに失敗しました",
}
MANUAL = "運用手順書（docs/ja/operations.md）の「監視と警報」"


def _jst(moment: datetime) -> str:
    return f"{dates.format_datetime(dates.japan_time(moment), 'ja')} (日本時間)"


def _send(settings: Settings, subject: str, body: str) -> bool:
    """Send to every alert address; False (logged, never raised) when it could not go."""
    addresses = settings.deployment.alert_email
    if not addresses:
        log.warning("no [operator] alert_email in hiroba.toml: alert not mailed: %s", subject)
        return False
    if not settings.smtp_host:
        log.warning("HIROBA_SMTP_HOST is empty: alert not mailed: %s", subject)
        return False
    message = mail.build_message(settings, ", ".join(addresses), subject, body)
    try:
        mail.send(settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        # The type only (an SMTP reply may quote addresses), or the login's own sentence.
        reason = str(exc) if isinstance(exc, mail.MailLoginRefused) else type(exc).__name__
        log.warning("alert not mailed (%s); the next `hiroba watch` tries again", reason)
        return False
    return True


def send_alert(settings: Settings, kind: str, opened_at: datetime, detail: str) -> bool:
    """Mail that an incident opened; True when the SMTP server took it."""
    title = TITLES[kind]
    body = (
        f"{settings.site_name}の監視（hiroba watch）が次の問題を検出しました。\n\n"
        f"問題: {title}\n"
        f"検出: {_jst(opened_at)}\n"
        f"詳細: {detail}\n\n"
        f"サイトの状態: {settings.public_url}/app/moderation/status\n"
        f"対応の手順は{MANUAL}にあります。\n\n"
        "この問題が続く間、同じ警報は再送しません。解消したときに「解消」のメールを送ります。\n"
    )
    return _send(settings, f"【{settings.site_name} 警報】{title}", body)


def send_resolved(
    settings: Settings, kind: str, opened_at: datetime, detail: str, now: datetime
) -> bool:
    """Mail that an incident cleared; True when the SMTP server took it."""
    title = TITLES[kind]
    body = (
        f"{settings.site_name}の次の問題は解消しました。\n\n"
        f"問題: {title}\n"
        f"検出: {_jst(opened_at)}\n"
        f"解消: {_jst(now)}\n"
        f"検出時の詳細: {detail}\n"
    )
    return _send(settings, f"【{settings.site_name} 解消】{title}", body)
