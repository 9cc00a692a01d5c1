"""The errors intake's domain raises; the web layer maps them to responses in one place."""

from collections.abc import Callable


class HirobaError(Exception):
    """Base of every error Hiroba raises on purpose.

    The message is a Japanese gettext id with its values (``message``, ``params``), so the
    `hiroba` command says it in the operator's language (intake.cli.language) and str() is
    the Japanese sentence. A value named ``problem`` is an id too (a parser's reason), filled
    from ``problem_values``. A subclass may name its message as a class attribute instead.
    """

    message: str = ""

    def __init__(self, message: str = "", **params: object) -> None:
        if message:
            self.message = message
        self.params = params
        if not self.message:
            super().__init__()
            return
        shown = dict(params)
        reason_values = shown.pop("problem_values", None)
        if reason_values:
            shown["problem"] = str(shown["problem"]) % reason_values
        super().__init__(self.message % shown if params else self.message)

    def said(self, translate: Callable[[str], str]) -> str:
        """Return the message through translate (a gettext), its values filled in; an error
        without a message is named by its class, which is all there is to say."""
        if not self.message:
            return type(self).__name__
        if not self.params:
            return translate(self.message)
        values = dict(self.params)
        reason_values = values.pop("problem_values", None)
        if isinstance(values.get("problem"), str):
            values["problem"] = translate(str(values["problem"]))
            if reason_values:
                values["problem"] = str(values["problem"]) % reason_values
        return translate(self.message) % values


class ConfigError(HirobaError):
    """A setting or key file is missing or wrong; the message is one sentence for the operator."""


class StoreUnavailable(HirobaError):
    """The database could not commit; the user must retry (HTTP 503)."""


class NotFound(HirobaError):
    """The record does not exist or is not visible to the caller."""


class InvalidTransition(HirobaError):
    """The record is not in a state that allows the requested action."""


class DecryptionError(HirobaError):
    """A stored value could not be decrypted with any known key."""
