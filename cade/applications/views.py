"""Applicant pages: start, edit, submit, withdraw and follow applications."""

import re

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.applications import services
from cade.applications.constants import (
    APPLICATION_STATUS_LABELS,
    BUDGET_CATEGORIES,
    ApplicationStatus,
)
from cade.applications.eligibility import assess_eligibility
from cade.applications.forms import TEXT_KINDS, StartForm, application_form, draft_input
from cade.applications.models import Application
from cade.applications.permissions import can_edit_application, can_view_application
from cade.organisations.services import is_member, organisations_for_user
from cade.core.errors import DomainError, NotFound, UploadRejected, ValidationFailed
from cade.core.forms import current_actor, place_errors, select_choices
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call

bp = Blueprint("applications", __name__)

# A row or question number as a form posts it (ASCII digits, a sensible length: int() never fails).
_LINE_INDEX = re.compile(r"[0-9]{1,6}")


@bp.context_processor
def _status_labels():
    return {"application_status_labels": APPLICATION_STATUS_LABELS, "budget_categories": BUDGET_CATEGORIES}


def _load_visible(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not can_view_application(current_user, application):
        abort(404)
    return application


def _require_member(application: Application) -> None:
    # Administrators may look at any application but only its organisation acts on it.
    if not is_member(current_actor(), application.organisation_id):
        abort(403)


@bp.get("/applications/")
@login_required
def dashboard():
    page = services.list_applications_for_user(current_actor(), request.args.get("page", 1, type=int))
    return render_template("applications/dashboard.html", page=page)


@bp.route("/calls/<int:call_id>/apply", methods=["GET", "POST"])
@login_required
def start(call_id: int):
    call = db.session.get(Call, call_id)
    if call is None or call.status != CallStatus.PUBLISHED:
        abort(404)
    if not current_user.is_verified:
        return render_template("applications/verify_first.html", call=call), 403
    organisations = organisations_for_user(current_actor())
    if not organisations:
        flash(_("Before you apply, tell us about your organisation."), "info")
        return redirect(url_for("organisations.create"))
    form = StartForm()
    form.organisation_id.choices = select_choices((o.id, o.display_name) for o in organisations)
    if form.validate_on_submit():
        try:
            application = services.start_application(current_actor(), call.id, form.organisation_id.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            if application.status == ApplicationStatus.DRAFT:
                return redirect(url_for("applications.edit", application_id=application.id))
            flash(_("Your organisation has already submitted an application to this call."), "info")
            return redirect(url_for("applications.view", application_id=application.id))
    live = services.live_applications_by_organisation(call.id, [org.id for org in organisations])
    options = [
        {"organisation": org, "eligibility": assess_eligibility(call, org), "live": live.get(org.id)}
        for org in organisations
    ]
    return render_template("applications/start.html", call=call, form=form, options=options,
                           is_open=call.is_open())


def _render_edit(application, form, other_errors=None, status=200):
    return render_template("applications/edit.html", application=application, call=application.call,
                           form=form, other_errors=other_errors or {}), status


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit(application_id: int):
    application = _load_visible(application_id)
    if not can_edit_application(current_user, application):
        if application.status != ApplicationStatus.DRAFT:
            flash(_("This application has been submitted and can no longer be changed."), "info")
        return redirect(url_for("applications.view", application_id=application.id))
    call = application.call
    if request.method == "GET":
        return _render_edit(application, application_form(call, application))
    form = application_form(call)
    action = request.form.get("action", "save")
    if action == "add_line":
        if not form.add_line():
            return _render_edit(application, form, {"budget_lines": form.budget_lines.errors}, status=422)
        return _render_edit(application, form)
    if action.startswith("remove_line:"):
        index = action.partition(":")[2]
        if _LINE_INDEX.fullmatch(index):
            form.remove_line(int(index))
        return _render_edit(application, form)
    failed, attached = _save_posted(application, form)
    if failed is not None:
        return failed
    flash(_("Your draft was saved and the file attached.") if attached else _("Your draft was saved."), "success")
    return redirect(url_for("applications.edit", application_id=application.id))


def _save_posted(application, form):
    """Save what the edit page posted, then attach the file chosen there.

    Every button of the edit page posts the whole form (save, submit, remove a
    file): what was typed and chosen is kept whichever was pressed. Returns
    (the response to give instead, or None; whether a file was attached).
    """
    if not form.validate():
        return _render_edit(application, form, status=422), False
    try:
        services.save_draft(current_actor(), application.id, draft_input(form))
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _render_edit(application, form, place_errors(form, error.errors, form_level=False), status=422), False
    except services.NotADraft as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for("applications.view", application_id=application.id)), False
    upload = form.file.data
    if upload is None or not upload.filename:
        return None, False
    question_id = int(form.attach_to.data) if _LINE_INDEX.fullmatch(form.attach_to.data or "") else None
    try:
        services.add_attachment(current_actor(), application.id, upload.stream, upload.filename,
                                question_id=question_id)
        db.session.commit()
    except (UploadRejected, ValidationFailed) as error:
        db.session.rollback()
        flash(_("Your draft was saved, but the file was not attached: %(reason)s",
                reason=error.message), "error")
        return redirect(url_for("applications.edit", application_id=application.id)), False
    return None, True


@bp.post("/applications/<int:application_id>/autosave")
def autosave(application_id: int):
    # Answered in JSON, never with a redirect to the sign-in page: a script that
    # followed it would get a page with status 200 and believe the draft saved.
    if not current_user.is_authenticated:
        return jsonify(saved=False, error=_("Please sign in again; this draft was not saved.")), 401
    application = db.session.get(Application, application_id)
    if application is None or not can_view_application(current_user, application):
        return jsonify(saved=False, error=_("Not found.")), 404
    if not is_member(current_actor(), application.organisation_id):
        return jsonify(saved=False, error=_("You are not allowed to do this.")), 403
    if not can_edit_application(current_user, application):
        return jsonify(saved=False, error=_("This application can no longer be changed.")), 409
    form = application_form(application.call)
    form.validate()
    text_fields = [form.title, form.summary] + [
        field for question, field in form.question_fields() if field is not None and question.kind in TEXT_KINDS]
    errors = {field.name: list(field.errors) for field in text_fields if field.errors}
    if errors:
        return jsonify(saved=False, errors=errors), 422
    try:
        saved = services.save_draft(current_actor(), application.id, draft_input(form, text_only=True))
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return jsonify(saved=False, errors={k: [str(m) for m in v] for k, v in error.errors.items()}), 422
    except services.NotADraft as error:
        db.session.rollback()
        return jsonify(saved=False, error=str(error.message)), 409
    return jsonify(saved=True, saved_at=saved.updated_at.isoformat())


@bp.post("/applications/<int:application_id>/submit")
@login_required
def submit(application_id: int):
    application = _load_visible(application_id)
    _require_member(application)
    view_url = url_for("applications.view", application_id=application.id)
    if application.status != ApplicationStatus.DRAFT:
        flash(_("This application has already been submitted."), "info")
        return redirect(view_url)
    call = application.call
    if "title" in request.form:
        # Sent from the edit page: keep what was typed, and the file chosen, before checking it.
        failed, _attached = _save_posted(application, application_form(call))
        if failed is not None:
            return failed
    try:
        application = services.submit_application(current_actor(), application.id)
        db.session.commit()
    except services.AlreadySubmitted as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(view_url)
    except ValidationFailed as error:
        db.session.rollback()
        application = db.session.get(Application, application_id)
        form = application_form(call, application)
        flash(error.message, "error")
        return _render_edit(application, form, place_errors(form, error.errors, form_level=False), status=422)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("applications.edit", application_id=application_id))
    flash(_("Your application was submitted. Its reference is %(reference)s.",
            reference=application.reference), "success")
    return redirect(view_url)


@bp.post("/applications/<int:application_id>/withdraw")
@login_required
def withdraw(application_id: int):
    application = _load_visible(application_id)
    _require_member(application)
    try:
        services.withdraw_application(current_actor(), application.id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("The application was withdrawn. You may start a new one while the call is open."), "success")
    return redirect(url_for("applications.view", application_id=application_id))


@bp.get("/applications/<int:application_id>")
@login_required
def view(application_id: int):
    application = _load_visible(application_id)
    if can_edit_application(current_user, application):
        return redirect(url_for("applications.edit", application_id=application.id))
    answers = {answer.question_id: answer for answer in application.answers}
    return render_template("applications/view.html", application=application, call=application.call,
                           answers=answers)


@bp.get("/applications/<int:application_id>/attachments/<int:attachment_id>")
@login_required
def download(application_id: int, attachment_id: int):
    try:
        attachment, stream = services.open_attachment(current_actor(), application_id, attachment_id)
    except (NotFound, FileNotFoundError):
        abort(404)
    # Werkzeug writes a non-ASCII name as RFC 6266 filename* with an ASCII fallback.
    response = send_file(stream, mimetype=attachment.content_type, as_attachment=True,
                         download_name=services.download_name(attachment), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/applications/<int:application_id>/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(application_id: int, attachment_id: int):
    application = _load_visible(application_id)
    _require_member(application)
    if "title" in request.form and can_edit_application(current_user, application):
        # The remove button sits in the edit form: keep what was typed there first.
        failed, _attached = _save_posted(application, application_form(application.call))
        if failed is not None:
            return failed
    try:
        services.delete_attachment(current_actor(), application.id, attachment_id)
        db.session.commit()
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("The file was removed."), "success")
    return redirect(url_for("applications.edit", application_id=application_id))
