"""Why an uploaded file was refused: a code and its figures (the web layer words it)."""

from __future__ import annotations

# The codes UploadRejected carries; intake/web/upload_forms.py has a message for each.
CODES = (
    "too_large",  # bytes over the limit (limit_mb)
    "not_an_image",  # not JPEG, PNG or WebP by its bytes
    "broken_image",  # recognised, but cannot be decoded
    "too_many_pixels",  # over the decompression-bomb guard (megapixels)
    "not_a_pdf",  # no %PDF- header
    "encrypted_pdf",  # password-protected
    "broken_pdf",  # pypdf cannot read or rewrite it
    "too_many_pages",  # more than MAX_PDF_PAGES (pages)
)


class UploadRejected(ValueError):
    """An uploaded file is refused; ``code`` is one of CODES, ``params`` fill its message."""

    def __init__(self, code: str, **params: int) -> None:
        assert code in CODES, code
        super().__init__(code)
        self.code = code
        self.params = params
