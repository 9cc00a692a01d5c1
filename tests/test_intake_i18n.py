"""The intake in two languages: Japanese by default, English from a committed gettext catalog.

Every string the intake's templates and Python mark for translation has an English
translation; ?lang=en (that page only) or the language switch (remembered in a cookie)
turns pages, form labels, field messages, flash messages and dates English; the language
switch keeps the page; the .mo is built from the .po without any network.
"""

from __future__ import annotations

import os
import re
from datetime import datetime

from actors import group_form, make_moderator, sign_in, submit

from intake.web import catalog
from intake.web.filters import jadatetime

JAPANESE = re.compile(r"[\u3041-\u30fa\u4e00-\u9fff]")


def test_every_marked_string_has_an_english_translation():
    gaps = catalog.missing("en")
    assert gaps == [], f"{len(gaps)} untranslated (run `make messages`): {gaps[:20]}"


def test_english_placeholders_match_the_japanese_ones():
    """A translation that drops or renames %(name)s would fail at render time."""
    placeholder = re.compile(r"%\(\w+\)[sd]")
    wrong = [
        m.id
        for m in catalog.read_catalog("en")
        if m.id
        and m.string
        and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))
    ]
    assert wrong == []


def test_taxonomy_labels_say_what_the_public_sites_english_pages_say():
    stored = catalog.read_catalog("en")
    english = catalog.taxonomy_english()
    assert english["福祉"] == "Welfare"  # the taxonomy's *_EN maps are there
    assert {ja: stored.get(ja).string for ja in english} == english


def test_a_stale_catalog_is_compiled_at_start(tmp_path):
    source = catalog.po_path("en")
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_bytes(source.read_bytes())
    assert catalog.compile_stale(tmp_path) == [folder / "messages.mo"]
    assert catalog.compile_stale(tmp_path) == []  # up to date: nothing to do
    os.utime(folder / "messages.po", (2e9, 2e9))  # the .po edited after the .mo
    assert catalog.compile_stale(tmp_path) == [folder / "messages.mo"]


def test_japanese_is_the_default_and_the_switch_is_remembered(client):
    page = client.get("/app/register").get_data(as_text=True)
    assert '<html lang="ja">' in page and "個人で登録" in page
    assert 'href="/app/register?set_lang=en" lang="en" hreflang="en">English</a>' in page
    asked = client.get("/app/register?lang=en")
    assert '<html lang="en">' in asked.get_data(as_text=True)
    assert "Set-Cookie" not in asked.headers  # a link's language is that page's only
    response = client.get("/app/register?set_lang=en")
    english = response.get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Register as an individual" in english and "Postcode" in english
    assert 'href="/app/register?set_lang=ja" lang="ja" hreflang="ja">日本語</a>' in english
    assert "lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/app/login").get_data(as_text=True)
    assert '<html lang="ja">' in client.get("/app/login?lang=ja").get_data(as_text=True)
    # a language the intake does not have is ignored: the reader's own choice stands
    assert '<html lang="en">' in client.get("/app/login?lang=xx").get_data(as_text=True)
    assert '<html lang="ja">' in client.get("/app/login?set_lang=ja&lang=xx").get_data(as_text=True)


def test_the_switch_keeps_the_query(client):
    page = client.get("/app/register/group?lang=en&x=%E3%81%82").get_data(as_text=True)
    assert 'href="/app/register/group?x=%E3%81%82&amp;set_lang=ja"' in page


def test_english_form_errors_keep_input(instance, client):
    data = {
        **group_form(1, "english-group"),
        "representative-postal_code": "16000",
        "representative-phone": "03-12",
        "contact-kana": "Kana",
        "login": "ab",
    }
    client.get("/app/register/group?set_lang=en")
    response = submit(client, "/app/register/group", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "Please check your entries",
        "Enter the postcode as 7 digits",
        "Phone number: enter a 10 or 11 digit number starting with 0",
        "Enter the furigana (reading) in hiragana or katakana.",
        "The login ID must be 4 to 32 characters",
        "Error:",
    ):
        assert message in html, message
    assert 'value="16000"' in html and 'value="03-12"' in html
    # Japanese appears only in what the user typed, never in the page's own text.
    typed = {str(v) for v in data.values()}
    text = re.sub(r"<[^>]+>", "\n", html).replace(instance.settings.site_name, "")
    leftovers = [
        line.strip()
        for line in text.splitlines()
        if JAPANESE.search(line) and line.strip() not in typed and "日本語" not in line
    ]
    assert leftovers == [], leftovers


def test_english_flash_messages_and_taxonomy(instance, client):
    sign_in(client, *make_moderator(instance))
    client.get("/app/moderation?set_lang=en")
    page = client.get("/app/moderation/paper/group").get_data(as_text=True)
    assert "Welfare" in page and "Yotsuya" in page and "Enter a paper registration (group)" in page
    response = submit(client, "/app/moderation/paper/group", group_form(2, "paper-group-en"))
    html = response.get_data(as_text=True)
    assert "Paper registration entered" in html and "Initial password" in html


def test_dates_in_english_and_japanese():
    moment = datetime(2026, 12, 5, 14, 0)
    assert jadatetime(moment, "ja") == "2026年12月5日(土) 14:00"
    assert jadatetime(moment, "en") == "Sat 5 December 2026, 14:00"
    assert jadatetime(datetime(2026, 12, 5), "en") == "Sat 5 December 2026"
    assert jadatetime(moment) == "2026年12月5日(土) 14:00"  # outside a request: Japanese


def test_a_checkout_compiles_into_the_cache_and_never_into_its_code(tmp_path):
    source = tmp_path / "code"
    folder = source / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_bytes(catalog.po_path("en").read_bytes())
    cache = tmp_path / "cache"
    assert catalog.compiled_directory(cache, source) == cache
    assert (cache / "en" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000
    assert sorted(p.name for p in folder.iterdir()) == ["messages.po"]


def test_a_wheel_reads_the_catalog_compiled_when_it_was_built(tmp_path):
    """A wheel holds the .mo and no .po (setup.py): its folder is used as it is."""
    source = tmp_path / "installed"
    folder = source / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.mo").write_bytes(b"compiled at build time")
    cache = tmp_path / "cache"
    assert catalog.compiled_directory(cache, source) == source
    assert not cache.exists()
