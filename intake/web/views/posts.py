"""Posting by signed-in individuals and groups, and their own list."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ...errors import StoreUnavailable
from ...services.event_questions import ASK_CONTACT, Question, encode_questions, split_options
from ...services.posts import PostData, posts_of, submit_post
from ...taxonomy import POST_KINDS
from ..auth import current_account, role_required, rt
from ..forms import ASK_CONTACT_CHOICES, PostForm, choices
from ..responses import retry_later

bp = Blueprint("posts", __name__)

POSTERS = ("individual", "group")


@bp.route("/posts/new", methods=["GET", "POST"])
@role_required(*POSTERS)
def new() -> str | Response | tuple[str, int]:
    form = PostForm()
    allowed = rt().settings.deployment.application_contact
    # Offer only the contact fields the deployment collects (hiroba.toml [applications]).
    form.ask_contact.choices = choices(
        {k: v for k, v in ASK_CONTACT_CHOICES.items() if set(ASK_CONTACT[k]) <= set(allowed)}
    )
    if form.ask_contact.data not in {c.value for c in form.ask_contact.choices}:
        form.ask_contact.data = form.ask_contact.choices[0].value
    if form.validate_on_submit():
        me = current_account()
        assert me is not None
        try:
            submit_post(rt(), me.id, _post_data(form))
        except StoreUnavailable:
            return retry_later("post_new.html", form=form)
        return redirect(url_for("posts.mine", submitted=1))
    return render_template("post_new.html", form=form), 422 if form.errors else 200


def _post_data(form: PostForm) -> PostData:
    return PostData(
        kind=form.kind.data,
        title=form.title.data.strip(),
        summary=form.summary.data.strip(),
        body=form.body.data or "",
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        place_name=(form.place_name.data or "").strip(),
        place_address=(form.place_address.data or "").strip(),
        topic=form.topic.data or "",
        area=form.area.data or "",
        fee=form.fee.data or "",
        capacity=form.capacity.data,
        accepts_applications=bool(form.accepts_applications.data),
        contact_public=(form.contact_public.data or "").strip(),
        ask_contact=form.ask_contact.data or "both",
        waitlist=bool(form.waitlist.data),
        apply_until=form.apply_until.data,
        questions=encode_questions(
            [
                Question(
                    q["label"].strip(),
                    q["kind"],
                    split_options(q["options"] or "") if q["kind"] != "text" else (),
                    bool(q["required"]),
                )
                for q in form.questions.data
                if (q["label"] or "").strip()
            ]
        ),
    )


@bp.route("/my")
@role_required(*POSTERS)
def mine() -> str:
    me = current_account()
    assert me is not None
    return render_template("my.html", posts=posts_of(rt(), me.id), kinds=POST_KINDS)
