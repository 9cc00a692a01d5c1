"""`hiroba incident report`: exactly the records and people the audit log shows were touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from actors import MODERATOR, make_moderator, sign_in
from personal_data import failed, hiroba, ok, seed

from intake.protection.audit import verify
from intake.protection.incident import build

MODERATOR_ADDRESS = "198.51.100.10"
GROUP_ADDRESS = "2001:db8::20"


def _today() -> str:
    return (datetime.now(UTC) + timedelta(hours=9)).date().isoformat()


def _scenario(instance, app):  # type: ignore[no-untyped-def]
    """The moderator reads one registration; the group reads its event's applicants."""
    seeded = seed(instance)
    make_moderator(instance)
    moderator = app.test_client()
    moderator.environ_base["REMOTE_ADDR"] = MODERATOR_ADDRESS
    sign_in(moderator, *MODERATOR)
    assert moderator.get(f"/app/moderation/accounts/{seeded.individual}").status_code == 200
    group = app.test_client()
    group.environ_base["REMOTE_ADDR"] = GROUP_ADDRESS
    sign_in(group, "durable-group", "durable-password-1")
    assert group.get(f"/app/organizer/events/{seeded.post}").status_code == 200
    return seeded


def test_the_report_lists_exactly_what_one_account_touched(instance, app):
    seeded = _scenario(instance, app)
    today = datetime.fromisoformat(_today()).date()
    with instance.rt.sessions() as db:
        from sqlalchemy import select  # noqa: PLC0415

        from intake.models import Account  # noqa: PLC0415

        mod = db.scalars(
            select(Account.id).where(
                Account.kind == "moderator", Account.public_name == "テスト運営"
            )
        ).one()
    report = build(instance.rt, today, account_id=mod)
    assert set(report.records) == {("account", seeded.individual)}
    assert dict(report.records[("account", seeded.individual)].actions) == {"view_personal_data": 1}
    assert set(report.accounts) == {seeded.individual} and report.persons == 1
    assert report.applications == set() and report.inquiries == set()
    assert report.sessions["signin"] == 1

    by_address = build(instance.rt, today, address=GROUP_ADDRESS)
    assert set(by_address.records) == {("post", seeded.post)}
    assert by_address.applications == set(seeded.applications)
    assert by_address.accounts == {}

    nobody = build(instance.rt, today, address="192.0.2.99")
    assert nobody.entries == 0 and nobody.records == {}
    later = build(instance.rt, today + timedelta(days=1))
    assert later.entries == 0
    with instance.rt.sessions() as db:
        assert verify(db).ok  # the reports themselves are audited, in the chain


def test_the_command_reports_by_account_and_address(instance, app):
    seeded = _scenario(instance, app)
    out = ok(hiroba(instance.env, "incident", "report", "--since", _today(), "--account",
                    "mod-tester")).stdout  # fmt: skip
    assert f"account #{seeded.individual}: 個人情報の閲覧 x1" in out
    assert "Records touched (1):" in out
    assert f"accounts: 1 (#{seeded.individual} individual), their persons: 1" in out
    assert "applications: 0" in out
    assert "保管検査" not in out  # numbers and kinds, never names

    out = ok(hiroba(instance.env, "incident", "report", "--since", _today(), "--address",
                    "2001:DB8:0::20")).stdout  # fmt: skip
    assert f"post #{seeded.post}: 個人情報の閲覧 x1" in out
    listed = ", ".join(f"#{i}" for i in sorted(seeded.applications))
    assert f"applications: 2 {listed}" in out

    everything = ok(hiroba(instance.env, "incident", "report", "--since", _today())).stdout
    assert f"account #{seeded.individual}" in everything and f"post #{seeded.post}" in everything

    assert "--since" in failed(hiroba(instance.env, "incident", "report", "--since", "昨日"), 2)
    assert "IP address" in failed(
        hiroba(instance.env, "incident", "report", "--since", _today(), "--address", "x"), 2
    )
    assert "nobody" in failed(
        hiroba(instance.env, "incident", "report", "--since", _today(), "--account", "nobody"), 2
    )
    ok(hiroba(instance.env, "audit", "verify"))
