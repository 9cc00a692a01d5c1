"""Property tests: whatever is typed into any field of any form, the app never answers 500.

The forms are discovered from the pages themselves (every POST form but signing out),
so a new field is covered without touching this file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin

import pytest
from actors import make_staff, sign_in
from conftest import Instance, csrf_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_authorization import make_event, make_member

from intake.accounts import changes
from intake.accounts.services import PersonData
from intake.models import Account
from intake.moderation import decisions as post_decisions

PROBE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@dataclass
class Form:
    """One POST form of a page: where it goes and its fields by name."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> input type or tag
    options: dict[str, list[str]] = field(default_factory=dict)  # select name -> values
    multiple: set[str] = field(default_factory=set)
    hidden: dict[str, str] = field(default_factory=dict)


class FormParser(HTMLParser):
    """Collect the POST forms of a page."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.forms, self.form, self.select = url, [], None, None  # type: ignore[var-annotated]
        self.seen: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.form = Form(urljoin(self.url, a.get("action") or self.url))
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag in ("input", "textarea", "select") and a.get("name"):
            name, kind = a["name"], a.get("type", tag) if tag == "input" else tag
            if kind == "hidden":
                self.form.hidden[name] = a.get("value", "")
                return
            if name in self.form.fields and kind == "checkbox":
                self.form.multiple.add(name)
            self.form.fields[name] = kind
            if tag == "select":
                self.select = name
                self.form.options[name] = []
                if "multiple" in a:
                    self.form.multiple.add(name)
            if kind == "checkbox":
                self.form.options.setdefault(name, []).append(a.get("value", "y"))
        elif tag == "option" and self.select:
            self.form.options[self.select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def forms_of(html: str, url: str) -> list[Form]:
    parser = FormParser(url)
    parser.feed(html)
    return [f for f in parser.forms if not f.action.endswith("/app/logout")]


TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.text(alphabet="\x00\x01\x07\x08\x0b\x1b\x7f\u200b\u202e\ufeff\r\n\t", max_size=10),
    # Very long values, cheap to generate: a short piece repeated thousands of times.
    st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=3), st.integers(700, 6000)),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "２０", "０３－１２３４－５６７８"]),
    st.just(PROBE),
)


def value_for(form: Form, name: str):  # type: ignore[no-untyped-def]
    """A strategy for one field: free text, a real choice, or a list for multi-selects."""
    options = form.options.get(name, [])
    one = st.one_of(TEXT, st.sampled_from(options)) if options else TEXT
    if name in form.multiple:
        return st.lists(one, max_size=5)
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


# (role that may see the page, path template)
PAGES = [
    ("anonymous", "/app/register"),
    ("anonymous", "/app/register/group"),
    ("anonymous", "/app/login"),
    ("anonymous", "/app/password/forgot"),
    ("anonymous", "/app/events/{live}/apply"),
    ("group", "/app/posts/new"),
    ("group", "/app/account/change/representative"),
    ("group", "/app/account/withdraw"),
    ("moderator", "/app/moderation/paper/individual"),
    ("moderator", "/app/moderation/paper/group"),
    ("moderator", "/app/moderation/accounts/{pending}"),
    ("moderator", "/app/moderation/accounts/{active}"),
    ("moderator", "/app/moderation/posts/{post}"),
    ("moderator", "/app/moderation/changes/{request}"),
]


@pytest.fixture
def site(instance: Instance, app):  # type: ignore[no-untyped-def]
    make_staff(instance, "moderator", "prop-mod", "prop-mod-password", "性質運営")
    with instance.rt.sessions() as db:
        mod = db.scalars(select(Account.id).where(Account.kind == "moderator")).one()
    group = make_member(instance, "group", 3, mod)
    individual = make_member(instance, "individual", 1, mod)
    live = make_event(instance, group, 1)
    post_decisions.approve(instance.rt, mod, post_decisions.Subject("post", live))
    ids = {
        "live": live,
        "pending": make_member(instance, "group", 5, 0),
        "active": individual,
        "post": make_event(instance, group, 2),
        "request": changes.propose(instance.rt, individual, "self", PersonData(name="性質 変更")),
    }
    clients = {"anonymous": app.test_client(), "group": app.test_client()}
    sign_in(clients["group"], "authz-group-3", "authz-password-123")
    clients["moderator"] = app.test_client()
    sign_in(clients["moderator"], "prop-mod", "prop-mod-password")
    return clients, ids


@pytest.mark.parametrize(("role", "path"), PAGES)
def test_no_input_makes_a_form_fail(site, role, path):
    clients, ids = site
    client, url = clients[role], path.format(**ids)
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    forms = forms_of(page.get_data(as_text=True), "http://localhost" + url)
    assert forms, f"no form on {url}"
    reached = []

    def check(index: int, form: Form) -> None:
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(data=st.fixed_dictionaries({n: value_for(form, n) for n in form.fields}))
        def post_anything(data: dict) -> None:
            again = client.get(url)
            fresh = forms_of(again.get_data(as_text=True), "http://localhost" + url)
            if again.status_code != 200 or len(fresh) <= index:
                return  # an earlier example was accepted and closed this form (e.g. decided)
            target = fresh[index]
            response = client.post(target.action, data={**data, **target.hidden})
            body = response.get_data(as_text=True)
            assert response.status_code != 500, (url, data)
            assert response.status_code < 500 or response.status_code == 503, response.status_code
            assert "Traceback" not in body and PROBE not in body
            reached.append(response.status_code != 429)
            typed = [
                n for n, v in data.items() if v == PROBE and form.fields[n] in ("text", "textarea")
            ]
            if response.status_code == 422 and typed:
                assert ESCAPED in body, (url, typed)

        post_anything()

    for index, form in enumerate(forms):
        check(index, form)
    assert sum(reached) > len(reached) // 2, "most examples must reach the form, not the limiter"


# Values for a URL's arguments and for `next`/`lang`: numbers past every integer type,
# negatives, control characters, CR/LF, unicode, dot segments, separators.
HUGE = "99999999999999999999999"
ARGUMENT = st.one_of(
    st.sampled_from(
        [HUGE, str(2**63), str(2**63 - 1), str(2**64), "-1", "0", "..", ".", "%00", "\r\nX: 1"]
    ),
    st.integers(min_value=10**18, max_value=10**40).map(str),
    st.integers(min_value=-(10**30), max_value=-1).map(str),
    st.text(alphabet="\x00\x01\x1b\x7f\x85\r\n\t /\\.%?#", min_size=1, max_size=8),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8),
)
QUERY = st.one_of(
    ARGUMENT,
    st.sampled_from(["/app/my\r\nX: 1", "//evil.test", "/\\evil.test", "https://evil.test", "en"]),
)
PLACEHOLDER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Return (endpoint, rule) for every route of the app but the static files and sign-out."""
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in ("static", "auth.sign_out")
    )


def url_of(rule: str, values: dict[str, str], query: dict[str, str]) -> str:
    """Fill the rule's placeholders with quoted raw values and append the query."""
    path = PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), rule)
    return f"{path}?{urlencode(query)}"


def request_anything(client, token: str, endpoint: str, rule: str) -> None:  # type: ignore[no-untyped-def]
    """Ask one route by GET and POST with hostile arguments and `next`/`lang`: never a 500."""
    names = PLACEHOLDER.findall(rule)

    @settings(
        max_examples=6,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        values=st.fixed_dictionaries(dict.fromkeys(names, ARGUMENT)),
        query=st.fixed_dictionaries({}, optional={"next": QUERY, "lang": QUERY}),
        method=st.sampled_from(["GET", "POST"]),
    )
    def ask(values: dict, query: dict, method: str) -> None:
        url = url_of(rule, values, query)
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code < 500 or response.status_code == 503, (
            endpoint,
            method,
            url,
            response.status_code,
        )
        assert "Traceback" not in response.get_data(as_text=True)
        for header in response.headers.values():
            assert "\r" not in header and "\n" not in header

    if names:  # the reported overflow, in every argument at once, deterministically
        for method in ("GET", "POST"):
            huge = url_of(rule, dict.fromkeys(names, HUGE), {})
            response = client.open(huge, method=method, data={"csrf_token": token})
            assert response.status_code < 500, (endpoint, method, huge)
    ask()


def test_no_url_of_any_route_answers_500(site, app):
    """Every route in the URL map, as each role, by GET and POST, with hostile arguments."""
    clients, _ = site
    for role, client in clients.items():
        token = csrf_token(client.get("/app/password/forgot").get_data(as_text=True))
        for endpoint, rule in routes(app):
            request_anything(client, token, f"{role} {endpoint}", rule)
