"""Tiny files for the upload tests, made here with Pillow and pypdf (no fixtures on disk).

The photo carries what a phone puts in a JPEG: a GPS position, a camera maker, a
comment and an orientation; the PDF carries an author, a producer and an XMP stream.
Their distinctive strings ("漏洩検査", "LEAKCAM", "leak-probe") are what the tests search
the output for.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
LEAK_MAKE = "LEAKCAM-漏洩検査"
LEAK_COMMENT = b"leak-probe comment"
LEAK_AUTHOR = "漏洩検査 花子"
LEAK_PRODUCER = "LeakProbe Producer 9.9"
LEAK_XMP = "leak-probe-xmp"
# 35°41'22" N, 139°41'30" E: a fictional spot in the ward.
GPS = {1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)}


def photo_with_gps(width: int = 40, height: int = 20, orientation: int = 6) -> bytes:
    """A JPEG whose left half is blue and right half red, stored sideways (EXIF 6).

    Shown upright (rotated 90° clockwise) it is height wide and width tall, blue on top.
    """
    image = Image.new("RGB", (width, height), (220, 0, 0))
    image.paste((0, 0, 230), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = LEAK_MAKE
    exif[GPS_IFD] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=LEAK_COMMENT, quality=90)
    return out.getvalue()


def png(width: int = 30, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 120, 0, 128)).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's shape)."""
    data = bytearray(png(1, 1))
    ihdr = 8  # the IHDR chunk follows the 8-byte signature: length, type, 13 bytes, CRC
    struct.pack_into(">II", data, ihdr + 8, width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 8 + 13]))
    struct.pack_into(">I", data, ihdr + 8 + 13, crc)
    return bytes(data)


def pdf_with_metadata(password: str | None = None) -> bytes:
    """A one-page PDF with an Info dictionary and an XMP metadata stream."""
    writer = PdfWriter()
    writer.add_blank_page(200, 100)
    writer.add_metadata(
        {"/Author": LEAK_AUTHOR, "/Producer": LEAK_PRODUCER, "/Creator": LEAK_PRODUCER,
         "/Title": "漏洩検査のチラシ"}
    )  # fmt: skip
    xmp = DecodedStreamObject()
    xmp.set_data(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Description rdf:about="">'
        f"<dc:creator>{LEAK_XMP}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>".encode()
    )
    xmp[NameObject("/Type")] = NameObject("/Metadata")
    xmp[NameObject("/Subtype")] = NameObject("/XML")
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    if password is not None:
        writer.encrypt(password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_blank(width: int, height: int) -> bytes:
    """A real, decodable PNG of one colour: many pixels in few bytes."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header (SOF0) claims width x height pixels."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")  # marker, length (2), precision (1), height, width
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A tiny lossless WebP whose VP8L header claims width x height pixels (up to 16384)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, "WEBP", lossless=True)
    data = bytearray(out.getvalue())
    assert data[12:16] == b"VP8L" and data[20] == 0x2F
    bits = struct.unpack_from("<I", data, 21)[0] & ~((1 << 28) - 1)
    struct.pack_into("<I", data, 21, bits | (width - 1) | ((height - 1) << 14))
    return bytes(data)


# What a flyer made in an office suite may carry besides its pages. Fictional, and
# distinctive so that the tests can search the raw bytes for them.
# All but the author are letters and digits only: pypdf writes punctuation in strings as
# octal escapes, so these stay greppable in the raw bytes.
PDF_MARKERS = {
    "author": "漏洩検査 注釈者",
    "author_ascii": "LeakprobeCommentAuthor",
    "phone": "03-5555-7777",
    "javascript": "LeakprobeJavaScript",
    "launch": "LeakprobeLaunchExe",
    "uri": "leakprobeuri",
    "attachment": "LeakprobeAttachment",
    "xmp": "LeakprobeXmpCreator",
    "info": "LeakprobeInfoProducer",
}
# Keys that must not survive a rewrite anywhere in the file.
PDF_ACTION_KEYS = ("/JavaScript", "/JS", "/Launch", "/OpenAction", "/AA", "/EmbeddedFiles",
                   "/EmbeddedFile", "/AcroForm", "/XFA", "/Metadata", "/Names",
                   "/FileAttachment", "/Popup", "/Next")  # fmt: skip


def pdf_with_hidden_data() -> bytes:
    """A one-page flyer carrying every kind of hidden data a cleaner must drop.

    A comment (Text annotation) and its popup name the author and a phone number; links
    run `javascript:` and a `/Launch` action and one chains JavaScript after a safe URI;
    the document opens with JavaScript, has additional actions on the page and the
    catalog, a JavaScript name tree, an embedded file, a form (AcroForm, XFA), XMP
    metadata and a document information dictionary. One plain https link is kept.
    """
    m = PDF_MARKERS
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NumberObject,
        TextStringObject,
    )

    def name(value: str) -> NameObject:
        return NameObject(value)

    def text(value: str) -> TextStringObject:
        return TextStringObject(value)

    def dictionary(**entries: object) -> DictionaryObject:
        return DictionaryObject({name("/" + k): v for k, v in entries.items()})

    def rect() -> ArrayObject:
        return ArrayObject([FloatObject(10), FloatObject(10), FloatObject(90), FloatObject(40)])

    writer = PdfWriter()
    page = writer.add_blank_page(200, 100)
    js = dictionary(S=name("/JavaScript"), JS=text(f"app.alert({m['javascript']})"))
    launch = dictionary(S=name("/Launch"), F=text(m["launch"]))
    popup = writer._add_object(
        dictionary(Type=name("/Annot"), Subtype=name("/Popup"), Rect=rect(),
                   T=text(m["author_ascii"]), Contents=text(f"tel {m['phone']}"))
    )  # fmt: skip
    comment = dictionary(Type=name("/Annot"), Subtype=name("/Text"), Rect=rect(),
                         T=text(m["author"]), Contents=text(f"tel {m['phone']}"),
                         Popup=popup)  # fmt: skip
    links = [
        dictionary(Type=name("/Annot"), Subtype=name("/Link"), Rect=rect(),
                   A=dictionary(S=name("/URI"), URI=text(f"javascript:{m['javascript']}"))),
        dictionary(Type=name("/Annot"), Subtype=name("/Link"), Rect=rect(), A=launch),
        dictionary(Type=name("/Annot"), Subtype=name("/Link"), Rect=rect(),
                   T=text(m["author_ascii"]),
                   A=dictionary(S=name("/URI"), URI=text("https://example.org/kept"), Next=js)),
        dictionary(Type=name("/Annot"), Subtype=name("/Link"), Rect=rect(),
                   A=dictionary(S=name("/URI"), URI=text(f"vbscript:{m['uri']}"))),
    ]  # fmt: skip
    page[name("/AA")] = dictionary(O=js)
    embedded = DecodedStreamObject()
    embedded.set_data(f"{m['attachment']} {m['phone']}".encode())
    embedded[name("/Type")] = name("/EmbeddedFile")
    spec = dictionary(Type=name("/Filespec"), F=text(f"{m['attachment']}.txt"),
                      EF=dictionary(F=writer._add_object(embedded)))  # fmt: skip
    attached = dictionary(Type=name("/Annot"), Subtype=name("/FileAttachment"), Rect=rect(),
                          FS=writer._add_object(spec))  # fmt: skip
    annotations = [comment, attached, *links]
    page[name("/Annots")] = ArrayObject([writer._add_object(a) for a in annotations])
    root = writer._root_object
    root[name("/OpenAction")] = writer._add_object(js)
    root[name("/AA")] = dictionary(WC=launch)
    root[name("/Names")] = dictionary(
        JavaScript=dictionary(Names=ArrayObject([text("leak"), writer._add_object(js)])),
        EmbeddedFiles=dictionary(Names=ArrayObject([text("leak"), writer._add_object(spec)])),
    )
    xfa = DecodedStreamObject()
    xfa.set_data(f"<xdp>{m['author_ascii']}</xdp>".encode())
    root[name("/AcroForm")] = dictionary(Fields=ArrayObject(), XFA=writer._add_object(xfa),
                                         NeedAppearances=NumberObject(1))  # fmt: skip
    xmp = DecodedStreamObject()
    xmp.set_data(f"<x:xmpmeta><dc:creator>{m['xmp']}</dc:creator></x:xmpmeta>".encode())
    xmp[name("/Type")] = name("/Metadata")
    xmp[name("/Subtype")] = name("/XML")
    root[name("/Metadata")] = writer._add_object(xmp)
    writer.add_metadata({"/Author": m["author"], "/Producer": m["info"]})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
