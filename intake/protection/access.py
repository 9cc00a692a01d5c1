"""The access log's own kinds of audit entry, and the client address each entry carries.

The web app sets `CLIENT_ADDRESS` for every request (the address ProxyFix trusts, see
intake/web/hardening.py); `audit.record` seals it into the entry's `address_enc`, so an
incident can be traced to where a sign-in or an export came from. The CLI and the worker
leave it unset: their entries carry no address.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from enum import StrEnum

from ..crypto import Vault
from ..validation import N_

# The vault to seal with and the address of the request being served, or None.
CLIENT_ADDRESS: ContextVar[tuple[Vault, str] | None] = ContextVar(
    "hiroba_client_address", default=None
)
ADDRESS_CONTEXT = "audit_log.address"  # the sealed column's context (table.field)


class AccessKind(StrEnum):
    """Audit actions added for the complete access log (the older ones are plain words)."""

    SIGNIN = "signin"
    SIGNOUT = "signout"
    STAFF_CREATED = "staff_created"
    ROSTER_EXPORTED = "roster_exported"
    ROSTER_VIEWED = "roster_viewed"  # the roster page or `hiroba users list`
    LEDGER_ADDED = "ledger_added"
    LEDGER_EXPORTED = "ledger_exported"
    LEDGER_VIEWED = "ledger_viewed"  # the ledger page or `hiroba ledger list`
    INCIDENT_REPORTED = "incident_reported"
    SETTING_CHANGED = "setting_changed"
    ADDRESSES_CLEARED = "audit_addresses_cleared"


# Every audit action's word for people (a msgid of the intake's catalog): pages, the CLI and
# downloads show these, never the stored code. tests/test_action_words.py finds every action
# the code records and fails on one without a word here.
ACTION_WORDS: dict[str, str] = {
    AccessKind.SIGNIN: N_("ログイン"),
    AccessKind.SIGNOUT: N_("ログアウト"),
    "signin_failed": N_("ログインの失敗"),
    "password_reset": N_("パスワードの再設定"),
    "password_changed": N_("パスワードの変更"),
    "initial_password_changed": N_("仮のパスワードから本人のパスワードへの変更"),
    "factor_enrolled": N_("二段階認証の設定"),
    "factor_reset_requested": N_("二段階認証のリセットの依頼"),
    "factor_reset_confirmed": N_("二段階認証のリセットの確認"),
    AccessKind.STAFF_CREATED: N_("運営・区職員のアカウントの作成"),
    "decide_account": N_("登録の審査"),
    "account_disabled": N_("アカウントの利用停止"),
    "account_reenabled": N_("アカウントの利用再開"),
    "search_accounts": N_("アカウントの検索"),
    "view_personal_data": N_("個人情報の閲覧"),
    "enter_personal_data": N_("個人情報の入力"),
    "change_personal_data": N_("個人情報の変更"),
    "refuse_change_request": N_("登録情報変更申請の却下"),
    "export_personal_data": N_("個人情報の出力"),
    "erase_personal_data": N_("個人情報の消去"),
    "erase_offsite_backups": N_("契約終了時のバケットのバックアップの削除"),
    "purge_personal_data": N_("保存期間を過ぎた個人情報の削除"),
    "message_applicants": N_("申込者へのメール"),
    "view_inquiry": N_("お問い合わせの閲覧"),
    "update_inquiry": N_("お問い合わせの対応状況の変更"),
    "note_inquiry": N_("お問い合わせへのメモ"),
    "reply_inquiry": N_("お問い合わせへの返信"),
    "purge_inquiries": N_("保存期間を過ぎたお問い合わせの削除"),
    "decide_post": N_("投稿の審査"),
    "decide_revision": N_("掲載中の投稿の変更の審査"),
    "profile_approve": N_("団体紹介の変更の承認"),
    "profile_reject": N_("団体紹介の変更の却下"),
    "post_on_behalf": N_("代理での投稿"),
    "correct_post": N_("掲載中の投稿の修正"),
    "takedown_post": N_("緊急非公開"),
    "restore_post": N_("緊急非公開にした投稿の再公開"),
    "archive_post": N_("終了した投稿の公開終了"),
    "request_stale_removal": N_("古い投稿の更新・取り下げの依頼"),
    "remove_stale_post": N_("古い投稿の削除"),
    "refuse_infected_upload": N_("ウイルスを含むファイルの拒否"),
    "write_notice": N_("運営からのお知らせの作成"),
    "edit_notice": N_("運営からのお知らせの編集"),
    "withdraw_notice": N_("運営からのお知らせの取り下げ"),
    "set_banner": N_("サイト全体のお知らせの掲示"),
    "clear_banner": N_("サイト全体のお知らせの取り消し"),
    AccessKind.SETTING_CHANGED: N_("設定の変更"),
    "rotate_keys": N_("暗号鍵の更新"),
    AccessKind.ROSTER_VIEWED: N_("取扱者名簿の閲覧"),
    AccessKind.ROSTER_EXPORTED: N_("取扱者名簿の出力"),
    AccessKind.LEDGER_VIEWED: N_("管理簿の閲覧"),
    AccessKind.LEDGER_ADDED: N_("管理簿への記入"),
    AccessKind.LEDGER_EXPORTED: N_("管理簿の出力"),
    AccessKind.INCIDENT_REPORTED: N_("事故報告の作成"),
    AccessKind.ADDRESSES_CLEARED: N_("保存期間を過ぎた接続元アドレスの消去"),
}
# An action this code does not know (a row written by a newer or an older version).
OTHER_ACTION = N_("その他の操作")


def action_word(action: str, translate: Callable[[str], str] = str) -> str:
    """Return an audit action's word for people (Japanese, or through translate), never its
    code."""
    return translate(ACTION_WORDS.get(action, OTHER_ACTION))


def sealed_client_address() -> str | None:
    """Return the current request's client address, sealed, or None outside a request."""
    current = CLIENT_ADDRESS.get()
    if current is None:
        return None
    vault, address = current
    return vault.seal(address, ADDRESS_CONTEXT)
