"""Due-diligence routes (documents); they join the diligence blueprint (cade/diligence/views.py).

An organisation's documents page (its owners and the admins; a plain member or a stranger gets 404), the download
of one file (the same readers, never cached), and the admin's page of one document where it is verified or refused.
"""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, StorageUnavailable, UploadRejected, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import admin_required, is_admin
from cade.diligence import documents as service
from cade.diligence.constants import DOCUMENT_KIND_LABELS, DOCUMENT_STATUS_LABELS, DocumentKind
from cade.diligence.forms_documents import DocumentForm, RefusalForm
from cade.diligence.models import Document
from cade.diligence.views import bp
from cade.extensions import db


def document_kind_label(kind: str) -> str:
    """A kind's label in the reader's language (pages and e-mails)."""
    try:
        return str(DOCUMENT_KIND_LABELS[DocumentKind(kind)])
    except ValueError:
        return kind


bp.add_app_template_global(document_kind_label, "document_kind_label")
# Expired or expiring documents, where they matter: the award decision page and the grant page (the awards and
# grants templates ask; neither imports diligence for it).
bp.add_app_template_global(service.document_warnings, "document_warnings")


def _organisation_or_404(organisation_id: int):
    try:
        return service.organisation_for(current_user, organisation_id)
    except NotFound:
        abort(404)


def _page(organisation, form, status: int = 200):
    today = utcnow().date()
    return render_template("diligence/documents.html", organisation=organisation, form=form,
                           documents=service.documents_of(organisation.id), today=today,
                           warnings={w.kind: w.expires_on for w in service.document_warnings(organisation.id, today)},
                           status_labels=DOCUMENT_STATUS_LABELS, max_bytes=service.max_bytes(),
                           is_admin=is_admin(current_user)), status


@bp.route("/organisations/<int:organisation_id>/documents", methods=["GET", "POST"])
@login_required
def documents(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    if request.method == "GET":
        return _page(organisation, DocumentForm(formdata=None))
    form = DocumentForm()
    if not form.validate():  # only the CSRF token can fail here: the command cleans the fields
        return _page(organisation, form, 400)
    errors: dict[str, list] = {}
    status = 422
    command = None
    try:
        command = service.DocumentInput.from_input(form.data, today=utcnow().date())
    except ValidationFailed as error:
        errors.update(error.errors)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors["file"] = [_("Choose the file of the document.")]
    if not errors:
        try:
            document = service.upload_document(current_actor(), organisation.id, upload.stream, upload.filename,
                                               command)
        except (UploadRejected, StorageUnavailable) as error:
            errors["file"] = [error.message]
            status = error.status
        except NotFound:
            abort(404)
    if errors:
        db.session.rollback()
        place_errors(form, errors)
        return _page(organisation, form, status)
    db.session.commit()
    flash(_("%(kind)s uploaded. The programme team will verify it and tell you.",
            kind=document_kind_label(document.kind)), "success")
    return redirect(url_for("diligence.documents", organisation_id=organisation.id))


@bp.get("/organisations/<int:organisation_id>/documents/<int:document_id>/file")
@login_required
def document_file(organisation_id: int, document_id: int):
    try:
        document, stream = service.open_document(current_user, organisation_id, document_id)
    except NotFound:
        abort(404)
    response = send_file(stream, mimetype=document.content_type, as_attachment=True,
                         download_name=service.document_download_name(document), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _admin_page(document, form, status: int = 200, refusal: str | None = None):
    return render_template("diligence/document_admin.html", document=document, form=form, refusal=refusal,
                           status_labels=DOCUMENT_STATUS_LABELS, today=utcnow().date()), status


@bp.route("/admin/documents/<int:document_id>", methods=["GET", "POST"])
@admin_required
def document_admin(document_id: int):
    document = db.session.get(Document, document_id)
    if document is None:
        abort(404)
    if request.method == "GET":
        return _admin_page(document, RefusalForm(formdata=None))
    form = RefusalForm()
    action = request.form.get("action")
    if action not in ("verify", "refuse") or not form.validate():
        return _admin_page(document, form, 400)
    try:
        if action == "verify":
            service.verify_document(current_actor(), document.id)
        else:
            service.refuse_document(current_actor(), document.id, form.reason.data)
    except ValidationFailed as error:
        db.session.rollback()
        place_errors(form, error)
        return _admin_page(db.session.get(Document, document_id), form, error.status)
    except InvalidTransition as error:
        db.session.rollback()
        return _admin_page(db.session.get(Document, document_id), form, error.status, refusal=str(error))
    db.session.commit()
    if action == "verify":
        flash(_("The document is verified. The organisation's owners have been told."), "success")
    else:
        flash(_("The document is refused. The organisation's owners have been told why."), "success")
    return redirect(url_for("diligence.document_admin", document_id=document.id))
