"""Group public profiles and the group directory, through HTTP with a real rq worker and real
Pelican builds: a group opts in, a moderator reviews its text, the site shows what was
approved and only that, and nothing personal ever reaches the built site."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

from actors import (
    decide,
    make_moderator,
    person,
    post_event,
    register_group,
    sign_in,
    sign_out,
)
from conftest import csrf_token, submit
from personal_data import PLAINTEXTS
from sqlalchemy import select

from intake.models import Account, AuditEntry, Decision, Post
from intake.moderation import decisions as post_decisions

MODERATOR = ("mod-tester", "moderator-password-1")
GROUP_PASSWORD = "group-password-123"
REGISTERED_TEXT = "テストのための架空の団体です。"  # actors.group_form's 活動内容
WEBSITE = "https://kawazoi.example.jp/about?lang=ja&x=1"
CONTACT = "事務局（平日10時〜17時）03-0000-0000"
NEW_TEXT = "川沿いの清掃を毎月続けています。\n\n初めての方も歓迎します。"


def _group_id(instance, name: str) -> int:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return db.scalars(select(Account.id).where(Account.public_name == name)).one()


def _approve_waiting(instance, client) -> None:  # type: ignore[no-untyped-def]
    """The moderator approves every waiting registration (through the forms) and post (the
    service: posts are not this test's subject)."""
    instance.worker_burst()
    with instance.rt.sessions() as db:
        accounts = db.scalars(
            select(Account.id).where(
                Account.kind.in_(("group", "individual")),
                Account.status.in_(("received", "pending")),
            )
        ).all()
        posts = db.scalars(select(Post.id).where(Post.status == "pending")).all()
    sign_in(client, *MODERATOR)
    for account_id in accounts:
        decide(client, f"/app/moderation/accounts/{account_id}")
    sign_out(client)
    with instance.rt.sessions() as db:
        moderator = db.scalars(select(Account.id).where(Account.kind == "moderator")).one()
    for post_id in posts:
        post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    instance.worker_burst()


def _profile_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "publish": "y",
        "profile": REGISTERED_TEXT,
        "website": WEBSITE,
        "public_contact": CONTACT,
        "topics": ["environment", "welfare"],
        "areas": ["ochiai-1"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _save_profile(client, login: str, **overrides: object) -> str:  # type: ignore[no-untyped-def]
    sign_in(client, login, GROUP_PASSWORD)
    response = submit(client, "/app/account/profile", _profile_form(**overrides), follow=True)
    sign_out(client)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _page(instance, rel: str) -> str | None:  # type: ignore[no-untyped-def]
    path = instance.settings.live_dir / rel
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _group_page(instance, group: int) -> str | None:  # type: ignore[no-untyped-def]
    return _page(instance, f"groups/{group}/index.html")


def _main(html: str) -> str:
    """The page's main content (the header and footer never name a group)."""
    match = re.search(r"<main\b.*?</main>", html, re.S)
    assert match, "no <main> in the page"
    return match.group(0)


def _built_chunks(root: Path) -> list[tuple[str, bytes]]:
    chunks = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix.startswith(".pf_"):  # Pagefind's index files are gzip-compressed
            data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
        chunks.append((str(path.relative_to(root)), data))
    return chunks


def test_opt_in_review_publish_and_opt_out(instance, client):
    make_moderator(instance)
    register_group(client, 1, "profile-group-1")
    register_group(client, 2, "profile-group-2")
    _approve_waiting(instance, client)
    sign_in(client, "profile-group-1", GROUP_PASSWORD)
    post_event(client)
    sign_out(client)
    _approve_waiting(instance, client)
    one, two = _group_id(instance, "テスト団体1"), _group_id(instance, "テスト団体2")

    # Before opting in, the registration's 活動内容 is not public; the page has name + events.
    page = _group_page(instance, one)
    assert page and "テスト団体1" in page and "川沿いクリーン作戦" in page
    assert REGISTERED_TEXT not in page and "団体の紹介" not in page
    assert _group_page(instance, two) is None  # no events, no profile: no page

    # Opting in publishes the reviewed registration text at once; new website and contact
    # wait for a moderator and are not shown meanwhile.
    saved = _save_profile(client, "profile-group-1")
    assert "運営者が確認してから公開されます" in saved
    assert "確認待ち" in saved
    instance.worker_burst()
    page = _group_page(instance, one)
    assert page and REGISTERED_TEXT in _main(page)
    assert "kawazoi.example.jp" not in page and "事務局（平日" not in page

    # The moderator sees the pending edit from the moderation index and approves it.
    sign_in(client, *MODERATOR)
    index = client.get("/app/moderation").get_data(as_text=True)
    assert "/app/moderation/profiles" in index
    listing = client.get("/app/moderation/profiles").get_data(as_text=True)
    assert "テスト団体1" in listing and f"/app/moderation/profiles/{one}" in listing
    review = client.get(f"/app/moderation/profiles/{one}").get_data(as_text=True)
    assert WEBSITE.replace("&", "&amp;") in review and "事務局（平日10時〜17時）" in review
    decide(client, f"/app/moderation/profiles/{one}")
    sign_out(client)
    instance.worker_burst()

    page = _group_page(instance, one)
    assert page is not None
    main = _main(page)
    href = WEBSITE.replace("&", "&amp;")
    assert f'<a href="{href}" rel="nofollow noopener">{href}</a>' in main
    assert "事務局（平日10時〜17時）03-0000-0000" in main and "公開連絡先" in main
    assert 'href="/groups/topics/environment/"' in main and 'href="/groups/areas/ochiai-1/"' in main
    assert 'data-pagefind-filter="分野">環境</a>' in main
    assert "川沿いクリーン作戦" in main and "data-pagefind-body" in page
    with instance.rt.sessions() as db:
        decision = db.scalars(select(Decision).where(Decision.subject_kind == "profile")).one()
        assert (decision.subject_id, decision.action) == (one, "approve")
        assert json.loads(decision.edits)["website"] == ["", WEBSITE]
        audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "profile_approve")).one()
        assert audited.target_id == one and WEBSITE not in audited.detail
    fragments = [
        json.loads(data[len(b"pagefind_dcd") :])
        for rel, data in _built_chunks(instance.settings.live_dir.resolve())
        if rel.startswith("pagefind/fragment/")
    ]
    indexed = {f["url"]: f for f in fragments}
    assert set(indexed[f"/groups/{one}/"]["filters"]["分野"]) == {"環境", "福祉"}
    assert indexed[f"/groups/{one}/"]["filters"]["地域"] == ["落合第一"]
    with client.get(f"/groups/{one}/") as served:  # the same page through the app's origin
        assert served.status_code == 200 and REGISTERED_TEXT in served.get_data(as_text=True)

    # The directory: by name, by 分野 and by 地域; the sitemap has the new pages.
    directory = _page(instance, "groups/index.html")
    assert directory and 'href="/groups/topics/environment/"' in directory
    assert 'href="/groups/areas/ochiai-1/"' in directory and REGISTERED_TEXT in directory
    for rel in ("groups/topics/environment/index.html", "groups/topics/welfare/index.html",
                "groups/areas/ochiai-1/index.html"):  # fmt: skip
        listed = _page(instance, rel)
        assert listed and f'href="/groups/{one}/"' in listed, rel
    empty = _page(instance, "groups/topics/sports/index.html")
    assert (
        empty and f'href="/groups/{one}/"' not in empty and "該当する団体はまだありません" in empty
    )
    sitemap = _page(instance, "sitemap.xml") or ""
    assert f"/groups/{one}/</loc>" in sitemap and "/groups/topics/environment/</loc>" in sitemap

    # A text edit stays pending (the approved text stays live) until it is decided; rejected,
    # it never shows and the group sees the reason.
    _save_profile(client, "profile-group-1", profile="審査前の新しい紹介文です。")
    instance.worker_burst()
    page = _group_page(instance, one) or ""
    assert "審査前の新しい紹介文" not in page and REGISTERED_TEXT in page
    sign_in(client, *MODERATOR)
    decide(
        client, f"/app/moderation/profiles/{one}", approve=False, reason="表現を見直してください"
    )
    sign_out(client)
    instance.worker_burst()
    assert "審査前の新しい紹介文" not in (_group_page(instance, one) or "")
    sign_in(client, "profile-group-1", GROUP_PASSWORD)
    own = client.get("/app/account/profile").get_data(as_text=True)
    assert "表現を見直してください" in own
    sign_out(client)

    # A group with a profile and no events gets a page; with paragraphs kept.
    _save_profile(client, "profile-group-2", profile=NEW_TEXT, website="", public_contact="")
    sign_in(client, *MODERATOR)
    decide(client, f"/app/moderation/profiles/{two}")
    sign_out(client)
    instance.worker_burst()
    page = _group_page(instance, two)
    assert page and "<p>川沿いの清掃を毎月続けています。</p>" in page
    assert "<p>初めての方も歓迎します。</p>" in page and "ウェブサイト" not in _main(page)

    # Personal data of the groups' persons never reaches the built site.
    values = set(PLAINTEXTS)
    for n in (1, 2):
        for key, value in {**person("representative", n), **person("contact", n + 500)}.items():
            if key.split("-", 1)[1] not in ("postal_code", "fax", "title"):
                values.add(value)
    values |= {"profile-group-1", "profile-group-2", "漏洩検査", "ろうえいけんさ"}
    found = [
        f"{where}: {value}"
        for where, data in _built_chunks(instance.settings.live_dir.resolve())
        for value in values
        if value.encode() in data or json.dumps(value)[1:-1].encode() in data
    ]
    assert found == []

    # Opting out: the profile leaves; the page keeps name and events, or goes without events.
    _save_profile(client, "profile-group-1", publish=None)
    _save_profile(client, "profile-group-2", publish=None, profile=NEW_TEXT, website="",
                  public_contact="")  # fmt: skip
    instance.worker_burst()
    page = _group_page(instance, one)
    assert page and "テスト団体1" in page and "川沿いクリーン作戦" in page
    assert REGISTERED_TEXT not in page and "kawazoi" not in page and "団体の紹介" not in page
    assert _group_page(instance, two) is None
    listed = _page(instance, "groups/topics/environment/index.html") or ""
    assert f'href="/groups/{one}/"' not in listed
    assert "初めての方も歓迎します" not in (_page(instance, "groups/index.html") or "")
    content = json.loads((instance.settings.content_dir / "groups.json").read_text("utf-8"))
    assert content["groups"] == {}


def test_individuals_have_no_profile_and_bad_input_is_kept_with_messages(instance, client):
    make_moderator(instance)
    register_group(client, 3, "profile-group-3")
    individual = {
        **person("person", 4, title=False),
        "public_name": "個人の利用者さん",
        "login": "profile-person-4",
        "password": "person-password-123",
        "password_confirm": "person-password-123",
        "consent": "y",
    }
    assert submit(client, "/app/register", individual).status_code == 302
    _approve_waiting(instance, client)

    sign_in(client, "profile-person-4", "person-password-123")
    account_page = client.get("/app/account").get_data(as_text=True)
    assert "/app/account/profile" not in account_page and "公開プロフィール" not in account_page
    assert client.get("/app/account/profile").status_code == 403
    sign_out(client)

    sign_in(client, "profile-group-3", GROUP_PASSWORD)
    assert "/app/account/profile" in client.get("/app/account").get_data(as_text=True)
    page = client.get("/app/account/profile").get_data(as_text=True)
    assert REGISTERED_TEXT in page  # the form starts from the registered text
    assert "誰でも見られる" in page  # the public contact is labelled as published
    for website, message in (
        ("javascript:alert(1)", "http:// または https://"),
        ("https://exa mple.jp/", "空白や改行"),
        ("ftp://files.example.jp/", "http:// または https://"),
    ):
        response = submit(client, "/app/account/profile", _profile_form(website=website))
        html = response.get_data(as_text=True)
        assert response.status_code == 422, website
        assert message in html and 'aria-invalid="true"' in html
        assert f'value="{website}"' in html  # what was typed is kept
    response = submit(client, "/app/account/profile", _profile_form(profile="", website=""))
    assert response.status_code == 422
    assert "公開するときは活動内容を入力してください" in response.get_data(as_text=True)
    response = submit(
        client, "/app/account/profile", _profile_form(public_contact="一行目\n二行目")
    )
    assert response.status_code == 422 and "1行で" in response.get_data(as_text=True)
    # Saving the same values again changes nothing and says so.
    unchanged = _profile_form(
        publish=None, website="", public_contact="", topics=["welfare"], areas=["yotsuya"]
    )
    response = submit(client, "/app/account/profile", unchanged)
    assert response.status_code == 422 and "変更された項目がありません" in response.get_data(
        as_text=True
    )
    sign_out(client)
    with instance.rt.sessions() as db:
        group = db.scalars(select(Account).where(Account.public_name == "テスト団体3")).one()
        assert (group.profile_public, group.website, group.profile_pending) == (False, "", "")

    # A moderator deciding on a group without a pending edit gets a clear refusal, not a 500.
    sign_in(client, *MODERATOR)
    page = client.get(f"/app/moderation/profiles/{group.id}").get_data(as_text=True)
    assert "確認待ちの変更はありません" in page
    refused = submit(client, f"/app/moderation/profiles/{group.id}", {"action": "approve"})
    assert refused.status_code == 409
    assert client.get("/app/moderation/profiles/999999").status_code == 404
    sign_out(client)


def test_withdrawn_or_disabled_groups_leave_the_directory(instance, client):
    make_moderator(instance)
    register_group(client, 5, "profile-group-5")
    register_group(client, 6, "profile-group-6")
    _approve_waiting(instance, client)
    five, six = _group_id(instance, "テスト団体5"), _group_id(instance, "テスト団体6")
    for login in ("profile-group-5", "profile-group-6"):
        _save_profile(client, login, website="", public_contact="")  # the registered text
    instance.worker_burst()
    for group in (five, six):
        page = _group_page(instance, group)
        assert page and REGISTERED_TEXT in page

    sign_in(client, "profile-group-5", GROUP_PASSWORD)
    response = submit(client, "/app/account/withdraw", {"password": GROUP_PASSWORD, "confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    sign_in(client, *MODERATOR)
    review = client.get(f"/app/moderation/accounts/{six}").get_data(as_text=True)
    response = client.post(
        f"/app/moderation/accounts/{six}/disable",
        data={"reason": "規約違反の確認のため", "csrf_token": csrf_token(review)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    sign_out(client)
    instance.worker_burst()
    assert _group_page(instance, five) is None and _group_page(instance, six) is None
    directory = _page(instance, "groups/index.html") or ""
    assert "テスト団体5" not in directory and "テスト団体6" not in directory
    content = json.loads((instance.settings.content_dir / "groups.json").read_text("utf-8"))
    assert content["groups"] == {}
    with instance.rt.sessions() as db:
        gone = db.get(Account, five)
        assert gone is not None and (gone.profile_public, gone.public_contact) == (False, "")
