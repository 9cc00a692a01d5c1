"""Set-ups shared by the moderation-flow and post-edit tests: a group and a moderator,
each signed in on its own client, an SMTP sink, and the forms they send."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from accounts_support import approver, reconfigure
from actors import EVENT, make_moderator, post_event, register_group, sign_in
from conftest import Instance, submit
from mailsink import MailSink, mailsink  # noqa: F401 - the fixture
from sqlalchemy import select

from intake.models import Account, Post
from intake.moderation import services as moderation

GROUP_PASSWORD = "group-password-123"


@dataclass
class People:
    """The clients of one test: two groups (a poster and another one) and a moderator."""

    instance: Instance
    poster: object
    other: object
    moderator: object
    poster_id: int


def group_account(instance: Instance, login_n: int) -> int:
    with instance.rt.sessions() as db:
        return db.scalars(
            select(Account.id).where(Account.public_name == f"テスト団体{login_n}")
        ).one()


def people(instance: Instance) -> People:
    """Register and approve two groups, make a moderator, and sign each in on a client.

    The four clients (one to register, one per account) share one app: each test client
    keeps its own cookies, and the sessions live in Redis. Building an app per client cost
    a create_app each (key check, blueprints) on every test that needs these people."""
    from intake.web import create_app

    app = create_app(instance.settings, runtime=instance.rt)
    setup = app.test_client()
    for n in (41, 42):
        register_group(setup, n, f"flow-group-{n}")
        moderation.decide_account(
            instance.rt, approver(instance), group_account(instance, n), approve=True
        )
    make_moderator(instance)
    poster, other, moderator = (app.test_client() for _ in range(3))
    sign_in(poster, "flow-group-41", GROUP_PASSWORD)
    sign_in(other, "flow-group-42", GROUP_PASSWORD)
    sign_in(moderator, "mod-tester", "moderator-password-1")
    return People(instance, poster, other, moderator, group_account(instance, 41))


# The group's contact person (actors.group_form: person n + 500) receives its mail.
POSTER_ADDRESS = "leak-probe-541@example.test"


@pytest.fixture(name="mailing")
def mailing_fixture(instance, mailsink: MailSink):  # type: ignore[no-untyped-def]  # noqa: F811
    """The instance sending mail to the test SMTP server."""
    reconfigure(
        instance,
        HIROBA_SMTP_HOST=mailsink.host,
        HIROBA_SMTP_PORT=str(mailsink.port),
        HIROBA_MAIL_FROM="noreply@hiroba.example.jp",
        HIROBA_PUBLIC_URL="https://hiroba.example.jp",
    )
    return instance, mailsink


def new_post(who: People, **overrides: str) -> int:
    """Post through the form as the poster and let the worker queue it; return its id."""
    post_event(who.poster, **overrides)
    with who.instance.rt.sessions() as db:
        return int(db.scalars(select(Post.id).order_by(Post.id.desc())).first() or 0)


def review(client, path: str, **fields: str):  # type: ignore[no-untyped-def]
    """Send a review form: the event's fields as posted, changed by fields, and a decision."""
    data = {**EVENT, "reason_template": "0", "reason": "", **fields}
    return submit(client, path, data)


def live_page(instance: Instance, post_id: int) -> Path:
    return instance.settings.live_dir / "events" / str(post_id) / "index.html"


def queue_links(html: str) -> list[str]:
    """Return the review links of the queue, in the order listed."""
    return re.findall(r'href="(/app/moderation/(?:posts|revisions)/\d+)"', html)


def flashes(html: str) -> str:
    found = re.search(r'<div class="notice" role="status">(.*?)</div>', html, re.S)
    return found.group(1) if found else ""


def queue_stamps(html: str) -> dict[str, str]:
    """Return the version stamps the queue's rows carry (sent back with a bulk decision)."""
    return dict(re.findall(r'<input type="hidden" name="(seen-[^"]+)" value="([^"]+)">', html))
