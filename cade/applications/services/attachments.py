"""Uploaded files of an application: checked by content and size, stored under random names."""

import re
import unicodedata
import zipfile
from typing import BinaryIO

import filetype
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from cade.applications.constants import ALLOWED_CONTENT_TYPES, ZIP_CONTAINER_MARKERS
from cade.applications.models import Attachment
from cade.applications.permissions import can_download_attachment
from cade.applications.services._common import load_application, lock_draft, require_member
from cade.core.after_commit import after_commit, on_rollback
from cade.core.audit import record_event
from cade.core.errors import NotFound, UploadRejected, ValidationFailed
from cade.core.storage import get_storage
from cade.core.timeutil import utcnow
from cade.extensions import db
from cade.programmes.constants import QuestionKind

SNIFF_BYTES = 8192
MAX_NAME_CHARS = 255
_RESERVED_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*]')
# The extensions a download may keep for each accepted type; the first is added when none fits.
EXTENSIONS = {mime: (ext, ".jpeg", ".jpe") if mime == "image/jpeg" else (ext,)
              for mime, ext in ALLOWED_CONTENT_TYPES.items()}
# An OpenDocument "mimetype" entry is a few dozen bytes; anything bigger is not one.
MIMETYPE_MAX_BYTES = 100


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


def download_name(attachment: Attachment) -> str:
    """The name a download is saved under: the display name, ending in the extension of the
    type recognised from its bytes ("page.html" that is really a PDF is saved as "page.html.pdf"),
    so the reader's computer opens it with the program its content is for."""
    # Characters that Windows and other file systems refuse in a name become "_".
    name = _RESERVED_IN_FILE_NAMES.sub("_", display_name(attachment.original_name))
    extensions = EXTENSIONS.get(attachment.content_type, ())
    if not extensions or name.lower().endswith(extensions):
        return name
    return name + extensions[0]


def _sniff(storage, stored_name: str) -> str:
    """The content type recognised from the bytes themselves, or UploadRejected."""
    with storage.open(stored_name) as stream:
        kind = filetype.guess(stream.read(SNIFF_BYTES))
        mime = kind.mime if kind else None
        if mime not in ALLOWED_CONTENT_TYPES:
            raise UploadRejected(_("Only PDF, Word (DOCX), Excel (XLSX), OpenDocument text (ODT), "
                                   "PNG and JPEG files can be attached."))
        marker = ZIP_CONTAINER_MARKERS.get(mime)
        if marker:
            # Office files are zip archives: look inside, not only at the first bytes.
            stream.seek(0)
            try:
                ok = _zip_has_marker(stream, marker, mime)
            except Exception:  # whatever breaks reading the archive (encrypted, unknown method, truncated)
                ok = False
            if not ok:
                raise UploadRejected(_("This file looks damaged and cannot be accepted."))
    return mime


def _zip_has_marker(stream: BinaryIO, marker: str, mime: str) -> bool:
    """Whether the archive holds the entry its format requires.

    Only the central directory is read, and at most MIMETYPE_MAX_BYTES of the
    one small "mimetype" entry: a tiny file that declares a huge member (a zip
    bomb dressed as an office file) is never decompressed.
    """
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
            declared = entry.read(MIMETYPE_MAX_BYTES + 1)
        return declared.decode("ascii", "replace").strip() == mime


def add_attachment(actor, application_id: int, stream: BinaryIO, filename: str | None,
                   question_id: int | None = None) -> Attachment:
    """Store an uploaded file for a draft; record its checked type, size and sha256.

    Raises UploadRejected (not an allowed type by content, empty, over
    ATTACHMENT_MAX_BYTES, or over APPLICATION_ATTACHMENTS_MAX_BYTES for the
    application), ValidationFailed (unknown file question), NotADraft,
    PermissionDenied, NotFound. A refused file is not kept.
    """
    application = load_application(application_id)
    require_member(actor, application)
    # The row lock also serialises uploads to one application, so two files sent at
    # once cannot both pass the per-application limit summed below.
    lock_draft(application)
    if question_id is not None:
        question = next((q for q in application.call.questions if q.id == question_id), None)
        if question is None or question.kind != QuestionKind.FILE:
            raise ValidationFailed({"attach_to": [_("Choose one of the file questions.")]})
    config = current_app.config
    storage = get_storage()
    per_file = config["ATTACHMENT_MAX_BYTES"]
    try:
        stored_name, size, sha256 = storage.put(stream, per_file)
    except OverflowError:
        raise UploadRejected(_("Files can be at most %(mb)s MB each.", mb=_mb(per_file))) from None
    try:
        if size == 0:
            raise UploadRejected(_("The file is empty."))
        content_type = _sniff(storage, stored_name)
        used = db.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0))
                                 .where(Attachment.application_id == application.id))
        limit = config["APPLICATION_ATTACHMENTS_MAX_BYTES"]
        if used + size > limit:
            raise UploadRejected(_("All files of an application together can be at most %(mb)s MB. "
                                   "Remove a file first.", mb=_mb(limit)))
    except BaseException:
        storage.delete(stored_name)
        raise
    # Files and rows must agree: an upload whose row is rolled back leaves no file behind.
    on_rollback(lambda: storage.delete(stored_name))
    attachment = Attachment(application_id=application.id, question_id=question_id,
                            stored_name=stored_name, original_name=display_name(filename),
                            content_type=content_type, size=size, sha256=sha256,
                            uploaded_by_id=actor.id, uploaded_at=utcnow())
    db.session.add(attachment)
    db.session.flush()
    record_event(actor, "attachment.added", attachment,
                 after={"application_id": application.id, "size": size, "sha256": sha256})
    return attachment


def _mb(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:g}" if mb >= 1 else f"{mb:.2f}"


def _load_attachment(application_id: int, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.application_id != application_id:
        raise NotFound()
    return attachment


def delete_attachment(actor, application_id: int, attachment_id: int) -> None:
    """Remove a file from a draft (the stored file goes when the change is committed)."""
    application = load_application(application_id)
    require_member(actor, application)
    attachment = _load_attachment(application.id, attachment_id)
    lock_draft(application)
    record_event(actor, "attachment.deleted", attachment,
                 before={"application_id": application.id, "sha256": attachment.sha256})
    # The file goes only once the deletion is committed: a rolled-back deletion keeps its file.
    storage, stored_name = get_storage(), attachment.stored_name
    after_commit(lambda: storage.delete(stored_name))
    application.attachments.remove(attachment)
    db.session.flush()


def open_attachment(actor, application_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
    """The attachment and an open stream of its bytes; NotFound for anyone who may not see it."""
    attachment = _load_attachment(application_id, attachment_id)
    if not can_download_attachment(actor, attachment):
        raise NotFound()
    return attachment, get_storage().open(attachment.stored_name)


__all__ = ["add_attachment", "delete_attachment", "display_name", "download_name", "open_attachment"]
