"""Clarification pages: staff (or a reviewer) ask; the applicant answers the named fields; staff withdraw or
move the due date. They join the conversations blueprint (cade/conversations/views.py)."""

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.applications.constants import ApplicationStatus
from cade.applications.forms import application_form, draft_input
from cade.applications.models import Application
from cade.conversations import answers, clarifications
from cade.conversations.constants import ClarificationStatus
from cade.conversations.fields import named_fields
from cade.conversations.forms import DueDateForm, ResponseForm, request_form
from cade.conversations.models import ClarificationRequest
from cade.conversations.permissions import can_request_clarification, can_see_clarifications, reviewing_assignment
from cade.conversations.views import bp
from cade.core.db import utcnow
from cade.core.errors import DeadlinePassed, DomainError, InvalidTransition, NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import admin_required, is_admin
from cade.extensions import db
from cade.organisations.services import is_member

_ROW = re.compile(r"[0-9]{1,6}")


def _back_url(application: Application) -> str:
    if is_admin(current_user):
        return url_for("applications.view", application_id=application.id)
    assignment = reviewing_assignment(current_actor(), application)
    if assignment is not None:
        return url_for("reviews.assignment", assignment_id=assignment.id, _anchor="clarifications")
    return url_for("applications.view", application_id=application.id)


@bp.route("/applications/<int:application_id>/clarifications/new", methods=["GET", "POST"])
@login_required
def ask(application_id: int):
    application = db.session.get(Application, application_id)
    if application is None or not can_see_clarifications(current_user, application):
        abort(404)
    if not can_request_clarification(current_user, application):
        abort(403)
    back = _back_url(application)
    if request.method == "GET" and application.status == ApplicationStatus.INFO_REQUESTED:
        flash(str(clarifications.ClarificationOpen().message), "info")
        return redirect(back)
    form = request_form(application.call)
    status = 200
    if form.validate_on_submit():
        try:
            command = clarifications.ClarificationInput.from_input(form.data, timezone=application.call.timezone)
            clarifications.request_clarification(current_actor(), application.id, command)
            db.session.commit()
        except (ValidationFailed, InvalidTransition) as error:
            # Refused (perhaps another admin asked a moment ago): what was typed is shown again, with why.
            db.session.rollback()
            place_errors(form, error)
            status = error.status
        else:
            flash(_("The applicant was asked to clarify and told by e-mail. Review is paused until they answer."),
                  "success")
            return redirect(back)
    elif form.errors:
        status = 422
    return render_template("conversations/ask.html", application=application, call=application.call, form=form,
                           back=back, blind=application.call.blind_review and not is_admin(current_user)), status


def _answerable(clarification_id: int) -> ClarificationRequest:
    clarification = db.session.get(ClarificationRequest, clarification_id)
    if clarification is None or not can_see_clarifications(current_user, clarification.application):
        abort(404)
    if not is_member(current_actor(), clarification.application.organisation_id):
        abort(403)  # staff and reviewers read the request on their own pages; the organisation answers it
    return clarification


def _render_answer(clarification, form, reply_form, other_errors=None, status=200, new_row=None):
    call = clarification.application.call
    fields = named_fields(call, clarification.fields)
    return render_template(
        "conversations/answer.html", clarification=clarification, application=clarification.application,
        call=call, form=form, reply_form=reply_form, fields=fields, names={f.name for f in fields},
        other_errors=other_errors or {}, late=utcnow() > clarification.due_at, new_row=new_row), status


@bp.route("/clarifications/<int:clarification_id>/answer", methods=["GET", "POST"])
@login_required
def answer(clarification_id: int):
    clarification = _answerable(clarification_id)
    application = clarification.application
    view_url = url_for("applications.view", application_id=application.id)
    if clarification.status != ClarificationStatus.OPEN:
        flash(clarifications.closed_message(clarification), "info")
        return redirect(view_url)
    if request.method == "GET":
        form = application_form(application.call, application)
        rows = request.args.get("rows", "")
        new_row = None
        if _ROW.fullmatch(rows) and len(form.budget_lines) < int(rows) <= 100:
            new_row = int(rows)
            while len(form.budget_lines) < new_row:
                form.budget_lines.append_entry()
        return _render_answer(clarification, form, ResponseForm(formdata=None,
                                                                data={"response": clarification.response}),
                              new_row=new_row)
    return _post_answer(clarification, view_url)


def _post_answer(clarification, view_url):
    application = clarification.application
    form, reply_form = application_form(application.call), ResponseForm()
    action = request.form.get("action", "save")
    rows = None
    if "budget_lines" in clarification.fields and action == "add_line":
        rows = len(form.budget_lines) if form.add_line() else None
    elif "budget_lines" in clarification.fields and action.startswith("remove_line:"):
        index = action.partition(":")[2]
        if _ROW.fullmatch(index):
            form.remove_line(int(index))
    if not (form.validate() & reply_form.validate()):
        return _render_answer(clarification, form, reply_form, status=422)
    try:
        answers.save_answer(current_actor(), clarification.id, draft_input(form),
                            answers.ResponseInput.from_input({"response": reply_form.response.data}))
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _render_answer(clarification, form, reply_form, _place(clarification, form, reply_form, error),
                              status=422)
    except (answers.AlreadyAnswered, clarifications.ClarificationClosed) as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(view_url)
    if action != "send":
        flash(_("Your answer was saved as a draft. Send it when it is ready."), "success")
        return redirect(url_for("conversations.answer", clarification_id=clarification.id, rows=rows,
                                _anchor="budget" if action.startswith("remove_line") else None), code=303)
    return _send(clarification, form, reply_form, view_url)


def _place(clarification, form, reply_form, error: ValidationFailed) -> dict[str, list[str]]:
    """Put the refusal beside the fields on the page; return what has no field there (shown above the form)."""
    shown = {*clarification.fields, "response"}
    on_page = {name: messages for name, messages in error.errors.items() if name.split("-")[0] in shown}
    elsewhere = {name: [str(m) for m in messages] for name, messages in error.errors.items() if name not in on_page}
    unplaced = place_errors(form, on_page, form_level=False)
    return {**place_errors(reply_form, unplaced, form_level=False), **elsewhere}


def _send(clarification, form, reply_form, view_url):
    try:
        answers.answer_clarification(current_actor(), clarification.id)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        flash(_("Your answer was saved as a draft, but it cannot be sent yet."), "error")
        clarification = db.session.get(ClarificationRequest, clarification.id)
        return _render_answer(clarification, form, reply_form, _place(clarification, form, reply_form, error),
                              status=422)
    except DeadlinePassed as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("conversations.answer", clarification_id=clarification.id), code=303)
    except (answers.AlreadyAnswered, clarifications.ClarificationClosed) as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(view_url)
    flash(_("Your answer was sent and your application is back in review. Thank you."), "success")
    return redirect(view_url, code=303)


def _staff_action(clarification_id: int, action, done: str):
    clarification = db.session.get(ClarificationRequest, clarification_id)
    if clarification is None:
        abort(404)
    try:
        action(clarification)
        db.session.commit()
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        messages = [str(m) for ms in getattr(error, "errors", {}).values() for m in ms] or [str(error.message)]
        flash(" ".join(messages), "error")
    else:
        flash(done, "success")
    return redirect(url_for("applications.view", application_id=clarification.application_id,
                            _anchor="clarifications"))


@bp.post("/clarifications/<int:clarification_id>/withdraw")
@admin_required
def withdraw(clarification_id: int):
    return _staff_action(clarification_id,
                         lambda c: clarifications.withdraw_clarification(current_actor(), c.id),
                         _("The request was withdrawn: review resumes, and the applicant was told."))


@bp.post("/clarifications/<int:clarification_id>/due")
@admin_required
def extend(clarification_id: int):
    form = DueDateForm()
    if not form.validate():
        flash(" ".join(str(m) for ms in form.errors.values() for m in ms), "error")
        return redirect(url_for("applications.view", application_id=db.get_or_404(
            ClarificationRequest, clarification_id).application_id, _anchor="clarifications"))
    return _staff_action(clarification_id,
                         lambda c: clarifications.extend_clarification(
                             current_actor(), c.id, clarifications.DueDateInput.from_input(form.data)),
                         _("The due date was moved, and the applicant was told."))
