"""Files attached to a grantee report (evidence, photos, invoices): checked by content, limited in size, stored
under random names; added and removed while the report is editable, opened by its organisation and the admins."""

from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from cade.applications.constants import ALLOWED_CONTENT_TYPES, ZIP_CONTAINER_MARKERS
from cade.core.after_commit import after_commit, on_rollback
from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.core.errors import NotFound, UploadRejected
from cade.core.permissions import is_admin
from cade.core.storage import get_storage
from cade.core.templating import file_size
from cade.core.uploads import display_name, sniff_content_type
from cade.extensions import db
from cade.grants.models import ReportAttachment
from cade.grants.reports import editable_report, report_for_admin, report_for_member



def _limits() -> tuple[int, int]:
    config = current_app.config
    return config["ATTACHMENT_MAX_BYTES"], config["REPORT_ATTACHMENTS_MAX_BYTES"]


def add_report_attachment(actor, report_id: int, stream: BinaryIO, filename: str | None) -> ReportAttachment:
    """Attach an uploaded file to an editable report; audited `report_attachment.added`.

    Raises NotFound (not a member), InvalidTransition (submitted or approved)
    and UploadRejected (empty, too large, over the report's total, or not a
    PDF, Word, Excel, OpenDocument, PNG or JPEG file by its content). A
    refused file is not kept; a rolled-back upload leaves no file behind.
    """
    report = editable_report(actor, report_id)  # the row lock also serialises two uploads against the total
    per_file, per_report = _limits()
    storage = get_storage()
    try:
        stored = storage.put(stream, per_file)
    except OverflowError:
        raise UploadRejected(_("Files can be at most %(size)s each.", size=file_size(per_file)),
                             field="file") from None
    try:
        if stored.size == 0:
            raise UploadRejected(_("The file is empty."), field="file")
        with storage.open(stored.name) as kept:
            content_type = sniff_content_type(kept, ALLOWED_CONTENT_TYPES, ZIP_CONTAINER_MARKERS, _(
                "Only PDF, Word (DOCX), Excel (XLSX), OpenDocument text (ODT), PNG and JPEG files can be attached. "
                "This file is none of them by its content, whatever its name says."))
        used = db.session.scalar(select(func.coalesce(func.sum(ReportAttachment.size), 0))
                                 .where(ReportAttachment.report_id == report.id))
        if used + stored.size > per_report:
            raise UploadRejected(_("All files of a report together can be at most %(size)s. Remove a file first.",
                                   size=file_size(per_report)), field="file")
    except BaseException:
        storage.delete(stored.name)
        raise
    on_rollback(lambda: storage.delete(stored.name))
    attachment = ReportAttachment(report_id=report.id, stored_name=stored.name, original_name=display_name(filename),
                                  content_type=content_type, size=stored.size, sha256=stored.sha256,
                                  uploaded_by_id=actor.id, uploaded_at=utcnow())
    db.session.add(attachment)
    db.session.flush()
    record_event(actor, "report_attachment.added", attachment,
                 after={"report_id": report.id, "size": stored.size, "sha256": stored.sha256})
    return attachment


def delete_report_attachment(actor, report_id: int, attachment_id: int) -> None:
    """Remove a file from an editable report (the stored file goes once the change is committed); audited."""
    report = editable_report(actor, report_id)
    attachment = next((a for a in report.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFound()
    record_event(actor, "report_attachment.deleted", attachment,
                 before={"report_id": report.id, "sha256": attachment.sha256})
    storage, stored_name = get_storage(), attachment.stored_name
    after_commit(lambda: storage.delete(stored_name))
    report.attachments.remove(attachment)
    db.session.flush()


def open_report_attachment(actor, report_id: int, attachment_id: int) -> tuple[ReportAttachment, BinaryIO]:
    """The attachment and a stream of its bytes, for the organisation's members and the admins; else NotFound."""
    report = report_for_admin(report_id) if is_admin(actor) else report_for_member(actor, report_id)
    attachment = next((a for a in report.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFound()
    try:
        return attachment, get_storage().open(attachment.stored_name)
    except FileNotFoundError:
        raise NotFound() from None
