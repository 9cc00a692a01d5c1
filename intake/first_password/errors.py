"""Why a first password was refused."""

from __future__ import annotations

from ..errors import HirobaError


class SameAsInitial(HirobaError):
    """The new password is the initial one the person was given."""


class NothingToChange(HirobaError):
    """The account is not marked: its password is already its own."""
