"""PDF flyers: recognised by their header, parsed and rewritten by pypdf without metadata.

The rewritten file has only the pages: no document information dictionary (Author,
Creator, Producer, Title...), no XMP metadata stream (the catalog's or a page's), no
JavaScript, open actions, attachments or form data (those live in the old catalog, which
is not copied), and no comments whose /T names their author: only link annotations to
http(s) or mail addresses are kept, rebuilt from their address and rectangle. Only the
objects reachable from the new catalog are written: what was dropped is not left in the
file as an unreferenced object.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from .errors import UploadRejected

MAX_PDF_PAGES = 50  # a flyer, not a book: also bounds the work a crafted file can cause
# Page keys that hold application data, metadata or actions rather than what is printed.
_PAGE_KEYS_DROPPED = ("/Metadata", "/PieceInfo", "/AA", "/Thumb", "/LastModified")
_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _link_target(annotation: DictionaryObject) -> str | None:
    """Return the web or mail address of a plain link annotation, else None."""
    if annotation.get("/Subtype") != "/Link":
        return None
    action = annotation.get("/A")
    if action is None:
        return None
    action = action.get_object()
    if not isinstance(action, DictionaryObject) or action.get("/S") != "/URI":
        return None
    uri = str(action.get("/URI", ""))
    return uri if uri.lower().startswith(_LINK_SCHEMES) else None


def _rect(annotation: DictionaryObject) -> ArrayObject | None:
    """Return a fresh copy of an annotation's /Rect when it is four numbers."""
    rect = annotation.get("/Rect")
    rect = rect.get_object() if rect is not None else None
    if not isinstance(rect, ArrayObject) or len(rect) != 4:
        return None
    try:
        return ArrayObject([FloatObject(float(n)) for n in rect])
    except (TypeError, ValueError):
        return None


def _fresh_link(uri: str, rect: ArrayObject) -> DictionaryObject:
    """Build a link annotation from its address and place alone (nothing else is copied)."""
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject(uri)}
    )
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): rect,
            NameObject("/Border"): ArrayObject([NumberObject(0)] * 3),
            NameObject("/A"): action,
        }
    )


def _clean_page(page: DictionaryObject) -> None:
    """Drop a page's metadata, private data and actions; rebuild its plain links only.

    A kept link is a new dictionary holding its address and rectangle: whatever else the
    old one carried (an author, a /Next action chain, a popup) cannot come along.
    """
    for key in _PAGE_KEYS_DROPPED:
        page.pop(NameObject(key), None)
    annotations = page.get("/Annots")
    page.pop(NameObject("/Annots"), None)
    if annotations is None:
        return
    links = ArrayObject()
    for ref in annotations.get_object():
        annotation = ref.get_object()
        if not isinstance(annotation, DictionaryObject):
            continue
        uri, rect = _link_target(annotation), _rect(annotation)
        if uri is not None and rect is not None:
            links.append(_fresh_link(uri, rect))
    if links:
        page[NameObject("/Annots")] = links


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
    return _reachable_only(out.getvalue())


def _reachable_only(data: bytes) -> bytes:
    """Write a PDF again with only the objects reachable from its catalog.

    Adding a page copies every object it refers to, the annotations _clean_page drops
    included, and pypdf's writer keeps them as unreferenced objects (its orphan removal
    misses one only an orphan refers to, such as a comment's popup). Cloning a freshly
    written file copies from the catalog down, so nothing unreachable comes along.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data), strict=False))
    writer.metadata = None
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
