"""The errors intake's domain raises; the web layer maps them to responses in one place."""


class HirobaError(Exception):
    """Base of every error Hiroba raises on purpose."""


class ConfigError(HirobaError):
    """A setting or key file is missing or wrong; the message is one sentence for the operator.

    The message is a Japanese gettext id with its values (``message``, ``params``), so the
    `hiroba` command says it in the operator's language (intake.cli.language); str() is the
    Japanese sentence. A value named ``problem`` is an id too (a parser's reason).
    """

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        shown = dict(params)
        reason_values = shown.pop("problem_values", None)
        if reason_values:
            shown["problem"] = str(shown["problem"]) % reason_values
        super().__init__(message % shown if params else message)


class StoreUnavailable(HirobaError):
    """The database could not commit; the user must retry (HTTP 503)."""


class NotFound(HirobaError):
    """The record does not exist or is not visible to the caller."""


class InvalidTransition(HirobaError):
    """The record is not in a state that allows the requested action."""


class DecryptionError(HirobaError):
    """A stored value could not be decrypted with any known key."""
