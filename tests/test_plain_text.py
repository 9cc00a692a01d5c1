"""Control, bidi and zero-width characters at the intake boundary (HTTP, CSRF on, both databases).

Every C0 control but tab and newline, DEL, every C1 control and NUL is removed from every
field (a multi-line field keeps its newlines and tabs; CR LF becomes LF); a one-line field
refuses bidi controls and zero-width characters with a message, keeping the input; no
request answers 500 or 503, and NUL reaches neither SQLite nor PostgreSQL by any route.
"""

from __future__ import annotations

import html
import re

import pytest
import wtforms
from actors import EVENT, open_group, sign_in
from conftest import csrf_token, submit
from sqlalchemy import select

from intake import controls
from intake.models import Post
from intake.posts.services import PostData, submit_post
from intake.web import plain_text

CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)] + [
    chr(c) for c in range(0x80, 0xA0)
]
INVISIBLE = [
    "\u061c",
    "\u180e",
    *(chr(c) for c in range(0x200B, 0x2010)),
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2060, 0x2065)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\ufeff",
]
ONE_LINE_FIELDS = ("title", "place_name", "place_address", "fee", "contact_public")


@pytest.fixture
def poster(instance, client):  # type: ignore[no-untyped-def]
    open_group(instance)
    sign_in(client, "durable-group", "durable-password-1")


def _posts(instance) -> list[Post]:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return list(db.scalars(select(Post).order_by(Post.id)))


def _post_form(client):  # type: ignore[no-untyped-def]
    """Open the post form once; return a function that posts data to it with its CSRF token
    (valid for the whole session: one GET instead of one per submission)."""
    page = client.get("/app/posts/new")
    assert page.status_code == 200, page.status_code
    token = csrf_token(page.get_data(as_text=True))
    return lambda data: client.post("/app/posts/new", data={**data, "csrf_token": token})


def _texts(post: Post) -> list[str]:
    return [
        getattr(post, column.key)
        for column in Post.__table__.columns
        if isinstance(getattr(post, column.key), str)
    ]


def test_controls_are_removed_from_every_field_and_never_stored(instance, client, poster):
    # Each control alone at the edges and inside, then all of them at once.
    cases = [*CONTROLS, "".join(CONTROLS)]
    post_form = _post_form(client)
    for n, ch in enumerate(cases):
        data = {
            **EVENT,
            **{name: f"{ch}{EVENT[name]}{ch}{n}{ch}" for name in ONE_LINE_FIELDS},
            "summary": f"{ch}一行目{ch}\r\n二行目\t{ch}終わり",
            "body": f"{ch}本文{ch}\r三行目{ch}",
        }
        response = post_form(data)
        assert response.status_code == 302, (repr(ch), response.status_code)
    posts = _posts(instance)
    assert len(posts) == len(cases)
    for n, post in enumerate(posts):
        assert post.title == f"{EVENT['title']}{n}"
        assert post.place_name == f"{EVENT['place_name']}{n}"
        assert post.summary == "一行目\n二行目\t終わり"
        assert post.body == "本文\n三行目"
        for value in _texts(post):
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", value), repr(value)


def test_line_breaks_and_tabs_in_one_line_fields_become_spaces(instance, client, poster):
    data = {**EVENT, "title": "一行\n目の\r\nタイトル\t", "fee": "無料\r"}
    assert submit(client, "/app/posts/new", data).status_code == 302
    [post] = _posts(instance)
    assert "\n" not in post.title and "\t" not in post.title and "\r" not in post.fee
    assert post.title.split() == ["一行", "目の", "タイトル"]


@pytest.mark.parametrize("field", ONE_LINE_FIELDS)
def test_invisible_characters_in_one_line_fields_are_refused_with_the_input_kept(
    instance, client, poster, field
):
    text = EVENT[field]
    post_form = _post_form(client)
    for at in (0, 1, len(text)):  # the start, inside, the end
        for ch in [*INVISIBLE, "\u202e\u2066\u200b"]:
            value = text[:at] + ch + text[at:]
            response = post_form({**EVENT, field: value})
            assert response.status_code == 422, (field, repr(value))
            page = html.unescape(response.get_data(as_text=True))
            assert "見えない文字" in page
            assert f"U+{ord(ch[0]):04X}" in page
            assert value in page  # what the user typed comes back
    assert _posts(instance) == []


def test_the_refusal_reads_in_english_too(instance, client, poster):
    response = submit(client, "/app/posts/new?lang=en", {**EVENT, "title": "a\u202eb"})
    assert response.status_code == 422
    assert "invisible characters" in response.get_data(as_text=True)


def test_multi_line_fields_keep_right_to_left_marks(instance, client, poster):
    text = "عربي\u200f (アラビア語の紹介)"
    assert submit(client, "/app/posts/new", {**EVENT, "body": text}).status_code == 302
    assert _posts(instance)[0].body == text


def test_nul_and_controls_never_reach_the_database_from_services(instance):
    """Not only the web: the CLI and jobs call services, and the database layer cleans too."""
    _, group = open_group(instance)
    post_id = submit_post(
        instance.rt,
        group,
        PostData(kind="notice", title="\x00題\x07名\x1b", summary="\x00概要\x9b", body="本\x00文"),
    )
    with instance.rt.sessions() as db:
        post = db.get(Post, post_id)
        assert (post.title, post.summary, post.body) == ("題名", "概要", "本文")


def _form_classes(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_form_classes(sub)]
    return found


def test_every_intake_form_cleans_its_text():
    """A form added later is covered: every intake form derives from plain_text's bases."""
    import intake.web.app  # noqa: F401 - imports every view, so every form class exists

    forms = [
        cls
        for cls in _form_classes(wtforms.Form)
        if cls.__module__.startswith("intake.") and cls.__module__ != plain_text.__name__
    ]
    assert len(forms) > 20
    loose = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in forms
        if not issubclass(cls, plain_text.FlaskForm | plain_text.Form)
    ]
    assert loose == []


@pytest.mark.parametrize("ch", [*CONTROLS, "\ud800", "\ufffe", "\uffff"])
def test_the_publish_boundary_drops_what_xml_forbids(ch):
    from worker.content.posts import one_line

    assert one_line(f"{ch}題{ch}名{ch}") == "題名"
    assert controls.xml_safe(f"a{ch}\n\tb") == "a\n\tb"
