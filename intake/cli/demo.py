"""Fictional demo data in Japanese: groups, a moderator, approved events, and work waiting for
the moderator (two posts, a registration, a change request and an inquiry).

Every person here is invented ("見本" means "sample"); phone numbers use the unassigned
03-0000 block and emails the reserved example.jp domain.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from .. import jobs, outbox
from ..accounts import changes
from ..accounts.models import AccountStatus
from ..accounts.second_factor import Enrolment, enrol_account
from ..accounts.services import (
    PersonData,
    Registration,
    create_staff,
    person_from,
    register,
)
from ..inquiries import services as inquiries
from ..models import Account, Post, utcnow
from ..moderation import reasons as reason_templates
from ..posts import recurrence
from ..posts.models import PostStatus
from ..posts.services import PostData, submit_post
from ..runtime import Runtime
from ..store import transaction
from ..taxonomy import TOPICS
from .language import _
from .users import enrolment_text

DEMO_MODERATOR = ("demo-moderator", "demo-moderator-password")

GROUPS = [
    (
        "見本こども食堂ネット",
        "childcare",
        "ushigome",
        "地域の子どもたちに温かい食事と居場所を届けています。",
    ),
    ("サンプル環境クラブ", "environment", "ochiai-1", "川沿いの清掃と生き物観察を続けています。"),
    (
        "例示まちづくり協議会",
        "community",
        "yotsuya",
        "商店街と住民で、歩いて楽しい街をつくります。",
    ),
    (
        "架空国際交流サロン",
        "international",
        "okubo",
        "多文化の住民同士が気軽に話せる場を開いています。",
    ),
    ("見本ふれあい体操の会", "health", "totsuka", "シニア向けの体操とウォーキングの会です。"),
    (
        "サンプル防災ボランティア",
        "disaster",
        "wakamatsu",
        "防災訓練と避難所運営の学習会を行っています。",
    ),
    ("例示合唱団", "culture", "kashiwagi", "年齢を問わず歌を楽しむ合唱団です。"),
    (
        "架空ジュニアサッカー",
        "sports",
        "ochiai-2",
        "小学生のサッカーチーム。保護者も一緒に活動します。",
    ),
    ("見本福祉サポート", "welfare", "tsunohazu", "高齢者の見守りと買い物支援をしています。"),
    ("サンプル読書会", "learning", "wardwide", "月に一度、テーマを決めて本を語り合います。"),
    ("例示子育てひろば", "childcare", "yotsuya", "乳幼児と保護者の交流の場を運営しています。"),
    ("架空文化財を守る会", "culture", "ushigome", "地域の歴史と文化財を学び伝える会です。"),
]

EVENT_TITLES = [
    ("体験会", "はじめての方も歓迎します。"),
    ("説明会", "活動の内容と参加方法をご説明します。"),
    ("交流会", "お茶を飲みながら気軽に話しましょう。"),
    ("講座", "専門の講師を招いた講座です。"),
]

PLACES = [
    ("四谷地域センター 集会室", "東京都新宿区内藤町87"),
    ("牛込箪笥地域センター 会議室", "東京都新宿区箪笥町15"),
    ("大久保地域センター 多目的室", "東京都新宿区大久保2-12-7"),
    ("戸塚地域センター ホール", "東京都新宿区高田馬場2-18-1"),
]


def _sample_person(rt: Runtime, n: int, role: str) -> PersonData:
    """Return a fictional group person with only the fields this deployment collects."""
    sample = PersonData(
        name=f"見本 {role}{n}",
        kana="みほん たろう",
        postal_code="160-0000",
        address=f"東京都新宿区見本町{n}-{n}",
        phone=f"030000{n:04d}",
        email=f"sample{n}-{role}@example.jp",
        title="代表" if role == "r" else "担当",
    )
    return person_from(vars(sample), "group", rt.settings.deployment.personal_fields)


def load_demo(
    rt: Runtime,
    progress: Callable[[str], None] = print,
    today: date | None = None,
    enrolled: Callable[[Enrolment], None] | None = None,
) -> str:
    """Create the demo data once (a second run changes nothing) and owe its publication.

    The moderator's second factor goes to enrolled when given (`hiroba up` shows it in its
    closing block), else to progress.
    """
    with rt.sessions() as session:
        if session.scalar(select(func.count()).select_from(Post)):
            return _("デモデータはすでにあります")
    login, password = DEMO_MODERATOR
    moderator_id = create_staff(rt, "moderator", login, password, "見本 運営担当")
    progress(_("審査担当者: %(login)s / %(password)s") % {"login": login, "password": password})
    enrolment = enrol_account(rt, moderator_id)
    if enrolled is None:
        progress(enrolment_text(enrolment))
    else:
        enrolled(enrolment)
    group_ids = []
    for n, (name, topic, area, profile) in enumerate(GROUPS, start=1):
        group_ids.append(
            register(
                rt,
                Registration(
                    kind="group",
                    login=f"demo-group-{n:02d}",
                    password=f"demo-group-{n:02d}-password",
                    public_name=name,
                    profile=profile,
                    topics=[topic],
                    areas=[area],
                    persons={
                        "representative": _sample_person(rt, n, "r"),
                        "contact": _sample_person(rt, n, "c"),
                    },
                ),
            )
        )
    progress(
        _("団体 %(count)s（ログイン demo-group-01 〜 パスワード demo-group-01-password）")
        % {"count": len(group_ids)}
    )
    start = today or date.today()
    posts = []
    with transaction(rt.sessions) as session:
        for account in session.scalars(select(Account).where(Account.id.in_(group_ids))):
            account.status = AccountStatus.ACTIVE
            account.decided_at = utcnow()
            # Most demo groups publish their profile page (公開プロフィール); a few do not.
            account.profile_public = account.id in group_ids[:9]
            if account.id in group_ids[:3]:
                account.public_contact = f"{account.public_name} 事務局（平日10時〜17時）"
        kinds = itertools.cycle(["event", "event", "recruitment"])
        for i in range(36):
            n = i % len(GROUPS)
            name, topic, area, _profile = GROUPS[n]
            suffix, summary = EVENT_TITLES[i % len(EVENT_TITLES)]
            place, address = PLACES[i % len(PLACES)]
            day = start + timedelta(days=3 + i * 2)
            starts = datetime.combine(day, datetime.min.time()) + timedelta(hours=10 + i % 6)
            kind = next(kinds)
            posts.append(
                Post(
                    account_id=group_ids[n],
                    kind=kind,
                    status=PostStatus.APPROVED,
                    title=f"{name} {suffix}",
                    summary=f"{TOPICS[topic]}の活動: {summary}",
                    body=f"## 内容\n\n{summary}\n\n- 持ち物: 筆記用具",  # 対象: the audience field
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    place_name=place,
                    place_address=address,
                    topic=topic,
                    area=area,
                    fee="無料" if i % 3 else "500円（資料代）",
                    capacity=20 + (i % 4) * 10,
                    accepts_applications=kind == "event",
                    contact_public=f"{name} 事務局",
                    approved_at=utcnow(),
                    **_posting_fields(i, kind, starts),
                )
            )
        posts.append(
            Post(
                account_id=group_ids[0],
                kind="notice",
                status=PostStatus.APPROVED,
                title="年末年始の活動休止のお知らせ",
                summary="12月29日から1月3日まで活動を休みます。",
                body="ご不便をおかけします。",
                topic="childcare",
                area="ushigome",
                approved_at=utcnow(),
            )
        )
        session.add_all(posts)
        session.flush()
        reason_templates.ensure_defaults(session)  # the moderators' rejection reasons
        tasks = [outbox.add_task(session, jobs.PUBLISH_POST, p.id) for p in posts]
        tasks.append(outbox.add_task(session, jobs.PUBLISH_PROFILES, group_ids[0]))
    outbox.enqueue_tasks(rt.queue, tasks)
    progress(_("承認済みの投稿 %(count)s 件。公開を予約しました") % {"count": len(posts)})
    _leave_waiting_work(rt, group_ids, start)
    progress(_("審査待ち: 投稿 2 件、登録 1 件、変更申請 1 件、お問い合わせ 1 件"))
    return _("デモの準備ができました: 団体 %(groups)s、投稿 %(posts)s 件") % {
        "groups": len(group_ids),
        "posts": len(posts),
    }


DEMO_RESIDENT = ("demo-resident", "demo-resident-password")


def _leave_waiting_work(rt: Runtime, group_ids: list[int], start: date) -> None:
    """Leave fictional work in the moderation queues, so a newcomer can try moderating."""
    starts = datetime.combine(start + timedelta(days=10), time(9, 0))
    waiting_posts = [
        (
            group_ids[1],
            PostData(
                kind="event",
                title="サンプル環境クラブ 川辺の生き物観察会",
                summary="神田川の岸辺で、季節の生き物を観察します。",
                body="## 内容\n\n水辺の生き物を観察し、記録します。\n\n- 持ち物: 飲み物、帽子",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                place_name=PLACES[3][0],
                place_address=PLACES[3][1],
                topic="environment",
                area="ochiai-1",
                fee="無料",
                capacity=15,
                accepts_applications=True,
                contact_public="サンプル環境クラブ 事務局",
                audience="families,children",
            ),
        ),
        (
            group_ids[4],
            PostData(
                kind="recruitment",
                title="見本ふれあい体操の会 ボランティア募集",
                summary="体操の会の受付と準備を手伝ってくださる方を募集します。",
                body="月に2回、午前中の2時間ほどです。経験は問いません。",
                starts_at=starts + timedelta(days=4),
                ends_at=starts + timedelta(days=4, hours=2),
                place_name=PLACES[2][0],
                place_address=PLACES[2][1],
                topic="health",
                area="totsuka",
                contact_public="見本ふれあい体操の会 事務局",
                audience="everyone",
            ),
        ),
    ]
    for account_id, data in waiting_posts:
        submit_post(rt, account_id, data)
    personal = rt.settings.deployment.personal_fields
    resident = PersonData(
        name="見本 花子",
        kana="みほん はなこ",
        postal_code="160-0000",
        address="東京都新宿区見本町99-9",
        phone="0300009999",
        email="resident@example.jp",
        occupation="会社員",
    )
    login, password = DEMO_RESIDENT
    register(
        rt,
        Registration(
            kind="individual",
            login=login,
            password=password,
            public_name="みほん花子",
            persons={"self": person_from(vars(resident), "individual", personal)},
        ),
    )
    new_contact = replace(
        _sample_person(rt, 3, "c"), name="見本 新担当", phone="0300008888", email="new@example.jp"
    )
    changes.propose(rt, group_ids[2], "contact", new_contact)
    inquiries.submit(
        rt,
        inquiries.InquiryData(
            category="posting",
            message="イベントの写真は何枚まで載せられますか。",
            name="見本 問合せ",
            email="question@example.jp",
            phone="",
        ),
    )


DEMO_AUDIENCES = ("everyone", "families,children", "seniors", "parents", "students,youth")


def _posting_fields(i: int, kind: str, starts: datetime) -> dict[str, str]:
    """Return 対象 for every demo item, and for a few a weekly rule or online attendance."""
    fields = {"audience": DEMO_AUDIENCES[i % len(DEMO_AUDIENCES)]}
    if i in (1, 13):  # weekly, nine times: the page shows six dates and the rest on demand
        until = (starts + timedelta(weeks=8)).date()
        dates = recurrence.expand("weekly", starts, starts + timedelta(hours=2), until)
        fields.update(
            recurrence=recurrence.Rule("weekly", until).code, occurrences=recurrence.encode(dates)
        )
    if kind != "notice" and i % 7 == 2:
        fields.update(
            attendance="hybrid",
            online_details="オンライン会議でも参加できます。URLは申込者にメールで連絡します。",
        )
    return fields
