"""Applicant pages: start, edit, submit, withdraw and follow applications."""

import re

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from cade.applications import services
from cade.applications.constants import (
    APPLICATION_STATUS_LABELS,
    BUDGET_CATEGORIES,
    MAX_BUDGET_LINES,
    ApplicationStatus,
)
from cade.applications.budget_checks import budget_panel
from cade.applications.forms import TEXT_KINDS, StartForm, application_form, draft_input
from cade.applications.models import Application
from cade.applications.permissions import (
    can_act_for_organisation,
    can_edit_application,
    can_view_application,
    is_assisting,
)
from cade.core.errors import DomainError, NotFound, StorageUnavailable, UploadRejected, ValidationFailed
from cade.core.forms import current_actor, place_errors, select_choices
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.budgets import category_labels
from cade.programmes.eligibility import other_calls
from cade.programmes.models import Call

bp = Blueprint("applications", __name__)

# A row or question number as a form posts it (ASCII digits, a sensible length: int() never fails).
_LINE_INDEX = re.compile(r"[0-9]{1,6}")


@bp.context_processor
def _status_labels():
    return {"application_status_labels": APPLICATION_STATUS_LABELS, "budget_categories": BUDGET_CATEGORIES}


# What every page of one application reads of it (the permission checks ask for the assisted entry), loaded with it
# in one statement rather than one each.
_WITH_PAGE = (joinedload(Application.call).joinedload(Call.programme), joinedload(Application.organisation),
              joinedload(Application.assisted_entry))


def _load_visible(application_id: int) -> Application:
    application = db.session.get(Application, application_id, options=_WITH_PAGE)
    if application is None or not can_view_application(current_user, application):
        abort(404)
    return application


def _require_member(application: Application) -> None:
    # Administrators may look at any application but only its organisation acts on it (or, for an assisted
    # application, the administrator who entered it for the organisation: cade/applications/assisted.py).
    if not can_act_for_organisation(current_actor(), application):
        abort(403)


@bp.get("/applications/")
@login_required
def dashboard():
    page = services.list_applications_for_user(current_actor(), request.args.get("page", 1, type=int))
    return render_template("applications/dashboard.html", page=page)


@bp.app_context_processor
def _applicant_standing():
    # The public call page (programmes) asks this before it offers "Apply"; programmes cannot import applications.
    def standing(call):
        return services.applicant_standing(current_actor() if current_user.is_authenticated else None, call)

    return {"applicant_standing": standing}


@bp.route("/calls/<int:call_id>/apply", methods=["GET", "POST"])
@login_required
def start(call_id: int):
    call = db.session.get(Call, call_id)
    if call is None or call.status != CallStatus.PUBLISHED:
        abort(404)
    if not current_user.is_verified:
        return render_template("applications/verify_first.html", call=call), 403
    standing = services.applicant_standing(current_actor(), call)
    if not standing.options:
        flash(_("Before you apply, tell us about your organisation."), "info")
        return redirect(url_for("organisations.create"))
    form = StartForm()
    # Any of the user's organisations may be posted: the service itself says why one may not start.
    form.organisation_id.choices = select_choices((o.organisation.id, o.organisation.display_name)
                                                  for o in standing.options)
    if form.validate_on_submit():
        try:
            application = services.start_application(current_actor(), call.id, form.organisation_id.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            standing = services.applicant_standing(current_actor(), call)  # the call may have closed meanwhile
        else:
            if application.status == ApplicationStatus.DRAFT:
                return redirect(url_for("applications.edit", application_id=application.id))
            flash(_("Your organisation has already submitted an application to this call."), "info")
            return redirect(url_for("applications.view", application_id=application.id))
    # Only the organisations that can start are offered; the others are told why, and what they can do.
    form.organisation_id.choices = select_choices((o.organisation.id, o.organisation.display_name)
                                                  for o in standing.startable)
    return render_template("applications/start.html", call=call, form=form, standing=standing,
                           other_calls=other_calls())


def _render_edit(application, form, other_errors=None, status=200, new_row=None):
    return render_template("applications/edit.html", application=application, call=application.call,
                           form=form, other_errors=other_errors or {}, new_row=new_row,
                           budget_checks=budget_panel(application, form.budget)), status


def _edit_url(application, code=303, **values):
    # 303: whatever button posted, the browser then asks for the page, and a reload posts nothing again.
    return redirect(url_for("applications.edit", application_id=application.id, **values), code=code)


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit(application_id: int):
    application = _load_visible(application_id)
    if not can_edit_application(current_user, application):
        if application.status != ApplicationStatus.DRAFT:
            flash(_("This application has been submitted and can no longer be changed."), "info")
        return redirect(url_for("applications.view", application_id=application.id))
    if request.method == "GET":
        return _show_draft(application)
    form = application_form(application.call)
    action = request.form.get("action", "save")
    if action == "add_line":
        return _add_line(application, form)
    if action.startswith("remove_line:"):
        return _remove_line(application, form, action.partition(":")[2])
    if action == "submit":
        # Posted to the edit page's own address: typing that cannot be saved is shown again right here.
        return _submit(application, form)
    failed, attached = _save_posted(application, form)
    if failed is not None:
        return failed
    _flash_saved(attached)
    return redirect(url_for("applications.edit", application_id=application.id))


def _show_draft(application):
    """The saved draft; `rows` asks for empty budget rows up to that many, `check` for a refused submission's errors."""
    form = application_form(application.call, application)
    other_errors = {}
    if request.args.get("check"):
        # Read again from the saved draft, so a reload shows what is still missing, not what was.
        other_errors = place_errors(form, services.completeness_errors(application), form_level=False)
    new_row = None
    rows = request.args.get("rows", "")
    if _LINE_INDEX.fullmatch(rows) and len(form.budget_lines) < int(rows):
        new_row = min(int(rows), MAX_BUDGET_LINES)
        while len(form.budget_lines) < new_row:
            form.budget_lines.append_entry()
    return _render_edit(application, form, other_errors, new_row=new_row)


def _flash_saved(attached: bool) -> None:
    flash(_("Your draft was saved and the file attached.") if attached else _("Your draft was saved."), "success")


def _add_line(application, form):
    # The empty row goes in first: should what was typed be refused, the form comes back with it.
    limit_errors = [] if form.add_line() else list(form.budget_lines.errors)
    failed, attached = _save_posted(application, form)
    if failed is not None:
        return failed
    _flash_saved(attached)
    if limit_errors:
        for message in limit_errors:
            flash(message, "error")
        return _edit_url(application, _anchor="budget")
    # No #fragment: the new row takes the focus (autofocus), which browsers skip on an address naming one.
    return _edit_url(application, rows=len(form.budget_lines))


def _remove_line(application, form, index: str):
    removed = _LINE_INDEX.fullmatch(index) is not None and form.remove_line(int(index))
    failed, attached = _save_posted(application, form)
    if failed is not None:
        return failed
    _flash_saved(attached)
    if removed:
        flash(_("Budget line %(n)d was removed.", n=int(index) + 1), "success")
    return _edit_url(application, _anchor="budget")


def _save_posted(application, form):
    """Save what the edit page posted, then attach the file chosen there.

    Every button of the edit page posts the whole form (save, submit, add or
    remove a line, remove a file): what was typed and chosen is kept whichever
    was pressed. Typing refused by the form or the service is shown again to
    correct, nothing of it saved, but the file chosen with it is attached all
    the same: a browser cannot show a chosen file again. Returns (the response
    to give instead, or None; whether a file was attached).
    """
    refused = None
    if not form.validate():
        refused = {}
    else:
        try:
            services.save_draft(current_actor(), application.id, draft_input(form))
            db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            refused = place_errors(form, error.errors, form_level=False)
        except services.NotADraft as error:
            db.session.rollback()
            flash(error.message, "info")
            return redirect(url_for("applications.view", application_id=application.id)), False
    attached, file_error = _attach_posted(application, form)
    if refused is not None:
        if attached:
            flash(_("The file was attached. Correct what is marked below to save the rest."), "success")
        elif file_error:
            flash(_("The file was not attached: %(reason)s", reason=file_error), "error")
        return _render_edit(application, form, refused, status=422), attached
    if file_error:
        flash(_("Your draft was saved, but the file was not attached: %(reason)s", reason=file_error), "error")
        return redirect(url_for("applications.edit", application_id=application.id)), False
    return None, attached


def _attach_posted(application, form) -> tuple[bool, str | None]:
    """Attach the file chosen in the form, if any: (attached, why not)."""
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", None):
        return False, None
    question_id = int(form.attach_to.data) if _LINE_INDEX.fullmatch(form.attach_to.data or "") else None
    try:
        services.add_attachment(current_actor(), application.id, upload.stream, upload.filename,
                                question_id=question_id)
        db.session.commit()
    except (UploadRejected, ValidationFailed, services.NotADraft, StorageUnavailable) as error:
        # The draft was committed before the file: a storage outage loses nothing that was typed.
        db.session.rollback()
        return False, error.message
    return True, None


@bp.post("/applications/<int:application_id>/autosave")
def autosave(application_id: int):
    # Answered in JSON, never with a redirect to the sign-in page: a script that
    # followed it would get a page with status 200 and believe the draft saved.
    if not current_user.is_authenticated:
        return jsonify(saved=False, error=_("Please sign in again; this draft was not saved.")), 401
    application = db.session.get(Application, application_id)
    if application is None or not can_view_application(current_user, application):
        return jsonify(saved=False, error=_("Not found.")), 404
    if not can_act_for_organisation(current_actor(), application):
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
    """Submit from a page other than the edit page (or an edit page loaded before it posted to itself)."""
    application = _load_visible(application_id)
    _require_member(application)
    return _submit(application, application_form(application.call) if "title" in request.form else None)


def _submit(application, form):
    """Save what the edit page posted (`form`; None when sent from elsewhere), then submit the draft.

    A refusal is shown at the edit page's own address: the saved draft's errors
    after a redirect (a reload posts nothing again), or the typed form itself
    when what was typed cannot be saved.
    """
    view_url = url_for("applications.view", application_id=application.id)
    if application.status != ApplicationStatus.DRAFT:
        flash(_("This application has already been submitted."), "info")
        return redirect(view_url)
    attached = False
    if form is not None:
        # Keep what was typed, and the file chosen, before checking it.
        failed, attached = _save_posted(application, form)
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
        if form is not None:
            _flash_saved(attached)
        flash(error.message, "error")
        return _edit_url(application, check=1)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("applications.edit", application_id=application.id))
    if is_assisting(current_user, application):
        flash(_("The application was submitted on the organisation's behalf. Its reference is %(reference)s; "
                "its members were sent the receipt.", reference=application.reference), "success")
    else:
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
                           answers=answers, budget_categories=category_labels(application.call))


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


from cade.applications import views_assisted  # noqa: E402,F401  (assisted applications: admin pages)
