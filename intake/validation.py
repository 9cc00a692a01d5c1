"""Normalising and checking Japanese personal input; each check returns a clean value or raises."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date
from pathlib import Path

from .errors import HirobaError


class InvalidInput(HirobaError):
    """The value cannot be accepted; str() is the Japanese message shown to the user.

    The message is kept as a gettext id with its parameters (`message`, `params`) so
    the web layer can show it in the reader's language (intake.web.fields).
    """

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, **params)


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name for "mark only"
    """Mark a message id for extraction; it is translated where it is shown."""
    return message


_POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{3,31}$")
_KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u309b\u309c\u30fb\s]+$")
_DASHES = "-‐‑‒–—―−ー－"
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def nfkc(value: str) -> str:
    """Return value in NFKC with outer whitespace removed (full-width digits become ASCII)."""
    return unicodedata.normalize("NFKC", value or "").strip()


def phone(value: str, label: str = N_("電話番号")) -> str:
    """Return a phone number as stored: a Japanese one as its digits (0312345678), else E.164.

    Accepts hyphens, spaces, brackets, full-width digits and +81 (+81 3-1234-5678 is stored
    as 0312345678); libphonenumber decides whether the number can exist.
    """
    import phonenumbers  # imported here: only forms that ask for a phone need its data

    text = nfkc(value)
    for dash in _DASHES:
        text = text.replace(dash, "-")
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            N_(
                "%(label)sは0から始まる10桁または11桁の番号で入力してください（例: 03-1234-5678）。"
            ),
            label=label,
        )
    if number.country_code == 81:
        national = phonenumbers.national_significant_number(number)
        return "0" + national
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def postal_code(value: str) -> str:
    """Return a postal code as 123-4567, accepting 〒 and full-width digits."""
    text = nfkc(value).lstrip("〒").strip()
    for dash in _DASHES:
        text = text.replace(dash, "-")
    match = _POSTAL.match(text)
    if not match:
        raise InvalidInput(N_("郵便番号は7桁の数字で入力してください（例: 160-0022）。"))
    return f"{match.group(1)}-{match.group(2)}"


def email(value: str) -> str:
    """Return an email address with its domain lower-cased."""
    text = nfkc(value)
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidInput(N_("メールアドレスの形式が正しくありません（例: name@example.jp）。"))
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def login_id(value: str) -> str:
    """Return a login ID: 4 to 32 letters, digits, dots, hyphens or underscores."""
    text = nfkc(value)
    if not _LOGIN.match(text):
        raise InvalidInput(
            N_(
                "ログインIDは半角英数字で始まる4〜32文字（英数字と . _ - が使えます）"  # noqa: E501
                "にしてください。"
            )
        )
    return text


def kana(value: str) -> str:
    """Return furigana in kana only."""
    text = nfkc(value)
    if not _KANA.match(text):
        raise InvalidInput(N_("ふりがなはひらがなまたはカタカナで入力してください。"))
    return text


COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of the most common passwords (lower case)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as handle:
        return frozenset(
            line.strip() for line in handle if line.strip() and not line.startswith("#")
        )


def password(value: str) -> str:
    """Return the password if it is long enough and not common (NIST SP 800-63B, no composition)."""
    if len(value) < 10:
        raise InvalidInput(N_("パスワードは10文字以上にしてください。"))
    if len(value) > 256:
        raise InvalidInput(N_("パスワードは256文字以内にしてください。"))
    if value.casefold() in common_passwords():
        raise InvalidInput(
            N_(
                "このパスワードはよく使われていて推測されやすいため使えません。別のものにしてください。"
            )
        )
    return value


def _is_compatibility_ideograph(char: str) -> bool:
    code = ord(char)
    return 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F


def text(value: str) -> str:
    """Return free text (a name, an address) in NFKC, keeping kanji exactly as typed.

    NFKC turns full-width digits and latin letters and half-width kana into their usual
    forms, but it would also fold CJK compatibility ideographs (such as 﨑) into other
    characters, and a person's name must keep the character they write it with.
    """
    parts: list[str] = []
    run: list[str] = []
    for char in value or "":
        if _is_compatibility_ideograph(char):
            parts.append(unicodedata.normalize("NFKC", "".join(run)))
            parts.append(char)
            run = []
        else:
            run.append(char)
    parts.append(unicodedata.normalize("NFKC", "".join(run)))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def birth_date(value: str, minimum_age: int = 0, today: date | None = None) -> str:
    """Return a plausible birth date as YYYY-MM-DD: a real day, from 1900, not in the future."""
    match = _DATE.match(nfkc(value))
    if not match:
        raise InvalidInput(N_("生年月日は西暦で入力してください（例: 1980-04-01）。"))
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidInput(N_("生年月日に存在しない日付が入力されています。")) from None
    today = today or date.today()
    if day > today:
        raise InvalidInput(N_("生年月日に未来の日付は入力できません。"))
    if day.year < 1900:
        raise InvalidInput(N_("生年月日は1900年以降の日付で入力してください。"))
    age = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
    if age < minimum_age:
        raise InvalidInput(N_("%(age)s歳以上の方が登録できます。"), age=minimum_age)
    return day.isoformat()
