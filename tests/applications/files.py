"""Small real files of each accepted type, and impostors."""

import io
import struct
import warnings
import zlib
import zipfile


def make_pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def make_png() -> bytes:

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_zip(entries) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


def make_docx() -> bytes:
    return make_zip([("[Content_Types].xml", "<Types/>"), ("_rels/.rels", "<r/>"),
                     ("word/document.xml", "<w:document/>")])


def make_xlsx() -> bytes:
    return make_zip([("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")])


def make_odt() -> bytes:
    return make_zip([("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<x/>")])


def make_odt_with_mimetype(extra: bytes | None = None) -> bytes:
    """An ODT whose first, stored "mimetype" entry is right (what a content sniffer reads);
    with `extra`, a second, deflated "mimetype" entry holding it follows, and that is the one
    the archive's directory names (a zip bomb dressed as an ODT)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # the duplicate name is the point
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        if extra is not None:
            archive.writestr("mimetype", extra, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", "<x/>")
    return buffer.getvalue()


def with_mimetype_entry_patched(data: bytes, *, method: int | None = None, flags: int | None = None) -> bytes:
    """An ODT whose "mimetype" entry claims another compression method or encryption."""
    data = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(signature)
        if flags is not None:
            data[at + flag_at:at + flag_at + 2] = struct.pack("<H", flags)
        if method is not None:
            data[at + method_at:at + method_at + 2] = struct.pack("<H", method)
    return bytes(data)
