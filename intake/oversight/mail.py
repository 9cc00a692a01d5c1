"""The mails of the audit analysis: the monthly report is ready, or an anomaly was found.

Counts, kinds, an hour and an account number with its role, and the link to the staff
pages: nothing else (no name, no address, no record's content). The texts are message ids
of the intake's catalog, in the recipient's language (the operator's: Japanese); the
worker's job (worker/jobs/oversight.py) sends.
"""

from __future__ import annotations

import json

from ..formatting import dates
from ..mail import translations
from ..office.records import AuditNotice
from ..validation import N_
from .models import NoticeKind, notice_word

STAFF_PATH = "/app/staff"  # intake/oversight/views.py, under the app's /app prefix

REPORT_SUBJECT = N_("【%(site)s】%(year)s年%(month)s月の監査ログの報告ができました")
REPORT_BODY = N_(
    "%(site)sの%(year)s年%(month)s月の監査ログの報告ができました。\n"
    "記録 %(entries)s 件、注意が必要な記録 %(anomalies)s 件です。\n\n"
    "区職員のページで確認してください:\n%(link)s"
)
ALERT_SUBJECT = N_("【%(site)s 注意】%(what)s")
ALERT_BODY = N_(
    "%(site)sの監査ログに、注意が必要な記録が見つかりました。\n\n"
    "種類: %(what)s\n日時: %(when)s（日本時間）\n利用者: %(who)s\n件数: %(n)s\n\n"
    "区職員のページで確認してください:\n%(link)s"
)
CHAIN_BODY = N_(
    "%(site)sの監査ログの連鎖が壊れています（%(when)s、日本時間に検出）。"
    "記録が書き換えられたか、削除された可能性があります。\n\n"
    "サーバーで hiroba audit verify を実行して確かめ、運用手順書の「監視と警報」に"
    "従って対応してください。\n%(link)s"
)
NOBODY = N_("（利用者なし）")


def staff_link(public_url: str, path: str, lang: str) -> str:
    """Return the address of a staff page, in the reader's language."""
    return f"{public_url}{STAFF_PATH}{path}" + ("" if lang == "ja" else f"?lang={lang}")


def notice_text(
    site: str, public_url: str, notice: AuditNotice, lang: str, role: str = ""
) -> tuple[str, str]:
    """Return the subject and body of a notice's mail in lang (Japanese when unknown); role
    is the actor's role word, naming the actor as "#12 運営"."""
    text = translations(lang).gettext
    summary = json.loads(notice.summary or "{}")
    local = dates.japan_time(notice.at)
    if notice.kind == NoticeKind.REPORT:
        values = {
            "site": site,
            "year": local.year,
            "month": local.month,
            "entries": summary.get("entries", 0),
            "anomalies": sum(summary.get("anomalies", {}).values()),
            "link": staff_link(public_url, f"/audit/{local.year}-{local.month:02d}", lang),
        }
        body = text(REPORT_BODY) % values
        return text(REPORT_SUBJECT) % values, f"{body}\n\n{site}\n"
    what = notice_word(notice.kind, text)
    when = dates.format_datetime(local, lang)
    link = staff_link(public_url, "", lang)
    if notice.kind == NoticeKind.CHAIN:
        body = text(CHAIN_BODY) % {"site": site, "when": when, "link": link}
    else:
        actor = summary.get("actor_id")
        who = f"#{actor} {role}".strip() if actor else text(NOBODY)
        values = {"site": site, "what": what, "when": when, "who": who, "n": summary.get("count")}
        body = text(ALERT_BODY) % {**values, "link": link}
    return text(ALERT_SUBJECT) % {"site": site, "what": what}, f"{body}\n\n{site}\n"
