"""The errors intake's domain raises; the web layer maps them to responses in one place."""


class HirobaError(Exception):
    """Base of every error Hiroba raises on purpose."""


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
