"""PDF flyers: recognised by their header, parsed and rewritten by pypdf without metadata.

The rewritten file has only the pages: no document information dictionary (Author,
Creator, Producer, Title...), no XMP metadata stream (the catalog's or a page's), no
JavaScript, open actions, attachments or form data (those live in the old catalog, which
is not copied), and no comments whose /T names their author: only link annotations to
http(s) or mail addresses are kept.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject

from .uploads_errors import UploadRejected

MAX_PDF_PAGES = 50  # a flyer, not a book: also bounds the work a crafted file can cause
# Page keys that hold application data, metadata or actions rather than what is printed.
_PAGE_KEYS_DROPPED = ("/Metadata", "/PieceInfo", "/AA", "/Thumb", "/LastModified")
_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _safe_link(annotation: DictionaryObject) -> bool:
    """Tell whether an annotation is a plain link to a web or mail address."""
    if annotation.get("/Subtype") != "/Link":
        return False
    action = annotation.get("/A")
    if action is None:
        return False
    action = action.get_object()
    uri = str(action.get("/URI", ""))
    return action.get("/S") == "/URI" and uri.lower().startswith(_LINK_SCHEMES)


def _clean_page(page: DictionaryObject) -> None:
    """Drop a page's metadata, private data and actions; keep only plain links."""
    for key in _PAGE_KEYS_DROPPED:
        page.pop(NameObject(key), None)
    annotations = page.get("/Annots")
    if annotations is None:
        return
    links = ArrayObject()
    for ref in annotations.get_object():
        annotation = ref.get_object()
        if isinstance(annotation, DictionaryObject) and _safe_link(annotation):
            for key in ("/T", "/Contents", "/M", "/NM", "/Popup", "/AA"):
                annotation.pop(NameObject(key), None)
            links.append(ref)
    if links:
        page[NameObject("/Annots")] = links
    else:
        page.pop(NameObject("/Annots"), None)


def _clean_xobjects(page: DictionaryObject) -> None:
    """Drop XMP streams attached to the page's images and forms (photo editors add them)."""
    resources = page.get("/Resources")
    if resources is None:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        xobject = ref.get_object()
        if isinstance(xobject, DictionaryObject):
            xobject.pop(NameObject("/Metadata"), None)
            xobject.pop(NameObject("/PieceInfo"), None)


def _rewrite(data: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise UploadRejected("encrypted_pdf")
    if len(reader.pages) > MAX_PDF_PAGES:
        raise UploadRejected("too_many_pages", pages=MAX_PDF_PAGES)
    if not reader.pages:
        raise UploadRejected("broken_pdf")
    writer = PdfWriter()
    for page in reader.pages:
        added = writer.add_page(page)
        _clean_page(added)
        _clean_xobjects(added)
    writer.metadata = None  # no /Info at all (not even pypdf's own /Producer)
    writer.xmp_metadata = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def process_pdf(data: bytes) -> bytes:
    """Check an uploaded PDF by its content and return it rewritten without metadata.

    Raises UploadRejected for a file without a PDF header, an encrypted one, or one that
    pypdf cannot read and write back.
    """
    if not data.startswith(b"%PDF-"):
        raise UploadRejected("not_a_pdf")
    try:
        return _rewrite(data)
    except UploadRejected:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many kinds on crafted input; all mean broken
        raise UploadRejected("broken_pdf") from None
