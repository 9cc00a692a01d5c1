"""Change requests (登録情報変更申請): proposed by the user, decided by a moderator."""

from __future__ import annotations

from accounts_support import client_for, register_and_approve, sign_in_member
from actors import decide, make_moderator, person, sign_in, sign_out, submit
from sqlalchemy import select

from intake.models import AuditEntry, ChangeRequest, Person


def change_form(n: int, **changes: str) -> dict[str, str]:
    """The current values of person n (as the form shows them), with some changed."""
    data = person("person", n, title=False)
    data["person-postal_code"] = "160-0022"
    data["person-phone"] = f"0909{n:03d}7531"
    data.update({f"person-{k}": v for k, v in changes.items()})
    return data


def stored(instance, name: str) -> str | None:  # type: ignore[no-untyped-def]
    with instance.rt.sessions() as db:
        p = db.scalars(select(Person)).one()
        return instance.rt.vault.open(getattr(p, f"{name}_enc"), f"persons.{name}")


def propose(instance, client, n: int, **changes: str) -> int:  # type: ignore[no-untyped-def]
    response = submit(client, "/app/account/change/self", change_form(n, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with instance.rt.sessions() as db:
        request_id = db.scalars(select(ChangeRequest.id).order_by(ChangeRequest.id.desc())).first()
    assert request_id is not None
    return request_id


def test_the_user_sees_their_own_data_and_a_change_waits_for_approval(instance, client):
    register_and_approve(instance, client, 1, "change-one")
    sign_in_member(client, "change-one")
    page = client.get("/app/account").get_data(as_text=True)
    assert "漏洩検査 花子1" in page and "東京都新宿区検査町1丁目9番9号" in page
    form_page = client.get("/app/account/change/self").get_data(as_text=True)
    assert 'value="漏洩検査 花子1"' in form_page  # prefilled with the current values
    unchanged = submit(client, "/app/account/change/self", change_form(1))
    assert unchanged.status_code == 422
    assert "変更された項目がありません" in unchanged.get_data(as_text=True)
    bad = submit(client, "/app/account/change/self", change_form(1, phone="12"))
    assert bad.status_code == 422 and "電話番号は0から始まる" in bad.get_data(as_text=True)

    request_id = propose(
        instance, client, 1, address="東京都新宿区引越先2-2-2", email="moved@example.test"
    )
    with instance.rt.sessions() as db:
        request = db.get(ChangeRequest, request_id)
        assert request is not None and request.status == "pending"
        assert request.proposed_enc and "引越先".encode() not in request.proposed_enc.encode()
        assert request.fields == "address,email"
    assert stored(instance, "address") == "東京都新宿区検査町1丁目9番9号"  # not yet applied
    assert "審査待ち" in client.get("/app/account").get_data(as_text=True)


def test_a_moderator_sees_old_and_new_and_approval_applies(instance, client):
    account_id = register_and_approve(instance, client, 2, "change-two")
    sign_in_member(client, "change-two")
    request_id = propose(instance, client, 2, address="東京都新宿区引越先3-3-3")
    sign_out(client)

    moderator = client_for(instance)
    sign_in(moderator, *make_moderator(instance))
    index = moderator.get("/app/moderation").get_data(as_text=True)
    assert f"/app/moderation/changes/{request_id}" in index
    review = moderator.get(f"/app/moderation/changes/{request_id}").get_data(as_text=True)
    assert "東京都新宿区検査町2丁目9番9号" in review and "東京都新宿区引越先3-3-3" in review
    assert "漏洩検査 花子2" not in review  # only the changed fields are shown
    decide(moderator, f"/app/moderation/changes/{request_id}", approve=True)

    assert stored(instance, "address") == "東京都新宿区引越先3-3-3"
    with instance.rt.sessions() as db:
        request = db.get(ChangeRequest, request_id)
        assert request is not None and request.status == "approved"
        assert request.proposed_enc is None  # the proposal is erased once decided
        actions = {
            e.action: e
            for e in db.scalars(select(AuditEntry).where(AuditEntry.target_id.is_not(None)))
        }
    change = actions["change_personal_data"]
    assert change.target_id == account_id and change.detail.endswith("fields: address")
    assert "引越先" not in change.detail
    assert "change request review" in actions["view_personal_data"].detail
    sign_in_member(client, "change-two")
    assert "承認済み" in client.get("/app/account").get_data(as_text=True)


def test_a_rejected_change_does_not_apply_and_the_requester_sees_the_reason(instance, client):
    account_id = register_and_approve(instance, client, 3, "change-three")
    sign_in_member(client, "change-three")
    request_id = propose(instance, client, 3, name="別人 太郎")
    sign_out(client)
    moderator = client_for(instance)
    sign_in(moderator, *make_moderator(instance))
    refused = submit(
        moderator, f"/app/moderation/changes/{request_id}", {"action": "reject", "reason": ""}
    )
    assert refused.status_code == 422 and "理由を入力してください" in refused.get_data(as_text=True)
    decide(
        moderator,
        f"/app/moderation/changes/{request_id}",
        approve=False,
        reason="本人確認書類と氏名が一致しません。",
    )
    assert stored(instance, "name") == "漏洩検査 花子3"
    with instance.rt.sessions() as db:
        refusal = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "refuse_change_request")
        ).one()  # who refused whose request is on record; the reason and names are not
    assert refusal.target_id == account_id
    assert refusal.detail == f"change request {request_id}; self"
    assert "別人" not in refusal.detail and "本人確認書類" not in refusal.detail
    again = submit(
        moderator, f"/app/moderation/changes/{request_id}", {"action": "approve", "reason": ""}
    )
    assert again.status_code == 409  # decided once, never twice
    assert stored(instance, "name") == "漏洩検査 花子3"
    sign_in_member(client, "change-three")
    page = client.get("/app/account").get_data(as_text=True)
    assert "却下" in page and "本人確認書類と氏名が一致しません。" in page


def test_other_roles_cannot_reach_change_pages(instance, client):
    register_and_approve(instance, client, 4, "change-four")
    sign_in_member(client, "change-four")
    request_id = propose(instance, client, 4, fax="03-5555-1111")  # 03-0000-… is refused now
    assert client.get(f"/app/moderation/changes/{request_id}").status_code == 403
    assert client.get("/app/account/change/representative").status_code == 404
    sign_out(client)
    assert client.get("/app/account").status_code == 302
