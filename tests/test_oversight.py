"""A moderator stops an account (利用停止) and ward staff read the audit report."""

from __future__ import annotations

import subprocess
import sys

from actors import MODERATOR, make_moderator, make_staff, open_group, sign_in
from conftest import submit
from sqlalchemy import select

from intake.config import REPO_ROOT
from intake.models import Account, AuditEntry

GROUP = ("durable-group", "durable-password-1")


def test_a_disabled_groups_session_stops_at_once(instance, app):
    _moderator, group = open_group(instance)
    member = app.test_client()
    sign_in(member, *GROUP)
    assert member.get("/app/my").status_code == 200
    make_moderator(instance)
    moderator = app.test_client()
    sign_in(moderator, *MODERATOR)
    page = moderator.get(f"/app/moderation/accounts/{group}")
    assert "利用停止" in page.get_data(as_text=True)
    # Its status is a word, never the stored code.
    assert "<dd>利用中</dd>" in page.get_data(as_text=True)
    assert "<dd>active</dd>" not in page.get_data(as_text=True)

    url = f"/app/moderation/accounts/{group}/disable"
    refused = submit(moderator, f"/app/moderation/accounts/{group}", {"reason": " "})
    assert refused.status_code == 422  # the decision form: nothing to decide
    refused = moderator.post(url, data={"csrf_token": _token(moderator, group), "reason": " "})
    assert refused.status_code == 422
    assert "この項目は必須です" in refused.get_data(as_text=True)
    assert member.get("/app/my").status_code == 200

    response = moderator.post(
        url, data={"csrf_token": _token(moderator, group), "reason": "規約違反の投稿"}
    )
    assert response.status_code == 302
    after = member.get("/app/my")
    assert after.status_code == 302 and "/app/login" in after.headers["Location"]
    with instance.rt.sessions() as db:
        assert db.get(Account, group).status == "disabled"
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "account_disabled")).one()
        assert entry.target_id == group and entry.detail == "規約違反の投稿"
    # The page no longer offers the button, and a second stop is a conflict.
    assert "利用停止の理由" not in moderator.get(f"/app/moderation/accounts/{group}").get_data(
        as_text=True
    )
    again = moderator.post(url, data={"csrf_token": _token(moderator, group), "reason": "再度"})
    assert again.status_code == 409


def test_a_moderator_cannot_disable_another_moderator(instance, app):
    make_moderator(instance)
    moderator = app.test_client()
    sign_in(moderator, *MODERATOR)
    with instance.rt.sessions() as db:
        me = db.scalars(select(Account.id).where(Account.kind == "moderator")).one()
    token = _token(moderator, None)
    response = moderator.post(
        f"/app/moderation/accounts/{me}/disable", data={"csrf_token": token, "reason": "x"}
    )
    assert response.status_code == 404


def test_operators_disable_a_user_from_the_command_line(instance, app):
    _moderator, group = open_group(instance)
    member = app.test_client()
    sign_in(member, *GROUP)

    def hiroba(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "intake.cli", *argv],
            env=instance.env,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=60,
        )

    result = hiroba("disable-user", "--login", "durable-group", "--reason", "依頼による停止")
    assert result.returncode == 0, result.stderr
    assert member.get("/app/my").status_code == 302
    assert hiroba("disable-user", "--login", "durable-group").returncode == 2
    missing = hiroba("disable-user", "--login", "nobody-here")
    assert missing.returncode == 2 and "nobody-here" in missing.stderr


def test_staff_sees_the_audit_report_and_others_do_not(instance, app):
    _moderator, group = open_group(instance)
    make_moderator(instance)
    moderator = app.test_client()
    sign_in(moderator, *MODERATOR)
    assert moderator.get(f"/app/moderation/accounts/{group}").status_code == 200  # audited
    for _ in range(3):
        submit(
            app.test_client(), "/app/login", {"login": "durable-group", "password": "wrong-pw-1"}
        )

    make_staff(instance, "staff", "ward-staff", "ward-staff-password", "区職員")
    staff = app.test_client()
    sign_in(staff, "ward-staff", "ward-staff-password")
    page = staff.get("/app/staff")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "監査ログの報告（過去30日間）" in html
    # Actions are words, never the stored codes.
    assert "個人情報の閲覧" in html and "ログインの失敗" in html
    assert "view_personal_data" not in html and "signin_failed" not in html
    assert "注意が必要な記録" in html
    for personal in ("耐久", "@example.test", "durable-group", "テスト運営"):
        assert personal not in html, personal

    assert moderator.get("/app/staff").status_code == 403
    member = app.test_client()
    sign_in(member, *GROUP)
    assert member.get("/app/staff").status_code == 403


def _token(client, account_id: int | None) -> str:  # type: ignore[no-untyped-def]
    from conftest import csrf_token

    path = f"/app/moderation/accounts/{account_id}" if account_id else "/app/moderation"
    page = client.get(path).get_data(as_text=True)
    if 'name="csrf_token"' not in page:
        page = client.get("/app/password/forgot").get_data(as_text=True)
    return csrf_token(page)
