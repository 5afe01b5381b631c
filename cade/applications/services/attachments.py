"""Uploaded files of an application: checked by content and size, stored under random names."""

from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from cade.applications.constants import ALLOWED_CONTENT_TYPES, ZIP_CONTAINER_MARKERS
from cade.applications.models import Attachment
from cade.applications.permissions import can_download_attachment
from cade.applications.services._common import load_application, lock_draft, require_member
from cade.core import uploads
from cade.core.after_commit import after_commit, on_rollback
from cade.core.audit import record_event
from cade.core.errors import NotFound, UploadRejected, ValidationFailed
from cade.core.storage import get_storage
from cade.core.timeutil import utcnow
from cade.core.uploads import display_name
from cade.extensions import db
from cade.programmes.constants import QuestionKind

# The extensions a download may keep for each accepted type; the first is added when none fits.
EXTENSIONS = {mime: (ext, ".jpeg", ".jpe") if mime == "image/jpeg" else (ext,)
              for mime, ext in ALLOWED_CONTENT_TYPES.items()}


def download_name(attachment) -> str:
    """The name a download of an application's (or a report's) file is saved under, ending in the
    extension of the type recognised from its bytes ("page.html" that is really a PDF: "page.html.pdf")."""
    return uploads.download_name(attachment.original_name, EXTENSIONS.get(attachment.content_type, ()))


def _sniff(stream: BinaryIO) -> str:
    """The content type recognised from the bytes themselves, or UploadRejected."""
    return uploads.sniff_content_type(stream, ALLOWED_CONTENT_TYPES, ZIP_CONTAINER_MARKERS, _(
        "Only PDF, Word (DOCX), Excel (XLSX), OpenDocument text (ODT), PNG and JPEG files can be attached."))


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
        with storage.open(stored_name) as kept:
            content_type = _sniff(kept)
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
