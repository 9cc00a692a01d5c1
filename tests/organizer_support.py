"""Set-ups of the organizer, export and retention tests: two groups, an event, applicants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from actors import new_post, open_group, sign_in
from conftest import Instance

from intake.accounts.services import PersonData, Registration, register
from intake.applications.services import ApplicationData, apply
from intake.models import Post
from intake.moderation import decisions as post_decisions
from intake.moderation import services as moderation

GROUP_A = ("durable-group", "durable-password-1")
GROUP_B = ("other-group", "other-password-12")


@dataclass
class Setup:
    """Group A's event with applicants; group B is another, unrelated group."""

    moderator: int
    group_a: int
    group_b: int
    post_id: int
    applications: list[int] = field(default_factory=list)


def applicant_data(n: int, party_size: int = 1, email: bool = True) -> ApplicationData:
    """A fictional applicant with distinctive strings the leak checks look for."""
    return ApplicationData(
        name=f"主催検査 三郎{n}",
        address=f"東京都新宿区主催町{n}-2-3",
        phone=f"070-7{n:03d}-1357",
        email=f"organizer-probe-{n}@example.test" if email else "",
        party_size=party_size,
        answers=[f"回答{n}"],
    )


def group_event(
    instance: Instance, capacity: int = 3, applicants: int = 4, starts_at: datetime | None = None
) -> Setup:
    """Make groups A and B, A's approved event (one question, a waiting list), applicants."""
    moderator, group_a = open_group(instance)
    group_b = register(
        instance.rt,
        Registration(
            kind="group",
            login=GROUP_B[0],
            password=GROUP_B[1],
            public_name="よその団体",
            persons={
                "representative": PersonData(name="他団 一郎", email="o1@example.test"),
                "contact": PersonData(name="他団 二郎", email="o2@example.test"),
            },
        ),
    )
    moderation.decide_account(instance.rt, moderator, group_b, approve=True)
    post_id = new_post(instance, group_a, 1, capacity=capacity)
    post_decisions.approve(instance.rt, moderator, post_decisions.Subject("post", post_id))
    with instance.rt.sessions() as db, db.begin():
        post = db.get(Post, post_id)
        assert post is not None
        post.waitlist = True
        post.questions = '[{"label": "アレルギーの有無", "kind": "text"}]'
        post.starts_at = starts_at or datetime.now() + timedelta(days=14)
    setup = Setup(moderator, group_a, group_b, post_id)
    for n in range(1, applicants + 1):
        setup.applications.append(apply(instance.rt, post_id, applicant_data(n)).application_id)
    if starts_at is not None:
        with instance.rt.sessions() as db, db.begin():
            post = db.get(Post, post_id)
            assert post is not None
            post.starts_at, post.ends_at = starts_at, starts_at + timedelta(hours=2)
    return setup


def sign_in_group(client, which: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, *which)
