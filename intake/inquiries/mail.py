"""The mail that carries a moderator's reply to an inquiry, in the language it was asked in.

The reply's text is the moderator's, unchanged; around it go the site's name, the inquiry's
number and category, and the operator's contact details from hiroba.toml [operator].
"""

from __future__ import annotations

from ..deployment import Operator
from .models import CATEGORIES

# The English labels of the categories (the contact form's are msgids in the intake catalog).
CATEGORIES_EN = {
    "account": "Registration and signing in",
    "posting": "Posts and events",
    "applying": "Applying to events",
    "privacy": "Personal data",
    "other": "Other",
}


def _signature(operator: Operator, english: bool) -> str:
    labels = ("Phone", "Hours", "Mail") if english else ("電話", "受付時間", "メール")
    lines = [operator.name, operator.address]
    values = (operator.phone, operator.hours, operator.email)
    lines += [f"{label}: {value}" for label, value in zip(labels, values, strict=True) if value]
    return "\n".join(line for line in lines if line)


def reply_text(
    site_name: str, operator: Operator, inquiry_id: int, category: str, lang: str, body: str
) -> tuple[str, str]:
    """Return the subject and text of the mail that carries one reply."""
    english = lang == "en"
    signature = _signature(operator, english)
    if english:
        subject = f"[{site_name}] Reply to your inquiry (No. {inquiry_id})"
        head = (
            f"Thank you for contacting {site_name}. This is our reply to your inquiry "
            f"No. {inquiry_id} ({CATEGORIES_EN.get(category, category)}).\n"
        )
        foot = "To write to us again, please use the contact form of the site"
        foot += " or the contact details below."
    else:
        subject = f"【{site_name}】お問い合わせへの回答（受付番号 {inquiry_id}）"
        head = (
            f"{site_name}へのお問い合わせ（受付番号 {inquiry_id}、"
            f"{CATEGORIES.get(category, category)}）について、次のとおり回答します。\n"
        )
        foot = (
            "続けてお問い合わせになる場合は、サイトのお問い合わせフォームか、"
            "下記の連絡先をご利用ください。"
        )
    parts = [head, body.strip(), "", "-" * 20, foot]
    if signature:
        parts += ["", signature]
    return subject, "\n".join(parts) + "\n"
