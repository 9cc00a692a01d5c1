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
