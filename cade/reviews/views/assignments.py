"""The admin's review page of a call: deadline, reviewers per application, bulk and automatic assignment,
and the conflicts of interest reviewers declared."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from cade.applications.models import Application
from cade.core.errors import DomainError
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import admin_required
from cade.core.runs import ABANDONED, RUN_ERROR_LABELS, RUN_STATUS_LABELS, RunStatus
from cade.extensions import db
from cade.programmes.models import Call
from cade.reviews.constants import REVIEW_STATUS_LABELS
from cade.reviews.forms_assignment import (
    AssignReviewerForm,
    BulkAssignForm,
    ReviewDeadlineForm,
    reviewer_suggestions,
)
from cade.reviews.models import Assignment
from cade.reviews.services import assignment as assignments
from cade.reviews.services import conflicts, runs, settings
from cade.reviews.views import bp


def _page() -> int:
    return request.args.get("page", 1, type=int)


def _back(call_id: int, anchor: str | None = None):
    return redirect(url_for(".call_review", call_id=call_id, page=_page(), _anchor=anchor))


def _labels() -> dict:
    return {"REVIEW_STATUS_LABELS": REVIEW_STATUS_LABELS, "RUN_STATUS_LABELS": RUN_STATUS_LABELS,
            "UNCOVERED_REASONS": runs.UNCOVERED_REASON_LABELS, "RUN_ERRORS": RUN_ERROR_LABELS}


def _render_call_review(call: Call, *, deadline_form=None, bulk_form=None, failed=None):
    """The page; after a refused POST (400) with that form's errors: `failed` is (application id, its form).

    A few reviewers of the pool are offered once, as one list every reviewer field of the page refers to.
    """
    overview = assignments.call_review_overview(call.id, _page())
    deadline_form = deadline_form or ReviewDeadlineForm(formdata=None, tz_name=call.timezone,
                                                        deadline_at=settings.review_deadline(call.id))
    assign_forms = {}
    for row in overview.rows:
        application_id = row.application.id
        if failed and failed[0] == application_id:
            form = failed[1]
        else:
            form = AssignReviewerForm(formdata=None, prefix=f"a{application_id}")
        form.reviewer.label.text = _("Reviewer for %(reference)s",
                                     reference=row.application.reference or row.application.title)
        assign_forms[application_id] = form
    html = render_template("reviews/assignment_call.html", call=call, overview=overview, page=overview.page,
                           deadline_form=deadline_form, bulk_form=bulk_form or BulkAssignForm(formdata=None),
                           assign_forms=assign_forms, suggestions=reviewer_suggestions(overview.suggestions),
                           failed_form=failed[1] if failed else None,
                           declared_conflicts=conflicts.declared_conflicts_in_call(call.id), **_labels())
    return html, 400 if request.method == "POST" else 200


@bp.get("/admin/calls/<int:call_id>/review")
@admin_required
def call_review(call_id):
    return _render_call_review(db.get_or_404(Call, call_id))


@bp.post("/admin/calls/<int:call_id>/review/deadline")
@admin_required
def call_review_deadline(call_id):
    call = db.get_or_404(Call, call_id)
    form = ReviewDeadlineForm(tz_name=call.timezone)
    if form.validate_on_submit():
        try:
            command = settings.ReviewDeadlineInput.from_input(form.data, timezone=call.timezone)
            settings.set_review_deadline(current_actor(), call.id, command)
        except DomainError as exc:
            db.session.rollback()
            place_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Review deadline saved.") if command.review_deadline_at else _("Review deadline cleared."),
                  "success")
            return _back(call.id, "deadline")
    return _render_call_review(call, deadline_form=form)


@bp.post("/admin/applications/<int:application_id>/assignments")
@admin_required
def assignment_create(application_id):
    application = db.get_or_404(Application, application_id)
    call = application.call
    form = AssignReviewerForm(prefix=f"a{application.id}")
    if form.validate_on_submit():
        try:
            reviewer_id = assignments.reviewer_from_input(form.reviewer.data)
            made = assignments.assign_reviewer(current_actor(), application.id, reviewer_id)
        except DomainError as exc:
            db.session.rollback()
            place_errors(form, {"reviewer": [exc.message]})
        else:
            message = _("%(name)s is now reviewing %(reference)s.", name=made.reviewer.name,
                        reference=application.reference or application.title)
            db.session.commit()
            flash(message, "success")
            return _back(call.id, f"application-{application.id}")
    return _render_call_review(call, failed=(application.id, form))


@bp.post("/admin/calls/<int:call_id>/assignments")
@admin_required
def assignment_bulk(call_id):
    call = db.get_or_404(Call, call_id)
    form = BulkAssignForm()
    if form.validate_on_submit():
        try:
            reviewer_id = assignments.reviewer_from_input(form.reviewer.data)
            results = assignments.assign_in_bulk(current_actor(), form.application_ids.data, reviewer_id)
        except DomainError as exc:
            db.session.rollback()
            place_errors(form, {"reviewer": [exc.message]})
        else:
            made = sum(1 for _id, outcome in results if isinstance(outcome, Assignment))
            refusals = [_("%(reference)s: %(reason)s", reference=_reference(application_id), reason=outcome)
                        for application_id, outcome in results if not isinstance(outcome, Assignment)]
            db.session.commit()
            if made:
                flash(ngettext("%(num)d application assigned.", "%(num)d applications assigned.", made), "success")
            for refusal in refusals:
                flash(refusal, "error")
            return _back(call.id, "applications")
    return _render_call_review(call, bulk_form=form)


def _reference(application_id: int) -> str:
    application = db.session.get(Application, application_id)  # already in the session: the service loaded it
    return (application.reference or application.title) if application else str(application_id)


@bp.post("/admin/assignments/<int:assignment_id>/remove")
@admin_required
def assignment_remove(assignment_id):
    assignment = db.get_or_404(Assignment, assignment_id)
    call_id, application_id = assignment.call_id, assignment.application_id
    message = _("%(name)s no longer reviews %(reference)s.", name=assignment.reviewer.name,
                reference=assignment.application.reference or assignment.application.title)
    try:
        assignments.remove_assignment(current_actor(), assignment.id)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return _back(call_id, f"application-{application_id}")


@bp.post("/admin/calls/<int:call_id>/auto-assign")
@admin_required
def auto_assign(call_id):
    call = db.get_or_404(Call, call_id)
    try:
        run = runs.launch_auto_assignment(current_actor(), call.id)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(call.id, "auto-assign")
    run_id = run.id
    db.session.commit()  # a large call's run is handed to a worker now, and only now
    if run.status == RunStatus.FAILED and run.error == ABANDONED:  # read again: the broker may have refused it
        flash(_("The automatic assignment could not be handed to a worker. Please try again in a while."), "error")
    return redirect(url_for("core.run", run_id=run_id))


@bp.get("/admin/assignment-runs/<int:run_id>")
@admin_required
def run(run_id):
    # Where a run's page used to be: links in old e-mails and bookmarks still arrive.
    return redirect(url_for("core.run", run_id=run_id), 301)
