"""Why an uploaded file was refused (a code and its figures, the web layer words it), and
why a kept one could not be read."""

from __future__ import annotations

from ..errors import HirobaError

# The codes UploadRejected carries; intake/uploads/forms.py has a message for each.
CODES = (
    "too_large",  # bytes over the limit (limit_mb)
    "not_an_image",  # not JPEG, PNG or WebP by its bytes
    "broken_image",  # recognised, but cannot be decoded
    "too_many_pixels",  # over the decompression-bomb guard (megapixels)
    "request_pixels",  # the request's images together over [uploads] request_megapixels
    "hourly_pixels",  # the account's images of the last hour over hourly_megapixels
    "decoder_busy",  # every image decoder of this host is busy: send again shortly
    "too_costly",  # decoding went over its CPU time or memory limit
    "not_a_pdf",  # no %PDF- header
    "encrypted_pdf",  # password-protected
    "broken_pdf",  # pypdf cannot read or rewrite it
    "too_many_pages",  # more than MAX_PDF_PAGES (pages)
    "infected",  # the virus scanner (clamd) found malware in it
    "scanner_unavailable",  # the virus scanner did not answer: nothing is accepted unscanned
)


class UploadRejected(ValueError):
    """An uploaded file is refused; ``code`` is one of CODES, ``params`` fill its message."""

    def __init__(self, code: str, **params: int) -> None:
        assert code in CODES, code
        super().__init__(code)
        self.code = code
        self.params = params

    def __reduce__(self) -> tuple[object, ...]:
        """Keep the figures when the refusal comes back from a decoding process."""
        return (_rejected, (self.code, self.params))


def _rejected(code: str, params: dict[str, int]) -> UploadRejected:
    return UploadRejected(code, **params)


class UploadFileMissing(HirobaError):
    """A kept upload's file cannot be found where uploads are kept: the job that needs it
    fails (and is retried, then given up and shown) rather than publishing without it."""

    def __init__(self, token: str, name: str, where: str) -> None:
        super().__init__(
            f"upload file {token}/{name} is missing from {where}; put it back (a backup "
            "holds it) or withdraw the post, then run `hiroba retry-failed`"
        )
        self.token = token
        self.name = name
