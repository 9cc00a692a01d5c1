"""Phone numbers for people: 03-1234-5678, and +1 650-253-0000 for a number abroad.

Numbers are stored as ``intake.validation.phone`` returns them: a Japanese number as its
national digits (0312345678, as stored before +81 was accepted, so blind indexes and
duplicate checks still match), any other as E.164 (+16502530000). This module writes
either the way people read it, with hyphens, using Google's libphonenumber data.
"""

from __future__ import annotations

import phonenumbers

REGION = "JP"


def format_phone(stored: str) -> str:
    """Return a stored number with hyphens (national form in Japan, international abroad)."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, REGION)
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_valid_number(number):
        return stored  # stored before numbers were checked this way: shown as it was kept
    if number.country_code == phonenumbers.country_code_for_region(REGION):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
