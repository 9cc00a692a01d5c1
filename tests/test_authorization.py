"""The authorisation matrix: every route of the app x every role, allow or deny.

The table below names every endpoint of the URL map; a new route without a row fails
`test_every_route_has_a_rule`. Denied means a redirect to the sign-in page for the
anonymous visitor and 403 (or 404 where existence is hidden) for a signed-in wrong role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

import pytest
from actors import EVENT_DAY, make_staff, sign_in
from conftest import Instance, csrf_token
from sqlalchemy import select

from intake.accounts import changes
from intake.accounts.services import PersonData, Registration, register
from intake.inquiries import services as inquiries
from intake.models import Account, Post
from intake.moderation import decisions as post_decisions
from intake.moderation import reasons as reason_templates
from intake.moderation import services as moderation
from intake.posts import edits as post_edits
from intake.posts.services import PostData, submit_post

ROLES = ("anonymous", "individual", "individual2", "group", "group2", "moderator", "staff")
EVERYONE = frozenset(ROLES)
MEMBERS = frozenset({"individual", "individual2", "group", "group2"})
MODERATOR = frozenset({"moderator"})
STAFF = frozenset({"staff"})
OK = frozenset({200})
OWNER = frozenset({"group"})
FORM_ANSWERS = frozenset({200, 302, 422})


@dataclass(frozen=True)
class Rule:
    """Who may use an endpoint, with which URL arguments, and what an allowed answer is."""

    allowed: frozenset[str]
    args: str = ""  # a key of the ids fixture, or "" when the rule takes no argument
    statuses: frozenset[int] = OK  # an allowed GET (or POST, for POST-only routes)
    per_role: dict[str, str] = field(default_factory=dict)  # role -> a value of args


# Endpoints the matrix does not test: the public static site and the app's assets.
EXCLUDED = {"site.serve", "static", "theme.static"}

RULES: dict[str, Rule] = {
    "account.register_individual": Rule(EVERYONE),
    "account.register_group": Rule(EVERYONE),
    "account.registered": Rule(EVERYONE),
    "applications.apply": Rule(EVERYONE, args="live_event"),
    "applications.applied": Rule(EVERYONE, args="live_event"),
    "applications.availability": Rule(EVERYONE, args="live_event"),
    # A made-up link token: every role gets the same "link not usable" page.
    "applications.application": Rule(EVERYONE, args="token", statuses=frozenset({404})),
    "auth.sign_in": Rule(EVERYONE),
    # Without a password step in progress the code page sends everyone back to sign in.
    "auth.second_factor": Rule(EVERYONE, statuses=frozenset({302})),
    "auth.sign_out": Rule(EVERYONE, statuses=frozenset({302})),
    # No worker runs here: /healthz says "degraded" with 200 (tests/test_watching.py).
    "watching.healthz": Rule(EVERYONE),
    # The test client is loopback, the one place /metrics answers by default.
    "watching.metrics": Rule(EVERYONE),
    "posts.new": Rule(MEMBERS),
    "posts.mine": Rule(MEMBERS),
    # Owner-only: the live event belongs to "group"; other members get 404.
    "posts.edit": Rule(OWNER, args="live_event"),
    "posts.withdraw": Rule(OWNER, args="live_event"),
    "account.show": Rule(MEMBERS),
    # Each member changes only its own persons: the role names one of the caller's own.
    "account.change": Rule(
        MEMBERS,
        args="person_role",
        per_role={
            "individual": "self",
            "individual2": "self",
            "group": "representative",
            "group2": "contact",
        },
    ),
    "account.withdraw": Rule(MEMBERS),
    "account.withdrawn": Rule(EVERYONE),
    "account.forgot_password": Rule(EVERYONE),
    "account.reset_requested": Rule(EVERYONE),
    # A made-up token: every role gets the same "link not usable" page, nobody a form.
    "account.reset_password": Rule(EVERYONE, args="token", statuses=frozenset({410, 404})),
    "moderation.index": Rule(MODERATOR),
    "moderation.account": Rule(MODERATOR, args="pending_account"),
    "moderation.disable": Rule(MODERATOR, args="active_account", statuses=frozenset({422})),
    "moderation_posts.post": Rule(MODERATOR, args="pending_post"),
    "moderation_posts.revision": Rule(MODERATOR, args="pending_revision"),
    # Nothing ticked: the queue comes back with the message (and nothing is decided).
    "moderation_posts.bulk": Rule(MODERATOR, statuses=frozenset({422})),
    "moderation_reasons.index": Rule(MODERATOR),
    "moderation_reasons.edit": Rule(MODERATOR, args="reason_template"),
    "moderation_reasons.move": Rule(MODERATOR, args="reason_template", statuses=frozenset({422})),
    "moderation_profiles.index": Rule(MODERATOR),
    # No profile edit is pending for this group: the page says so.
    "moderation_profiles.review": Rule(MODERATOR, args="active_account"),
    "moderation_site.live": Rule(MODERATOR),
    "moderation_site.live_post": Rule(MODERATOR, args="live_event"),
    # Without a reason nothing is taken down or requested: the form comes back.
    "moderation_site.take_down": Rule(MODERATOR, args="live_event", statuses=frozenset({422})),
    "moderation_site.request_removal": Rule(
        MODERATOR, args="live_event", statuses=frozenset({422})
    ),
    "moderation_site.stale": Rule(MODERATOR),
    "moderation_site.status": Rule(MODERATOR),
    # A made-up file token: moderators get 404, everyone else is refused first.
    "uploads.preview": Rule(MODERATOR, args="token", statuses=frozenset({404})),
    # Only groups have a public profile; individuals are refused.
    "profile.edit": Rule(frozenset({"group", "group2"})),
    "moderation_accounts.paper": Rule(MODERATOR, args="paper_kind"),
    "moderation_accounts.change": Rule(MODERATOR, args="change_request"),
    "moderation_accounts.enter_change": Rule(MODERATOR, args="active_person"),
    "posts_on_behalf.pick": Rule(MODERATOR),
    "posts_on_behalf.new": Rule(MODERATOR, args="active_account"),
    # Staff type in applications received by phone or on paper: the owner, or a moderator.
    "applications_by_hand.organizer_entry": Rule(OWNER, args="live_event"),
    "applications_by_hand.moderator_entry": Rule(MODERATOR, args="live_event"),
    "staff.index": Rule(STAFF),
    "staff.ward_report": Rule(STAFF),
    # No monthly audit report is stored for this month yet: staff get 404, others are refused.
    "staff.audit_month": Rule(STAFF, args="month", statuses=frozenset({404})),
    "roster.index": Rule(STAFF),
    "roster.download": Rule(STAFF),
    # The ledger (管理簿) is kept by moderators and read by ward staff; an empty entry comes back.
    "ledger.index": Rule(MODERATOR | STAFF),
    "ledger.download": Rule(MODERATOR | STAFF),
    "account.change_password": Rule(MEMBERS),
    # Operator notices and the banner: moderators only. A group's event is no operator
    # notice (404); an empty banner form comes back (422); clearing with none set is fine.
    "moderation_notices.index": Rule(MODERATOR),
    "moderation_notices.new": Rule(MODERATOR),
    "moderation_notices.edit": Rule(MODERATOR, args="live_event", statuses=frozenset({404})),
    "moderation_notices.withdraw": Rule(MODERATOR, args="live_event", statuses=frozenset({404})),
    "moderation_notices.banner": Rule(MODERATOR),
    "moderation_notices.clear": Rule(MODERATOR, statuses=frozenset({302})),
    # Owner-only: the live event belongs to "group"; the other members are refused (404).
    "organizer.events": Rule(MEMBERS),
    "organizer.event": Rule(OWNER, args="live_event"),
    "organizer.attendance": Rule(OWNER, args="live_event", statuses=FORM_ANSWERS),
    "organizer.cancel": Rule(OWNER, args="live_event", statuses=FORM_ANSWERS),
    "organizer.export": Rule(OWNER, args="live_event", statuses=FORM_ANSWERS),
    "organizer.message": Rule(OWNER, args="live_event"),
    "organizer.download": Rule(MEMBERS, args="token", statuses=frozenset({404})),
    "inquiries.contact": Rule(EVERYONE),
    "inquiries.thanks": Rule(EVERYONE),
    "moderation_inquiries.index": Rule(MODERATOR),
    "moderation_inquiries.thread": Rule(MODERATOR, args="inquiry"),
    "moderation_inquiries.handling": Rule(MODERATOR, args="inquiry", statuses=frozenset({422})),
    "moderation_inquiries.note": Rule(MODERATOR, args="inquiry", statuses=frozenset({422})),
    "moderation_inquiries.reply": Rule(MODERATOR, args="inquiry", statuses=frozenset({422})),
    "helping.accounts": Rule(MODERATOR),
    # The group is not disabled: the page says so, with no form.
    "helping.reenable": Rule(MODERATOR, args="active_account"),
    "helping.staff": Rule(MODERATOR),
    # Without a reason nothing is requested: the staff page comes back with the message.
    "helping.request_reset": Rule(MODERATOR, args="active_account", statuses=frozenset({422})),
    "helping.confirm_reset": Rule(MODERATOR, args="factor_reset", statuses=frozenset({404})),
    "helping.correct": Rule(MODERATOR, args="live_event"),
    # The live event is not taken down: the page says so, with no form.
    "helping.restore": Rule(MODERATOR, args="live_event"),
    # Without a password step after a factor reset, everyone is sent back to sign in.
    "helping_enrol.enrol": Rule(EVERYONE, statuses=frozenset({302})),
    # Only an account that must change its initial password sees the page; the rest of us
    # are sent home (or to sign in): tests/test_first_password.py.
    "first_password.change": Rule(EVERYONE, statuses=frozenset({302})),
}

# A group's or individual's own-person pages ("owner-only"): asking for a person role
# the account does not have is refused without saying whether it exists.
FOREIGN_PERSON = {
    "individual": "representative",
    "individual2": "contact",
    "group": "self",
    "group2": "self",
}


def make_member(instance: Instance, kind: str, n: int, moderator: int) -> int:
    persons = (
        {"self": PersonData(name=f"権限 個人{n}", email=f"authz-{n}@example.test")}
        if kind == "individual"
        else {
            "representative": PersonData(name=f"権限 代表{n}", email=f"rep-{n}@example.test"),
            "contact": PersonData(name=f"権限 連絡{n}", email=f"con-{n}@example.test"),
        }
    )
    account = register(
        instance.rt,
        Registration(
            kind=kind,
            login=f"authz-{kind}-{n}",
            password="authz-password-123",
            public_name=f"権限テスト{n}",
            persons=persons,
        ),
    )
    if moderator:
        moderation.decide_account(instance.rt, moderator, account, approve=True)
    return account


def make_event(instance: Instance, owner: int, n: int) -> int:
    return submit_post(
        instance.rt,
        owner,
        PostData(
            kind="event",
            title=f"権限テスト行事{n}",
            summary="権限テストの行事です。",
            starts_at=datetime.combine(EVENT_DAY, time(14, 0)),
            place_name="テスト会場",
            capacity=10,
            accepts_applications=True,
        ),
    )


PASSWORD = "authz-password-123"


@pytest.fixture
def world(instance: Instance, app):  # type: ignore[no-untyped-def]
    """Seven signed-in (or not) clients and the ids the URLs need."""
    make_staff(instance, "moderator", "authz-mod", "authz-mod-password", "権限運営")
    make_staff(instance, "staff", "authz-staff", "authz-staff-password", "権限区職員")
    with instance.rt.sessions() as db:
        moderator = db.scalars(select(Account.id).where(Account.kind == "moderator")).one()
    owners = {
        "individual": make_member(instance, "individual", 1, moderator),
        "individual2": make_member(instance, "individual", 2, moderator),
        "group": make_member(instance, "group", 3, moderator),
        "group2": make_member(instance, "group", 4, moderator),
    }
    live = make_event(instance, owners["group"], 1)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", live))
    request_id = changes.propose(
        instance.rt, owners["individual"], "self", PersonData(name="権限 変更後")
    )
    ids = {
        "live_event": {"post_id": live},
        "pending_account": {"account_id": make_member(instance, "group", 5, 0)},
        "active_account": {"account_id": owners["group2"]},
        "active_person": {"account_id": owners["group2"], "role": "contact"},
        "pending_post": {"post_id": make_event(instance, owners["group2"], 2)},
        "paper_kind": {"kind": "group"},
        "change_request": {"request_id": request_id},
        "pending_revision": {
            "revision_id": post_edits.edit_post(
                instance.rt, owners["group"], live, PostData(kind="event", title="改", summary="改")
            ).revision_id
        },
        "reason_template": {"template_id": reason_templates.all_templates(instance.rt)[0].id},
        "token": {"token": "not-a-real-token"},
        "month": {"month": "2026-11"},
        "factor_reset": {"reset_id": 999},
        "inquiry": {
            "inquiry_id": inquiries.submit(
                instance.rt,
                inquiries.InquiryData("other", "権限テスト", "権限 問合", "", "0312345678"),
            )
        },
    }
    clients = {role: app.test_client() for role in ROLES}
    for role in MEMBERS:
        kind = role.rstrip("2")
        n = {"individual": 1, "individual2": 2, "group": 3, "group2": 4}[role]
        sign_in(clients[role], f"authz-{kind}-{n}", PASSWORD)
    sign_in(clients["moderator"], "authz-mod", "authz-mod-password")
    sign_in(clients["staff"], "authz-staff", "authz-staff-password")
    return clients, ids


def _url(app, endpoint: str, rule: Rule, role: str, ids: dict) -> str:  # type: ignore[no-untyped-def]
    if rule.per_role:
        values = {rule.args: rule.per_role.get(role, "self")}
        values = {"role": values[rule.args]}
    else:
        values = ids[rule.args] if rule.args else {}
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def _methods(app, endpoint: str) -> set[str]:  # type: ignore[no-untyped-def]
    methods: set[str] = set()
    for rule in app.url_map.iter_rules(endpoint):
        methods |= set(rule.methods or ()) - {"HEAD", "OPTIONS"}
    return methods


def _token(client) -> str:  # type: ignore[no-untyped-def]
    """A valid CSRF token from a page every role can load."""
    return csrf_token(client.get("/app/password/forgot").get_data(as_text=True))


def _assert_denied(role: str, response, what: str) -> None:  # type: ignore[no-untyped-def]
    if role == "anonymous":
        assert response.status_code == 302, what
        assert "/app/login" in response.headers["Location"], what
    else:
        assert response.status_code in (403, 404), what


def test_every_route_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = endpoints - set(RULES) - EXCLUDED
    assert not missing, f"routes without an authorisation rule: {sorted(missing)}"
    assert not (set(RULES) - endpoints), "rules for routes that no longer exist"


def test_authorisation_matrix(instance, app, world):
    clients, ids = world
    before = _states(instance, ids)
    assert before[1] == "active"
    # Signing out ends the clients' sessions, so it comes last.
    for endpoint, rule in sorted(RULES.items(), key=lambda item: item[0] == "auth.sign_out"):
        methods = _methods(app, endpoint)
        for role in ROLES:
            client = clients[role]
            url = _url(app, endpoint, rule, role, ids)
            what = f"{role} {endpoint} {url}"
            if "GET" in methods:
                response = client.get(url)
                if role in rule.allowed:
                    assert response.status_code in rule.statuses, (what, response.status_code)
                else:
                    _assert_denied(role, response, what)
            if "POST" in methods and role not in rule.allowed:
                # A wrong role is refused before its (valid-token) form is even validated.
                data = {"csrf_token": _token(client), "action": "approve", "reason": "x"}
                _assert_denied(role, client.post(url, data=data), f"POST {what}")
            elif methods == {"POST"}:
                response = client.post(url, data={"csrf_token": _token(client)})
                assert response.status_code in rule.statuses, (what, response.status_code)
    assert _states(instance, ids) == before, "a refused request changed something"


def _states(instance: Instance, ids: dict) -> tuple[str, ...]:
    with instance.rt.sessions() as db:
        return (
            db.get(Account, ids["pending_account"]["account_id"]).status,
            db.get(Account, ids["active_account"]["account_id"]).status,
            db.get(Post, ids["pending_post"]["post_id"]).status,
        )


def test_a_member_reaches_only_its_own_persons(app, world):
    clients, _ids = world
    for role, foreign in FOREIGN_PERSON.items():
        response = clients[role].get(f"/app/account/change/{foreign}")
        assert response.status_code == 404, role
