"""People's text is text on every intake page: no element or attribute of any page comes
from what someone typed.

Every text field a person can fill in and an intake page shows (an account's persons and
public name, a group profile, a post and an edit of it, the organizer's questions and
their options, an application and its answers, a change request, the moderators'
reasons and reason templates, an organizer's message) is seeded through the services with
an HTML payload carrying a marker of its own. Then every GET route of the app's URL map
is opened by a visitor, an individual, a group (the organizer), a moderator and ward
staff, its arguments filled with every seeded id, and each page is parsed: a marker may
appear as text, or inside a form field's value holding the whole payload, and nowhere
else (no tag, attribute name, handler, link, comment or script of its own). Flash
messages and forms sent back with their input are scanned too.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser
from urllib.parse import unquote_plus

import pytest
from actors import EVENT_DAY, make_staff, sign_in
from conftest import Instance, csrf_token, submit
from markupsafe import escape
from sqlalchemy import select

from intake.accounts import changes
from intake.accounts.services import PersonData, Registration, register
from intake.applications import mail as organizer_mail
from intake.applications.links import link_expiry, make_link_token
from intake.applications.questions import Question, encode_questions
from intake.applications.services import ApplicationData, apply
from intake.inquiries import services as inquiries
from intake.models import Account, Post
from intake.moderation import decisions as post_decisions
from intake.moderation import reasons as reason_templates
from intake.moderation import services as moderation
from intake.notices import banner as banners
from intake.notices import services as operator_notices
from intake.notices.models import BannerLevel
from intake.posts import edits as post_edits
from intake.posts.services import PostData, submit_post
from intake.profiles import services as profiles
from intake.protection.ledger import Handover, add_handover
from intake.site import stale as stale_content
from intake.site import takedown

# The class of payloads: a tag of each dangerous kind, attribute break-outs with either
# quote, a closing textarea or title, a comment, a script, a javascript: link, template
# syntax. Each starts with '"> so that it breaks out of an attribute as well as text.
PAYLOADS = (
    """'"><meta http-equiv="refresh" content="0;url=https://evil.example/{m}">""",
    """'"><img src=x onerror=alert('{m}')>""",
    """'"><svg onload=alert('{m}')>""",
    """'"></textarea><b title={m}>b</b>""",
    """'"><a href="javascript:alert('{m}')">{m}</a>""",
    """x" autofocus onfocus="x{m}" x='y' onblur='x{m}""",
    """'"></title><style>{m}</style>""",
    """'"><script>x('{m}')</script>""",
    """'"><!--{m}-->""",
    """{{7*7}}{m}{% raw %}'"><i data-x={m}>""",
    """'"><iframe srcdoc='{m}'></iframe>""",
    """'"><form action=javascript:x{m}><button>b</button></form>""",
)
# Attributes that hold text people typed, as form fields show it back.
TEXT_ATTRIBUTES = {"value"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcdoc", "data"}


def _encoded_in_our_link(name: str, value: str, payload: str) -> bool:
    """True when a URL attribute is an https link whose text part holds the payload only
    percent-encoded: the scheme and host are ours, the user's text a query value."""
    return (
        name in URL_ATTRIBUTES
        and value.startswith("https://")
        and payload not in value
        and payload in unquote_plus(value)
    )


PASSWORD = "escape-password-123"
# Seeded fields no intake page shows, so nothing there to scan: a message to applicants is
# only mailed; a change request shows only the fields an individual has by default, and a
# group's persons have no occupation by default.
NOT_SHOWN = {
    "message.subject",
    "message.body",
    "change_request.title",
    "change_request.occupation",
    "escape-waiting.representative.occupation",
    "escape-waiting.contact.occupation",
}


class Seeds:
    """Hands out payloads, each with a marker naming the field it was seeded into."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}  # marker -> field
        self.payloads: dict[str, str] = {}  # marker -> the whole payload

    def __call__(self, where: str) -> str:
        n = len(self.fields)
        marker = f"zq{n}x"
        self.fields[marker] = where
        self.payloads[marker] = PAYLOADS[n % len(PAYLOADS)].replace("{m}", marker)
        return self.payloads[marker]

    def person(self, where: str) -> PersonData:
        """Return a person with a payload in every text field."""
        return PersonData(
            **{
                name: self(f"{where}.{name}")
                for name in (
                    "name",
                    "kana",
                    "postal_code",
                    "address",
                    "phone",
                    "fax",
                    "email",
                    "title",
                    "occupation",
                )
            }
        )


class Findings(HTMLParser):
    """Parses one page and records every place a marker left the text it was typed as."""

    def __init__(self, seeds: Seeds) -> None:
        super().__init__(convert_charrefs=True)
        self.seeds = seeds
        self.bad: list[str] = []
        self.seen: set[str] = set()
        self.raw_text: str | None = None  # inside script or style

    def _markers(self, text: str) -> list[str]:
        found = [m for m in self.seeds.fields if m in text]
        self.seen.update(found)
        return found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for marker in self._markers(self.get_starttag_text() or ""):
            for name, value in attrs:
                if marker in name or marker in tag:
                    self.bad.append(f"<{tag} {name}> made of {self.seeds.fields[marker]}")
                elif value is not None and marker in value:
                    whole = self.seeds.payloads[marker] in value
                    if _encoded_in_our_link(name, value, self.seeds.payloads[marker]):
                        continue  # a query value of a link of ours (a map search), encoded
                    if name not in TEXT_ATTRIBUTES or not whole:
                        self.bad.append(f"<{tag} {name}=> from {self.seeds.fields[marker]}")
        for name, value in attrs:
            if name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.bad.append(f"<{tag} {name}={value!r}>")
        if tag in ("script", "style"):
            self.raw_text = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.raw_text = None

    def handle_endtag(self, tag: str) -> None:
        if tag == self.raw_text:
            self.raw_text = None

    def handle_data(self, data: str) -> None:
        for marker in self._markers(data):
            if self.raw_text:
                self.bad.append(f"<{self.raw_text}> holds {self.seeds.fields[marker]}")
            if f"49{marker}" in data:
                self.bad.append(f"template syntax evaluated in {self.seeds.fields[marker]}")

    def handle_comment(self, data: str) -> None:
        for marker in self._markers(data):
            self.bad.append(f"a comment made of {self.seeds.fields[marker]}")


@dataclass
class Scan:
    """Every page scanned: what leaked where, and which markers were seen at all."""

    seeds: Seeds
    bad: dict[str, list[str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    pages: int = 0

    def check(self, what: str, response) -> None:  # type: ignore[no-untyped-def]
        assert response.status_code < 500, f"{what}: {response.status_code}"
        if response.mimetype != "text/html":
            return
        parser = Findings(self.seeds)
        parser.feed(response.get_data(as_text=True))
        parser.close()
        self.pages += 1
        self.seen |= parser.seen
        if parser.bad:
            self.bad[what] = parser.bad


def _account(instance: Instance, seeds: Seeds, kind: str, login: str, moderator: int) -> int:
    persons = (
        {"self": seeds.person(f"{login}.self")}
        if kind == "individual"
        else {
            "representative": seeds.person(f"{login}.representative"),
            "contact": seeds.person(f"{login}.contact"),
        }
    )
    account = register(
        instance.rt,
        Registration(
            kind=kind,
            login=login,
            password=PASSWORD,
            public_name=seeds(f"{login}.public_name"),
            persons=persons,
            profile=seeds(f"{login}.profile") if kind == "group" else "",
        ),
    )
    if moderator:
        moderation.decide_account(instance.rt, moderator, account, approve=True)
    return account


def _post(seeds: Seeds, where: str) -> PostData:
    questions = [
        Question(seeds(f"{where}.question.text"), "text", (), True),
        Question(
            seeds(f"{where}.question.choice"),
            "choice",
            (seeds(f"{where}.option.choice1"), seeds(f"{where}.option.choice2")),
        ),
        Question(
            seeds(f"{where}.question.checkbox"),
            "checkbox",
            (seeds(f"{where}.option.checkbox1"), seeds(f"{where}.option.checkbox2")),
        ),
    ]
    return PostData(
        kind="event",
        title=seeds(f"{where}.title"),
        summary=seeds(f"{where}.summary"),
        body=seeds(f"{where}.body"),
        starts_at=datetime.combine(EVENT_DAY, time(14, 0)),
        ends_at=datetime.combine(EVENT_DAY, time(16, 0)),
        place_name=seeds(f"{where}.place_name"),
        place_address=seeds(f"{where}.place_address"),
        fee=seeds(f"{where}.fee"),
        capacity=10,
        accepts_applications=True,
        contact_public=seeds(f"{where}.contact_public"),
        questions=encode_questions(questions),
        attendance="hybrid",
        online_details=seeds(f"{where}.online_details"),
    )


@dataclass
class World:
    """The signed-in clients and every id a route argument can take."""

    clients: dict[str, object]
    arguments: dict[str, list[object]]
    live: int
    pending: int


@pytest.fixture
def world(instance: Instance, app) -> tuple[World, Seeds]:  # type: ignore[no-untyped-def]
    seeds = Seeds()
    rt = instance.rt
    make_staff(instance, "moderator", "escape-mod", "escape-mod-password", "エスケープ運営")
    make_staff(instance, "staff", "escape-staff", "escape-staff-password", "エスケープ区職員")
    make_staff(instance, "staff", "escape-clerk", "escape-clerk-password", seeds("roster.name"))
    add_handover(
        rt,
        None,
        Handover(
            EVENT_DAY,
            seeds("ledger.handler"),
            seeds("ledger.content"),
            3,
            seeds("ledger.recipient"),
        ),
    )
    with rt.sessions() as db:
        moderator_id = db.scalars(select(Account.id).where(Account.kind == "moderator")).one()
    group = _account(instance, seeds, "group", "escape-group", moderator_id)
    individual = _account(instance, seeds, "individual", "escape-individual", moderator_id)
    waiting_group = _account(instance, seeds, "group", "escape-waiting", 0)

    live = submit_post(rt, group, _post(seeds, "live"))
    post_decisions.approve(rt, moderator_id, post_decisions.Subject("post", live))
    revision = post_edits.edit_post(rt, group, live, _post(seeds, "revision")).revision_id
    stale_content.request_removal(rt, moderator_id, live, seeds("stale_reason"))
    gone = submit_post(
        rt,
        group,
        PostData(
            kind="notice", title=seeds("taken_down.title"), summary=seeds("taken_down.summary")
        ),
    )
    post_decisions.approve(rt, moderator_id, post_decisions.Subject("post", gone))
    takedown.take_down(rt, moderator_id, gone, seeds("takedown_reason"))
    pending = submit_post(rt, individual, _post(seeds, "pending"))
    rejected = submit_post(rt, individual, _post(seeds, "rejected"))
    post_decisions.reject(
        rt, moderator_id, post_decisions.Subject("post", rejected), seeds("reject")
    )
    template = reason_templates.save(
        rt, None, seeds("reason_template.title"), seeds("reason_template.body")
    )
    profiles.update_profile(
        rt,
        group,
        profiles.ProfileEdit(
            publish=True,
            profile=seeds("profile.profile"),
            website=seeds("profile.website"),
            public_contact=seeds("profile.public_contact"),
        ),
    )
    request_id = changes.propose(rt, individual, "self", seeds.person("change_request"))
    with rt.sessions() as db:
        options = json.loads(db.get(Post, live).questions)
    outcome = apply(
        rt,
        live,
        ApplicationData(
            name=seeds("application.name"),
            address=seeds("application.address"),
            phone=seeds("application.phone"),
            email=seeds("application.email"),
            answers=[seeds("application.answer"), options[1]["options"][0], []],
        ),
    )
    organizer_mail.send_message(
        rt, group, live, "all", seeds("message.subject"), seeds("message.body")
    )
    with rt.sessions() as db:
        post = db.get(Post, live)
        assert post is not None
        expires = link_expiry(post)
    token = make_link_token(instance.settings.secret_key(), outcome.application_id, expires)
    inquiry = inquiries.submit(
        rt,
        inquiries.InquiryData(
            category="other",
            message=seeds("inquiry.message"),
            name=seeds("inquiry.name"),
            email=seeds("inquiry.email"),
            phone=seeds("inquiry.phone"),
        ),
    )
    inquiries.add_note(rt, inquiry, moderator_id, seeds("inquiry.note"))
    inquiries.reply(rt, inquiry, moderator_id, seeds("inquiry.reply"))
    notice = operator_notices.write(
        rt,
        moderator_id,
        operator_notices.NoticeText(
            seeds("notice.title"), seeds("notice.summary"), seeds("notice.body")
        ),
    )
    banners.set_banner(
        rt,
        moderator_id,
        BannerLevel.EMERGENCY,
        seeds("banner.text_ja"),
        seeds("banner.text_en"),
        datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1),
    )

    clients = {role: app.test_client() for role in ROLES}
    sign_in(clients["group"], "escape-group", PASSWORD)
    sign_in(clients["individual"], "escape-individual", PASSWORD)
    sign_in(clients["moderator"], "escape-mod", "escape-mod-password")
    sign_in(clients["staff"], "escape-staff", "escape-staff-password")
    arguments: dict[str, list[object]] = {
        "post_id": [live, gone, pending, rejected, notice],
        "revision_id": [revision],
        "account_id": [group, individual, waiting_group],
        "request_id": [request_id],
        "role": ["self", "representative", "contact"],
        "kind": ["individual", "group"],
        "token": [token, "not-a-token"],
        "template_id": [template],
        "inquiry_id": [inquiry],
        "month": ["2026-11", "not-a-month"],
    }
    return World(clients, arguments, live, pending), seeds


ROLES = ("anonymous", "individual", "group", "moderator", "staff")
# The public static site (files of the Pelican build, not rendered by the intake).
SKIPPED = {"static", "theme.static", "site.serve"}


def _urls(app, arguments: dict[str, list[object]]) -> list[str]:  # type: ignore[no-untyped-def]
    """Return a URL of every GET route for every combination of seeded arguments."""
    from flask import url_for  # noqa: PLC0415

    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in SKIPPED or "GET" not in (rule.methods or ()):
                continue
            names = sorted(rule.arguments - set(rule.defaults or {}))
            missing = [n for n in names if n not in arguments]
            assert not missing, f"{rule.rule}: no seeded value for {missing}"
            for values in itertools.product(*(arguments[n] for n in names)):
                urls.append(url_for(rule.endpoint, **dict(zip(names, values, strict=True))))
    return urls


def test_no_page_of_the_intake_renders_peoples_text_as_markup(app, world):
    me, seeds = world
    scan = Scan(seeds)
    urls = _urls(app, me.arguments)
    for role, url in itertools.product(ROLES, urls):
        scan.check(f"{role} GET {url}", me.clients[role].get(url))  # type: ignore[attr-defined]
    apply_url = f"/app/events/{me.live}/apply"
    scan.check(
        "anonymous GET apply in English", me.clients["anonymous"].get(apply_url + "?lang=en")
    )  # type: ignore[attr-defined]

    # Forms sent back with a problem keep what was typed, as text.
    visitor = me.clients["anonymous"]
    typed = {
        "name": seeds("typed.apply.name"),
        "address": seeds("typed.apply.address"),
        "q0": seeds("typed.apply.answer"),
    }
    scan.check("POST apply, no consent", submit(visitor, apply_url, typed))
    register_form = {
        "login": "escape-typed",
        "public_name": seeds("typed.register.public_name"),
        "person-name": seeds("typed.register.name"),
        "person-address": seeds("typed.register.address"),
    }
    scan.check("POST register, no password", submit(visitor, "/app/register", register_form))

    # An application staff type in, sent back without a way to reach the applicant.
    typed_by_hand = {
        "source": "phone",
        "name": seeds("typed.by_hand.name"),
        "address": seeds("typed.by_hand.address"),
        "party_size": "1",
    }
    organizer_entry = f"/app/organizer/events/{me.live}/enter"
    scan.check("POST hand application", submit(me.clients["group"], organizer_entry, typed_by_hand))

    # A flash message naming a post: a bulk decision without the queue's stamp is refused.
    moderator = me.clients["moderator"]
    # The printable letter of a paper registration shows what the moderator typed.
    paper = {
        "login": "escape-paper",
        "public_name": seeds("typed.paper.public_name"),
        "person-name": seeds("typed.paper.name"),
        "person-kana": "かみ",
        "person-postal_code": "160-0022",
        "person-address": seeds("typed.paper.address"),
        "person-phone": "03-1234-5678",
        "person-email": "",
    }
    letter = submit(moderator, "/app/moderation/paper/individual", paper)
    assert letter.status_code == 200, letter.get_data(as_text=True)[:3000]
    scan.check("POST paper registration, the letter", letter)
    # Its first sign-in: the page asking for a password of its own (the nav names it).
    initial = re.search(r'<code class="password">([a-z0-9]{16})</code>', letter.get_data(True))
    assert initial is not None
    rt = app.extensions["hiroba.runtime"]
    with rt.sessions() as db:
        paper_id = db.scalars(select(Account.id).where(Account.source == "paper")).one()
        moderator_id = db.scalars(select(Account.id).where(Account.kind == "moderator")).one()
    moderation.decide_account(rt, moderator_id, paper_id, approve=True)
    newcomer = app.test_client()
    sign_in(newcomer, "escape-paper", initial.group(1))
    scan.check("GET first password", newcomer.get("/app/account/first-password"))
    mismatch = {"password": "escape-own-words-1", "password_confirm": "escape-other-words-2"}
    scan.check(
        "POST first password, mismatch", submit(newcomer, "/app/account/first-password", mismatch)
    )
    index = moderator.get("/app/moderation").get_data(as_text=True)  # type: ignore[attr-defined]
    refused = moderator.post(  # type: ignore[attr-defined]
        "/app/moderation/posts/bulk",
        data={
            "csrf_token": csrf_token(index),
            "action": "approve",
            "items": [f"post-{me.pending}"],
        },
        follow_redirects=True,
    )
    scan.check("POST bulk approve, flash", refused)
    # The account search's results name accounts (seeded names; found by their login).
    found = submit(moderator, "/app/moderation/accounts", {"query": "escape-"})
    assert found.status_code == 200
    scan.check("POST account search", found)

    assert scan.bad == {}, json.dumps(scan.bad, ensure_ascii=False, indent=1)[:6000]
    unseen = sorted(seeds.fields[m] for m in set(seeds.fields) - scan.seen)
    assert set(unseen) <= NOT_SHOWN, f"seeded but shown on no intake page: {unseen}"
    assert scan.pages > 100


@pytest.mark.parametrize("payload", [p.replace("{m}", "zq") for p in PAYLOADS])
def test_labels_from_a_mapping_render_as_text(app, payload: str) -> None:
    """A label choices() translates lazily is still escaped where WTForms or Jinja insert it."""
    from flask import render_template_string  # noqa: PLC0415
    from wtforms import Form, RadioField  # noqa: PLC0415

    from intake.web.fields import choices  # noqa: PLC0415

    class Picker(Form):
        pick = RadioField("pick", choices=choices({"a": payload}))

    with app.test_request_context():
        html = str(Picker().pick()) + render_template_string(
            "{{ x }}", x=choices({"a": payload})[0].label
        )
    assert payload not in html and str(escape(payload)) in html
