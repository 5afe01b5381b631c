"""Checking an uploaded file by its bytes: the type it really is, and for office files that the archive is one.

A browser's word (the file name, the Content-Type header) is never trusted:
`sniff_content_type` recognises the type from the first bytes, and a zip-based
format (DOCX, XLSX, ODT…) must also hold the entry its format requires, read
from the archive's directory only, so a small file declaring a huge member (a
zip bomb dressed as an office file) is never decompressed. Each domain passes
the types it accepts and the words that say so in its own page.

The browser's file name is kept only as display text (`display_name`), and a
download is saved under it ending in the extension of the type its bytes were
found to be (`download_name`).
"""

import re
import unicodedata
import zipfile
from collections.abc import Container, Mapping
from datetime import datetime
from typing import BinaryIO

import filetype
from flask_babel import gettext as _

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from cade.core.db import UTCDateTime, utcnow
from cade.core.errors import UploadRejected

SNIFF_BYTES = 8192
MAX_NAME_CHARS = 255
_RESERVED_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*]')
# An OpenDocument "mimetype" entry is a few dozen bytes; anything bigger is not one.
MIMETYPE_MAX_BYTES = 100


def sniff_content_type(stream: BinaryIO, allowed: Container[str], markers: Mapping[str, str], refusal) -> str:
    """The content type of `stream` (at its start) recognised from its bytes, or UploadRejected.

    `allowed` holds the accepted MIME types, `markers` the archive entry each
    zip-based type must hold ("mimetype" must also name the type itself),
    `refusal` the message for a type that is not accepted.
    """
    mime = getattr(filetype.guess(stream.read(SNIFF_BYTES)), "mime", None)
    if mime not in allowed:
        raise UploadRejected(refusal)
    marker = markers.get(mime)
    if marker:
        stream.seek(0)
        try:
            ok = zip_holds(stream, marker, mime)
        except Exception:  # whatever breaks reading the archive (encrypted, unknown method, truncated)
            ok = False
        if not ok:
            raise UploadRejected(_("This file looks damaged and cannot be accepted."))
    return mime


def zip_holds(stream: BinaryIO, marker: str, mime: str) -> bool:
    """Whether the archive holds `marker` (and, for OOXML, its content types; for "mimetype", `mime` itself)."""
    with zipfile.ZipFile(stream) as archive:
        names = set(archive.namelist())
        if marker not in names:
            return False
        if marker != "mimetype":
            return "[Content_Types].xml" in names
        info = archive.getinfo("mimetype")
        if info.file_size > MIMETYPE_MAX_BYTES or info.compress_size > MIMETYPE_MAX_BYTES:
            return False
        with archive.open(info) as entry:
            return entry.read(MIMETYPE_MAX_BYTES + 1).decode("ascii", "replace").strip() == mime


def display_name(filename: str | None) -> str:
    """The browser's file name as harmless display text.

    Only the last path part; composed Unicode (macOS sends decomposed names);
    no control or invisible formatting characters (NUL, newlines, right-to-left
    overrides); at most 255 characters, cut in the middle so the extension stays.
    """
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", filename or ""))[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ").strip()
    if len(name) > MAX_NAME_CHARS:
        stem, dot, suffix = name.rpartition(".")
        if dot and stem and len(suffix) <= 10:
            name = stem[:MAX_NAME_CHARS - len(suffix) - 1].rstrip() + "." + suffix
        else:
            name = name[:MAX_NAME_CHARS]
    return name or str(_("attachment"))


def download_name(filename: str | None, extensions: tuple[str, ...]) -> str:
    """The name a download is saved under: the display name, ending in one of `extensions` (those
    of the type recognised from its bytes; the first is added when none fits), so "page.html" that
    is really a PDF is saved as "page.html.pdf" and the reader's computer opens it with the program
    its content is for. Characters that Windows and other file systems refuse in a name become "_"."""
    name = _RESERVED_IN_FILE_NAMES.sub("_", display_name(filename))
    if not extensions or name.lower().endswith(extensions):
        return name
    return name + extensions[0]


class UploadedFileColumns:
    """The columns of a file someone uploaded and the storage keeps (a report's attachment, an organisation's
    document, a travel receipt): where it is stored, its name as given, the type found in its bytes, its size and
    digest, who uploaded it and when."""

    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def uploaded_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
