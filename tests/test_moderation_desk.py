"""The moderator's desk through HTTP with CSRF: the decision comes first with nothing chosen
(a form sent without a choice decides nothing, says so and keeps what was typed), 承認する
approves as submitted, 修正して承認する with the edits, 差し戻す needs a reason; the post is
shown as the site renders it (the same Markdown settings and sanitiser: the preview's body
is the published page's body, hostile text escaped); an edit of a live post shows what
changed; and no moderation page, in Japanese or English, shows a stored status code."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

from accounts_support import approver
from actors import EVENT
from conftest import submit
from moderation_support import live_page, new_post, people, review
from sqlalchemy import func, select

from intake.accounts import changes
from intake.accounts.models import AccountStatus, ChangeRequestStatus
from intake.accounts.services import PersonData, Registration, register
from intake.accounts.signin import disable_account
from intake.applications.models import ApplicationStatus
from intake.inquiries import services as inquiries
from intake.inquiries.models import InquiryStatus
from intake.models import Decision, Post
from intake.moderation import decisions as post_decisions
from intake.moderation import services as moderation
from intake.posts.edits import edit_post
from intake.posts.models import PostStatus, RevisionStatus
from intake.posts.services import PostData
from intake.site.takedown import take_down

HOSTILE_TITLE = '<script>alert("desk")</script>題名'
HOSTILE_BODY = (
    "## 集合場所\n\n軍手を**貸し出します**。\n\n"
    '<img src=x onerror="alert(1)">\n\n'
    "[リンク](javascript:alert(2)) と [区のページ](https://www.city.example.jp/)\n\n"
    "| 時間 | 内容 |\n|---|---|\n| 10:00 | 集合 |\n"
)


def _section(html: str, marker: str) -> str:
    """Return the element opened by the tag that holds marker, up to its matching end."""
    start = html.index(marker)
    start = html.rindex("<", 0, start)
    tag = re.match(r"<(\w+)", html[start:])
    assert tag
    name, depth = tag.group(1), 0
    for found in re.finditer(rf"<(/?){name}\b[^>]*>", html[start:]):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return html[start : start + found.end()]
    raise AssertionError(f"no end of <{name}> after {marker}")


def _body_of(html: str) -> str:
    """The post's body: the inner HTML of the article's div.body, whitespace normalised."""
    article = _section(html, 'class="post-page')
    body = _section(article, 'class="body"')
    inner = body[body.index(">") + 1 : body.rindex("</div>")]
    return " ".join(inner.split())


def _decisions(instance) -> int:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Decision)) or 0)


def _post(instance, post_id: int) -> Post:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        post = db.get(Post, post_id)
        assert post is not None
        db.expunge(post)
        return post


def test_the_decision_comes_first_and_nothing_is_chosen(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()  # ingest
    path = f"/app/moderation/posts/{post_id}"
    page = who.moderator.get(path).get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="action"[^>]*>', page)
    assert sorted(re.search(r'value="(\w+)"', r).group(1) for r in radios) == [  # type: ignore[union-attr]
        "approve",
        "approve_edited",
        "reject",
    ]
    assert not any("checked" in r for r in radios), radios
    # First the decision, then the post as it will appear, then (for an edit) what changed.
    assert page.index('class="decision') < page.index('id="appearance"')
    assert page.index('<details class="desk-edit"') < page.index('id="appearance"')
    assert '<details class="desk-edit" open' not in page  # the fields wait to be opened

    before = _decisions(instance)
    sent = review(who.moderator, path, title="直しかけの題名", fee="無料（軍手つき）")
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert "承認する・修正して承認する・差し戻すのどれかを選んでください。" in html
    assert 'aria-invalid="true"' in _section(html, 'class="decision')
    # What the moderator typed stays, in the fields opened again.
    assert 'value="直しかけの題名"' in html and "無料（軍手つき）" in html
    assert '<details class="desk-edit" open' in html
    assert _decisions(instance) == before
    assert _post(instance, post_id).status == PostStatus.PENDING


def test_approve_publishes_the_post_as_submitted(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()
    path = f"/app/moderation/posts/{post_id}"
    # 承認する takes the post as the poster sent it, whatever the closed fields hold.
    approved = review(who.moderator, path, action="approve", title="見ずに変わった題名")
    assert approved.status_code == 302, approved.get_data(as_text=True)[:3000]
    post = _post(instance, post_id)
    assert post.status == PostStatus.APPROVED and post.title == EVENT["title"]
    instance.worker_burst()  # publish and build
    assert EVENT["title"] in live_page(instance, post_id).read_text(encoding="utf-8")


def test_approve_with_edits_publishes_the_edited_post(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()
    path = f"/app/moderation/posts/{post_id}"
    broken = review(who.moderator, path, action="approve_edited", title="")
    assert broken.status_code == 422 and "この項目は必須です" in broken.get_data(as_text=True)
    assert _post(instance, post_id).status == PostStatus.PENDING
    edited = review(who.moderator, path, action="approve_edited", title="川沿いクリーン大作戦")
    assert edited.status_code == 302, edited.get_data(as_text=True)[:3000]
    post = _post(instance, post_id)
    assert post.status == PostStatus.APPROVED and post.title == "川沿いクリーン大作戦"


def test_refuse_needs_a_reason_and_then_rejects(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()
    path = f"/app/moderation/posts/{post_id}"
    empty = review(who.moderator, path, action="reject")
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "理由のひな形を選ぶか理由を入力してください" in html
    assert re.search(r'<input[^>]*checked[^>]*value="reject"|value="reject"[^>]*checked', html)
    assert _post(instance, post_id).status == PostStatus.PENDING
    refused = review(who.moderator, path, action="reject", reason="日時を確認してください。")
    assert refused.status_code == 302, refused.get_data(as_text=True)[:3000]
    assert _post(instance, post_id).status == PostStatus.REJECTED


def test_the_preview_is_the_post_as_the_site_renders_it(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who, title=HOSTILE_TITLE, body=HOSTILE_BODY, fee='"><b>無料</b>')
    instance.worker_burst()
    path = f"/app/moderation/posts/{post_id}"
    page = who.moderator.get(path).get_data(as_text=True)
    preview = _section(page, 'class="post-page post-preview"')
    # Markdown rendered as the site renders it...
    assert "<h2>集合場所</h2>" in preview and "<strong>貸し出します</strong>" in preview
    assert "<table>" in preview
    # ...and hostile text escaped or cleaned away, as on the site.
    assert "&lt;script&gt;alert(&#34;desk&#34;)&lt;/script&gt;題名" in preview
    assert "<script" not in preview and "onerror" not in preview and "javascript:" not in preview
    assert "&#34;&gt;&lt;b&gt;無料&lt;/b&gt;" in preview and "<b>" not in preview
    approved = review(who.moderator, path, action="approve")
    assert approved.status_code == 302, approved.get_data(as_text=True)[:3000]
    instance.worker_burst()  # publish and build
    published = live_page(instance, post_id).read_text(encoding="utf-8")
    # The body the desk showed is the body the public page shows.
    assert _body_of(preview) == _body_of(published)


def _facts(html: str) -> str:
    """The facts block of a post's page (the theme's _facts.html), whitespace normalised."""
    return " ".join(_section(html, 'class="details"').split())


DATE_NOTE = {"ja": "承認した日の日付", "en": "the day it is approved"}


def _own_parts(html: str) -> list[str]:
    """The title, the lead and the apply button of a post's page (theme/_post.html), each
    whitespace normalised; the apply button up to its link or non-link."""
    article = _section(html, 'class="post-page')
    button = _section(article, 'class="apply"')
    words = re.search(r'<(?:a|span) class="button"[^>]*>(.*?</span></span>)', button)
    assert words is not None, button
    heading = re.search(r"<h1\b.*?</h1>", article, re.S)
    assert heading is not None, article
    parts = [heading.group(0), _section(article, 'class="lead"'), words.group(1)]
    return [" ".join(part.split()) for part in parts]


def _previewed_then_built(instance, who, post_id):  # type: ignore[no-untyped-def]
    """Return the desk's review page of the waiting post in each language, then approve it,
    publish, and return the built page's path in each language."""
    instance.worker_burst()
    path = f"/app/moderation/posts/{post_id}"
    shown = {
        lang: who.moderator.get(f"{path}?lang={lang}").get_data(as_text=True)
        for lang in ("ja", "en")
    }
    approved = review(who.moderator, path, action="approve")
    assert approved.status_code == 302, approved.get_data(as_text=True)[:3000]
    instance.worker_burst()  # publish and build
    built = {
        "ja": live_page(instance, post_id),
        "en": instance.settings.live_dir / "en" / "events" / str(post_id) / "index.html",
    }
    return shown, built


def test_the_preview_title_lead_and_button_are_the_built_pages(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who, title=HOSTILE_TITLE)
    shown, built = _previewed_then_built(instance, who, post_id)
    for lang, page in built.items():
        published = _own_parts(page.read_text(encoding="utf-8"))
        preview = _own_parts(shown[lang])
        # The theme's macros: the same title, lead and button words (users' text lang="ja"
        # on the English desk as on the English page); only the link differs.
        assert preview == published, lang
        assert "&lt;script&gt;" in preview[0] and "<script" not in preview[0]
        assert ('lang="ja"' in preview[0]) == (lang == "en")
    ja_button = _section(_section(shown["ja"], 'class="post-page post-preview"'), 'class="apply"')
    assert '<span class="button" aria-disabled="true">' in ja_button and "<a " not in ja_button


# A post that fills every fact the page shows: a repeat, both ways to attend, 対象.
FULL_FACTS = {
    "recurrence": "weekly",
    "repeat_until": "",
    "attendance": "hybrid",
    "online_details": "Zoom（URL は申込後にお知らせします）",
    "audience": "families",
}


def test_the_preview_facts_are_the_built_page_facts(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    starts = datetime.fromisoformat(EVENT["starts_at"])
    FULL_FACTS["repeat_until"] = (starts + timedelta(days=14)).date().isoformat()
    post_id = new_post(who, **FULL_FACTS)
    shown, built = _previewed_then_built(instance, who, post_id)
    for lang, page in built.items():
        published = _facts(page.read_text(encoding="utf-8"))
        preview = _facts(_section(shown[lang], 'class="post-page post-preview"'))
        # 掲載日 is the day of approval (today), and the desk says so beside it.
        note = re.search(r' <span class="date-note">[^<]+</span>', preview)
        assert note is not None, lang
        assert note.group(0).count(DATE_NOTE[lang]) == 1, note.group(0)
        # The one macro, the same metadata: the desk's facts are the page's, link for link.
        assert preview.replace(note.group(0), "") == published, lang
        assert "落合第一地域センター" in preview and "Zoom" in preview
    assert "開催日" in _facts(shown["ja"]) and "Dates" in _facts(shown["en"])


def test_a_failed_edit_previews_the_edited_version(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()
    path = f"/app/moderation/posts/{post_id}"
    # The title is required: the edit fails, and the preview shows what the moderator sent.
    sent = review(
        who.moderator,
        path,
        action="approve_edited",
        title="",
        fee="500円（資料代）",
        place_name="区役所 第1会議室",
    )
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422 and "この項目は必須です" in html
    preview = _section(html, 'class="post-page post-preview"')
    assert "500円（資料代）" in preview and "区役所 第1会議室" in preview
    assert EVENT["fee"] not in _facts(preview) and EVENT["place_name"] not in preview
    assert _post(instance, post_id).fee == EVENT["fee"]  # nothing stored


def test_an_edit_shows_its_values_in_the_page_language(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()
    assert (
        review(who.moderator, f"/app/moderation/posts/{post_id}", action="approve").status_code
        == 302
    )
    live = _post(instance, post_id)
    edit = PostData(
        kind="event",
        title=live.title,
        summary=live.summary,
        body=live.body,
        starts_at=live.starts_at,
        ends_at=live.ends_at,
        place_name=live.place_name,
        place_address=live.place_address,
        fee="",  # removed: （なし） / (none)
        accepts_applications=False,  # はい → いいえ / Yes → No
        topic="welfare",
    )
    revision = edit_post(instance.rt, who.poster_id, post_id, edit).revision_id
    path = f"/app/moderation/revisions/{revision}"
    japanese = who.moderator.get(f"{path}?lang=ja").get_data(as_text=True)
    changed = japanese[japanese.index('id="changes"') :]
    assert "（なし）" in changed and "いいえ" in changed and "福祉" in changed
    english = who.moderator.get(f"{path}?lang=en").get_data(as_text=True)
    changed = english[english.index('id="changes"') :]
    assert "(none)" in changed and ">No<" in changed and ">Yes<" in changed
    assert "Welfare" in changed
    for word in ("（なし）", "はい", "いいえ", "福祉", "環境"):
        assert word not in changed, word


def test_an_edit_of_a_live_post_shows_what_changed(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()
    assert (
        review(who.moderator, f"/app/moderation/posts/{post_id}", action="approve").status_code
        == 302
    )
    instance.worker_burst()
    live = _post(instance, post_id)
    edit = PostData(
        kind="event",
        title=live.title,
        summary=live.summary,
        body=live.body,
        starts_at=live.starts_at,
        ends_at=live.ends_at,
        place_name="区民センター 第2会議室",
        place_address=live.place_address,
        fee="100円",
    )
    revision = edit_post(instance.rt, who.poster_id, post_id, edit).revision_id
    assert revision is not None
    path = f"/app/moderation/revisions/{revision}"
    page = who.moderator.get(path).get_data(as_text=True)
    changed = page[page.index('id="changes"') :]
    assert "参加費" in changed and "100円" in changed and "<del>" in changed
    assert "会場名" in changed and "区民センター 第2会議室" in changed
    assert "タイトル" not in _section(changed, 'class="change"')  # unchanged fields are not listed
    # The preview shows the post as it will be after the edit.
    preview = _section(page, 'class="post-page post-preview"')
    assert "区民センター 第2会議室" in preview and "100円" in preview
    order = [page.index(m) for m in ('class="decision', 'id="appearance"', 'id="changes"')]
    assert order == sorted(order)
    english = who.moderator.get(f"{path}?lang=en").get_data(as_text=True)
    assert 'id="changes"' in english and "100円" in english


class _Text(HTMLParser):
    """The text of each element that holds nothing but text, as a list."""

    def __init__(self) -> None:
        super().__init__()
        self.leaves: list[str] = []
        self._buffer: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:  # type: ignore[no-untyped-def]
        self._flush()
        if tag in ("script", "style", "option"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag in ("script", "style", "option") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = "".join(self._buffer).strip()
        if text:
            self.leaves.append(text)
        self._buffer = []


STATUS_CODES = {
    *(s.value for s in AccountStatus),
    *(s.value for s in ChangeRequestStatus),
    *(s.value for s in PostStatus),
    *(s.value for s in RevisionStatus),
    *(s.value for s in InquiryStatus),
    *(s.value for s in ApplicationStatus),
    "new",
    "resubmitted",
    "edit",
}


def _raw_codes(html: str) -> list[str]:
    """Stored codes shown as a whole piece of text (a cell, a term, a label)."""
    parser = _Text()
    parser.feed(html)
    return [t for t in parser.leaves if t.strip("（）()・:：") in STATUS_CODES]


def test_no_moderation_page_shows_a_status_code(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    rt = instance.rt
    moderator_id = approver(instance)
    pending = new_post(who)
    live = new_post(who, title="公開中の行事")
    instance.worker_burst()
    post_decisions.approve(rt, moderator_id, post_decisions.Subject("post", live))
    down = new_post(who, title="非公開にした行事")
    instance.worker_burst()
    post_decisions.approve(rt, moderator_id, post_decisions.Subject("post", down))
    take_down(rt, moderator_id, down, "確認のため")
    refused = new_post(who, title="差し戻した行事")
    instance.worker_burst()
    post_decisions.reject(rt, moderator_id, post_decisions.Subject("post", refused), "日時")
    edit = PostData(kind="event", title="公開中の行事（改）", summary="変えました。")
    edit.starts_at = datetime.now() + timedelta(days=20)
    edit.place_name = "区民センター"
    revision = edit_post(rt, who.poster_id, live, edit).revision_id
    waiting = register(
        rt,
        Registration(
            kind="individual",
            login="desk-pending",
            password="desk-pending-password",
            public_name="審査待ちの人",
            persons={"self": PersonData(name="審査 待子", kana="しんさ まちこ")},
        ),
    )
    instance.worker_burst()  # the registration reaches the queue (pending)
    stopped = register(
        rt,
        Registration(
            kind="individual",
            login="desk-stopped",
            password="desk-stopped-password",
            public_name="利用停止中の人",
            persons={"self": PersonData(name="停止 花子", kana="ていし はなこ")},
        ),
    )
    moderation.decide_account(rt, moderator_id, stopped, approve=True)
    disable_account(rt, moderator_id, stopped, "確認のため")
    request_id = changes.propose(rt, who.poster_id, "contact", PersonData(name="変更 一郎"))
    asked = inquiries.InquiryData("other", "質問です。", "検査 問合", "q@example.test", "")
    inquiry = inquiries.submit(rt, asked)
    paths = [
        "/app/moderation",
        f"/app/moderation/posts/{pending}",
        f"/app/moderation/posts/{live}",
        f"/app/moderation/posts/{refused}",
        f"/app/moderation/revisions/{revision}",
        f"/app/moderation/accounts/{waiting}",
        f"/app/moderation/accounts/{stopped}",
        f"/app/moderation/accounts/{who.poster_id}",
        f"/app/moderation/changes/{request_id}",
        "/app/moderation/inquiries",
        f"/app/moderation/inquiries/{inquiry}",
        "/app/moderation/live",
        f"/app/moderation/live/{live}",
        f"/app/moderation/live/{down}",
        "/app/moderation/profiles",
        "/app/moderation/status",
        "/app/moderation/stale",
        "/app/moderation/on-behalf",
    ]
    for status in InquiryStatus:
        paths.append(f"/app/moderation/inquiries?status={status.value}")
    found = who.moderator.post(
        "/app/moderation/accounts",
        data={"csrf_token": _token(who.moderator), "query": "desk-"},
    )
    assert found.status_code == 200
    problems = {"account search": _raw_codes(found.get_data(as_text=True))}
    for path in paths:
        for lang in ("ja", "en"):
            url = f"{path}{'&' if '?' in path else '?'}lang={lang}"
            response = who.moderator.get(url)
            assert response.status_code == 200, (url, response.status_code)
            problems[url] = _raw_codes(response.get_data(as_text=True))
    assert {k: v for k, v in problems.items() if v} == {}
    assert _post(instance, pending).status == PostStatus.PENDING  # looking changes nothing


def _token(client) -> str:  # type: ignore[no-untyped-def]
    from conftest import csrf_token

    return csrf_token(client.get("/app/moderation/accounts").get_data(as_text=True))


def test_a_moderator_sending_the_desk_twice_decides_once(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    post_id = new_post(who)
    instance.worker_burst()
    path = f"/app/moderation/posts/{post_id}"
    page = who.moderator.get(path).get_data(as_text=True)
    from conftest import csrf_token

    data = {**EVENT, "action": "approve", "reason_template": "0", "csrf_token": csrf_token(page)}
    data["seen"] = re.search(r'name="seen" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert who.moderator.post(path, data=data).status_code == 302
    again = who.moderator.post(path, data=data)
    assert again.status_code == 200 and "すでに判断済み" in again.get_data(as_text=True)


def test_a_registration_sent_without_a_choice_is_not_decided(instance):  # type: ignore[no-untyped-def]
    who = people(instance)
    waiting = register(
        instance.rt,
        Registration(
            kind="individual",
            login="desk-undecided",
            password="desk-undecided-password",
            public_name="まだ決めていない人",
            persons={"self": PersonData(name="未定 花子", kana="みてい はなこ")},
        ),
    )
    instance.worker_burst()  # the registration reaches the queue
    path = f"/app/moderation/accounts/{waiting}"
    page = who.moderator.get(path).get_data(as_text=True)
    first = re.search(r'<select[^>]*name="action"[^>]*>\s*<option([^>]*)>', page)
    assert first and 'value=""' in first.group(1), "the first option chooses nothing"
    sent = submit(who.moderator, path, {"reason": "書きかけの理由"})
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422 and "書きかけの理由" in html
    assert 'aria-invalid="true"' in html
    with instance.rt.sessions() as db:
        from intake.models import Account

        account = db.get(Account, waiting)
        assert account is not None and account.status == AccountStatus.PENDING
