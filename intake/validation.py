"""Normalising and checking Japanese personal input; each check returns a clean value or raises."""

from __future__ import annotations

import re
import unicodedata

from .errors import HirobaError


class InvalidInput(HirobaError):
    """The value cannot be accepted; the message is shown to the user as is."""


_PHONE = re.compile(r"^0\d{9,10}$")
_POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{3,31}$")
_KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u309b\u309c\u30fb\s]+$")
_DASHES = "-‐‑‒–—―−ー－"


def nfkc(value: str) -> str:
    """Return value in NFKC with outer whitespace removed (full-width digits become ASCII)."""
    return unicodedata.normalize("NFKC", value or "").strip()


def phone(value: str, label: str = "電話番号") -> str:
    """Return a Japanese landline or mobile number as digits with hyphens removed."""
    text = nfkc(value)
    for dash in _DASHES:
        text = text.replace(dash, "")
    digits = re.sub(r"[\s()]", "", text)
    if not _PHONE.match(digits):
        raise InvalidInput(
            f"{label}は0から始まる10桁または11桁の番号で入力してください（例: 03-1234-5678）。"
        )
    return digits


def postal_code(value: str) -> str:
    """Return a postal code as 123-4567, accepting 〒 and full-width digits."""
    text = nfkc(value).lstrip("〒").strip()
    for dash in _DASHES:
        text = text.replace(dash, "-")
    match = _POSTAL.match(text)
    if not match:
        raise InvalidInput("郵便番号は7桁の数字で入力してください（例: 160-0022）。")
    return f"{match.group(1)}-{match.group(2)}"


def email(value: str) -> str:
    """Return an email address with its domain lower-cased."""
    text = nfkc(value)
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidInput("メールアドレスの形式が正しくありません（例: name@example.jp）。")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def login_id(value: str) -> str:
    """Return a login ID: 4 to 32 letters, digits, dots, hyphens or underscores."""
    text = nfkc(value)
    if not _LOGIN.match(text):
        raise InvalidInput(
            "ログインIDは半角英数字で始まる4〜32文字（英数字と . _ - が使えます）にしてください。"
        )
    return text


def kana(value: str) -> str:
    """Return furigana in kana only."""
    text = nfkc(value)
    if not _KANA.match(text):
        raise InvalidInput("ふりがなはひらがなまたはカタカナで入力してください。")
    return text


def password(value: str) -> str:
    """Return the password if it is long enough (NIST SP 800-63B: length, not composition)."""
    if len(value) < 10:
        raise InvalidInput("パスワードは10文字以上にしてください。")
    if len(value) > 256:
        raise InvalidInput("パスワードは256文字以内にしてください。")
    return value
