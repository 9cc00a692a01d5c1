"""WTForms' own field messages are Japanese on Japanese pages and English on English ones:
every intake form class validated in a request of each language, and every POST route of
test_forms.py submitted empty and with invalid values, as a group and as a moderator."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
import wtforms
from actors import make_moderator, new_post, open_group, sign_in
from babel.messages.pofile import read_po
from test_forms import PLACEHOLDERS, POST_ROUTES, route_url
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

import intake
from intake.mail import CATALOGS
from intake.moderation import decisions as post_decisions
from intake.web.plain_text import FlaskForm

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ERRORS = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S)


def wtforms_catalog() -> list[tuple[str, str | None]]:
    """Return WTForms' own message ids (its .pot) with their plural ids."""
    pot = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
    with pot.open("rb") as handle:
        catalog = read_po(handle)
    found = []
    for message in catalog:
        if not message.id:
            continue
        singular, plural = (message.id, None) if isinstance(message.id, str) else message.id
        found.append((singular, plural))
    return found


def english_stems() -> list[str]:
    """The longest literal part of each WTForms message (what a page would show of it)."""
    stems = []
    for singular, plural in wtforms_catalog():
        for text in (singular, plural):
            if text:
                # The longest run of words between placeholders and quotes.
                stems.append(max(re.split(r"%\(\w+\)\w|%s|'", text), key=len).strip())
    return stems


def ours() -> dict[str, str]:
    with (CATALOGS / "ja" / "LC_MESSAGES" / "wtforms.po").open("rb") as handle:
        catalog = read_po(handle, locale="ja", domain="wtforms")
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): (
            m.string if isinstance(m.string, str) else m.string[0]
        )
        for m in catalog
        if m.id
    }


def test_every_wtforms_message_has_japanese_with_its_placeholders():
    japanese = ours()
    for singular, plural in wtforms_catalog():
        assert japanese.get(singular), f"no Japanese for WTForms' {singular!r}"
        assert JAPANESE.search(japanese[singular]), singular
        wanted = set(re.findall(r"%\(\w+\)\w|%s", plural or singular))
        assert set(re.findall(r"%\(\w+\)\w|%s", japanese[singular])) == wanted, singular


def form_classes() -> list[type[wtforms.Form]]:
    for module in pkgutil.walk_packages(intake.__path__, "intake."):
        if module.name.rsplit(".", 1)[-1] in {"forms", "fields"} or "form" in module.name:
            importlib.import_module(module.name)

    def below(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *below(sub))]

    return sorted(
        {c for c in below(wtforms.Form) if c.__module__.startswith("intake.")},
        key=lambda c: f"{c.__module__}.{c.__name__}",
    )


def messages_of(errors: object) -> list[str]:
    """Every message in a form's errors (sub-forms' dicts and lists included)."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in messages_of(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in messages_of(value)]
    return [str(errors)]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_form_class_speaks_the_request_language(app, lang):
    classes = form_classes()
    assert len(classes) > 40  # the walk found the intake's forms
    seen: list[str] = []
    checked = 0
    with app.test_request_context(f"/app/forms?lang={lang}", method="POST"):
        for cls in classes:
            options = {"meta": {"csrf": False}} if issubclass(cls, FlaskForm) else {}
            names = list(cls(formdata=None, **options)._fields) if _plain(cls) else None
            if names is None:
                continue
            for data in ({}, dict.fromkeys(names, "abc"), dict.fromkeys(names, "")):
                form = cls(formdata=MultiDict(data), **options)
                try:
                    form.validate()
                except (TypeError, AttributeError):
                    continue  # a form whose choices the view sets: checked over HTTP below
                checked += 1
                seen.extend(messages_of(form.errors))
    assert checked > 80 and len(seen) > 100
    for message in seen:
        if lang == "ja":
            assert JAPANESE.search(message), f"English message on a Japanese page: {message!r}"
        else:
            assert not JAPANESE.search(message), f"Japanese message on an English page: {message!r}"
    if lang == "ja":  # the messages WTForms writes itself were reached, in Japanese
        assert "この項目は必須です。" in seen
        assert "半角数字（整数）で入力してください。" in seen
        assert any(m.startswith("「abc」はこの項目の選択肢にありません") for m in seen)


def _plain(cls: type[wtforms.Form]) -> bool:
    """Whether cls can be built without the arguments a view passes."""
    try:
        cls(formdata=None, **({"meta": {"csrf": False}} if issubclass(cls, FlaskForm) else {}))
    except TypeError:
        return False
    return True


def every_field_name() -> set[str]:
    """The names of every field of every intake form, sub-forms' prefixed names included."""
    names: set[str] = set()
    for cls in form_classes():
        for name, unbound in vars(cls).items():
            if isinstance(unbound, UnboundField):
                names.add(name)
                form_class = unbound.args[0] if unbound.field_class is wtforms.FormField else None
                if form_class is not None:
                    sub = {n for n, u in vars(form_class).items() if hasattr(u, "field_class")}
                    names.update(f"{name}-{n}" for n in sub)
    return names


def check_page(html: str, lang: str, url: str) -> int:
    """Assert the page's field messages are in lang; return how many there are."""
    messages = [re.sub(r"<[^>]+>", " ", m) for m in ERRORS.findall(html)]
    for message in messages:
        if lang == "ja":
            assert JAPANESE.search(message), (url, message)
        else:
            assert not JAPANESE.search(message.replace("エラー", "")), (url, message)
    if lang == "ja":
        for stem in english_stems():
            assert stem not in html, (url, stem)
    else:
        for japanese in ours().values():
            assert japanese not in html, (url, japanese)
    return len(messages)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_post_route_answers_in_the_page_language(instance, app, lang):
    moderator, group = open_group(instance)
    post_id = new_post(instance, group, 1, capacity=5)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    make_moderator(instance)
    clients = {"anyone": app.test_client(), "group": app.test_client(), "mod": app.test_client()}
    sign_in(clients["group"], "durable-group", "durable-password-1")
    sign_in(clients["mod"], "mod-tester", "moderator-password-1")
    tokens = {}
    for who, client in clients.items():
        page = client.get("/app/login" if who == "anyone" else "/app/account/password")
        if page.status_code != 200:
            page = client.get("/app/moderation")
        tokens[who] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(True))[1]  # type: ignore[index]
    names = every_field_name()
    assert {"person-name", "party_size", "capacity", "step"} <= names
    shown = answered = 0
    # What ends a session or an account goes last, so the other routes meet signed-in users.
    last = ("/logout", "/disable", "/withdraw")
    for route in sorted(POST_ROUTES, key=lambda r: any(r.endswith(end) for end in last)):
        url = route_url(route, post_id, group)
        assert not any(p in url for p in PLACEHOLDERS)
        for who, client in clients.items():
            for values in ({}, dict.fromkeys(names, "abc"), dict.fromkeys(names, "")):
                data = {**values, "csrf_token": tokens[who]}
                response = client.post(f"{url}?lang={lang}", data=data)
                if response.status_code in (403, 302, 404, 410):
                    continue
                answered += 1
                shown += check_page(response.get_data(as_text=True), lang, f"{who} {url}")
    assert answered > 60 and shown > 150, (answered, shown)
