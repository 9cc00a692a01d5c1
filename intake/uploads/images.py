"""Images: recognised by their bytes, decoded under a pixel limit, re-encoded from pixels.

Nothing of the uploaded file survives except its pixels: the EXIF block (GPS position,
camera serial, owner name), XMP, comments and the ICC profile (which may carry free text)
are all dropped, after the EXIF orientation has been applied and a non-sRGB profile has
been converted to sRGB. The output is WebP at a few widths (see VARIANT_WIDTHS).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .errors import UploadRejected

# Widths of the smaller variants; the largest one is the original, capped at MAX_WIDTH
# wide and MAX_HEIGHT tall. 480 fills a phone's column at 1x and 960 at 2x or a desktop's
# column at 1x; 1600 is enough for reading the small print of a flyer.
VARIANT_WIDTHS = (480, 960)
MAX_WIDTH = 1600
MAX_HEIGHT = 3200
WEBP_QUALITY = 80  # visually clean for photos and flyer text, about a third of a JPEG's size
EXIF_ORIENTATION = 0x0112
# Pillow's own decompression-bomb guard, set here rather than left at its default: no
# image over the largest [uploads] image_megapixels a deployment may choose is opened,
# whatever the caller's limit (which _open checks against the header first).
Image.MAX_IMAGE_PIXELS = 100_000_000
SWAPPED_ORIENTATIONS = (5, 6, 7, 8)  # rotated by 90 or 270 degrees

_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


@dataclass(frozen=True)
class ProcessedImage:
    """An image ready to store: its largest variant's size and every variant's WebP bytes."""

    width: int
    height: int
    files: dict[int, bytes]  # variant width -> WebP bytes, smallest first

    @property
    def size_bytes(self) -> int:
        return len(self.files[self.width])


def sniff_image(head: bytes) -> str | None:
    """Return the Pillow format name of JPEG, PNG or WebP bytes, else None."""
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """Open (header only) an image of the sniffed format and refuse one with too many pixels."""
    try:
        with warnings.catch_warnings():
            # Pillow warns between its limit and twice it: a warning is a refusal here too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected("too_many_pixels", megapixels=max_pixels // 1_000_000) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise UploadRejected("broken_image") from None
    if image.width * image.height > max_pixels:
        raise UploadRejected("too_many_pixels", megapixels=max_pixels // 1_000_000)
    return image


@dataclass(frozen=True)
class ImageHeader:
    """What an image's header says, read without decoding a pixel."""

    kind: str  # the Pillow format name
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def inspect_image(data: bytes, max_pixels: int) -> ImageHeader:
    """Read an uploaded image's format and size from its header alone (no decoding).

    Raises UploadRejected for bytes that are not JPEG, PNG or WebP, a header Pillow cannot
    read, or more pixels than max_pixels.
    """
    kind = sniff_image(data[:16])
    if kind is None:
        raise UploadRejected("not_an_image")
    image = _open(data, kind, max_pixels)
    return ImageHeader(kind, image.width, image.height)


def _decode(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    """Verify the file's structure, then decode its first frame, upright."""
    _open(data, kind, max_pixels).verify()
    image = _open(data, kind, max_pixels)
    if kind == "JPEG":
        # Let the JPEG decoder scale down by 2, 4 or 8 while it reads (less memory and
        # time for a 12-megapixel photo) while staying at least MAX_WIDTH wide once upright.
        swapped = image.getexif().get(EXIF_ORIENTATION) in SWAPPED_ORIENTATIONS
        image.draft(image.mode, (1, MAX_WIDTH) if swapped else (MAX_WIDTH, 1))
    image.load()
    upright = ImageOps.exif_transpose(image)
    return upright if upright is not None else image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Return the image in RGB or RGBA, converted from its ICC profile to sRGB when it has one."""
    mode = "RGBA" if _has_alpha(image) else "RGB"
    profile = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        image = image.convert(mode)
    if profile:
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode=mode,
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # an unusable profile: keep the numbers as they are
        if converted is not None:
            image = converted
    return image.convert(mode)


def _pixels_only(image: Image.Image) -> Image.Image:
    """Return a new image made of the pixel values alone (no info, EXIF, XMP or profile)."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def variant_widths(width: int, height: int) -> list[int]:
    """Return the widths to make: the smaller standard ones, then the capped original."""
    largest = max(1, min(width, MAX_WIDTH, (width * MAX_HEIGHT) // max(height, 1)))
    return [w for w in VARIANT_WIDTHS if w < largest] + [largest]


def _encode(image: Image.Image, width: int) -> bytes:
    height = max(1, round(image.height * width / image.width))
    if (width, height) != image.size:
        image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def process_image(data: bytes, max_pixels: int) -> ProcessedImage:
    """Check an uploaded image by its content and return its clean WebP variants.

    Raises UploadRejected for anything that is not a decodable JPEG, PNG or WebP within
    the pixel limit.
    """
    kind = inspect_image(data, max_pixels).kind
    try:
        image = _pixels_only(_to_srgb(_decode(data, kind, max_pixels)))
    except UploadRejected:
        raise
    except (OSError, ValueError, SyntaxError, EOFError):  # truncated or corrupt pixel data
        raise UploadRejected("broken_image") from None
    widths = variant_widths(image.width, image.height)
    files = {width: _encode(image, width) for width in widths}
    largest = widths[-1]
    return ProcessedImage(
        width=largest,
        height=max(1, round(image.height * largest / image.width)),
        files=files,
    )
