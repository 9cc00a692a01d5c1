"""The public contact page: the operator's details and the inquiry form, then a thank-you.

Nothing personal goes into the answer, the URL or the log: the thank-you page is the same
for everyone and carries no number.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..errors import StoreUnavailable
from ..web.auth import rt, secret_key
from ..web.locale import select_locale
from ..web.responses import retry_later
from . import services as inquiries
from .forms import ContactForm, contact_form

bp = Blueprint("inquiries", __name__, template_folder="templates")


@bp.route("/contact", methods=["GET", "POST"])
def contact() -> str | Response | tuple[str, int]:
    settings = rt().settings
    form = contact_form(secret_key(), settings.apply_min_seconds)
    context = {"form": form, "operator": settings.deployment.operator}
    if form.validate_on_submit():
        try:
            inquiries.submit(rt(), _inquiry_data(form))
        except StoreUnavailable:
            return retry_later("inquiries/contact.html", **context)
        return redirect(url_for("inquiries.thanks"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("inquiries/contact.html", **context), status


def _inquiry_data(form: ContactForm) -> inquiries.InquiryData:
    return inquiries.InquiryData(
        category=form.category.data,
        message=form.message.data.strip(),
        name=form.name.data.strip(),
        email=form.email.data or "",
        phone=form.phone.data or "",
        lang=select_locale(),
    )


@bp.route("/contact/thanks")
def thanks() -> str:
    return render_template(
        "inquiries/thanks.html",
        title=_("お問い合わせを受け付けました"),
        operator=rt().settings.deployment.operator,
    )
