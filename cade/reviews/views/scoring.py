"""The reviewer's pages: their dashboard, the conflict declaration, reading and scoring one application."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cade.applications.constants import BUDGET_CATEGORIES
from cade.core.errors import DeadlinePassed, NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import REVIEWER, role_required
from cade.extensions import db
from cade.organisations.constants import ORGANISATION_TYPE_LABELS, STAKEHOLDER_GROUP_LABELS
from cade.reviews.constants import RECOMMENDATION_LABELS, ReviewStatus
from cade.reviews.forms_scoring import DeclarationForm, review_form
from cade.reviews.models import Assignment
from cade.reviews.permissions import can_read_application_for_review, can_see_assignment
from cade.reviews.services import conflicts, reading, scoring, settings
from cade.reviews.views import bp


def _load_assignment(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if not can_see_assignment(current_user, assignment):
        abort(404)
    return assignment


@bp.get("/review/")
@role_required(REVIEWER)
def dashboard():
    return render_template("reviews/dashboard.html", assignments=scoring.reviewer_assignments(current_user),
                           zone=current_user.timezone or "UTC")


@bp.route("/review/assignments/<int:assignment_id>", methods=["GET", "POST"])
@role_required(REVIEWER)
def assignment(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    declaration = conflicts.declaration_for(current_user.id, assignment.application_id)
    if request.method == "POST" and request.form.get("action") == "declare":
        return _declare(assignment)
    if not can_read_application_for_review(current_user, assignment, declaration):
        if request.method == "POST":
            flash(_("Please answer the question about conflicts of interest first."), "error")
        return _render_declaration(assignment, DeclarationForm(formdata=None))
    if request.method == "GET":
        return _render_review(assignment, review_form(assignment.call.criteria, assignment.review))
    return _save(assignment)


def _declare(assignment: Assignment):
    form = DeclarationForm()
    declared = conflicts.declaration_for(current_user.id, assignment.application_id) is not None
    if form.validate():
        try:
            conflicts.declare_conflict(current_actor(), assignment.id, form.conflict, form.reason.data)
            db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            place_errors(form, error)
        else:
            if form.conflict:
                flash(_("Thank you. You have been removed from this application and the administrators "
                        "have been told."), "success")
                return redirect(url_for("reviews.dashboard"))
            flash(_("Thank you. The application is open for your review."), "success")
            return redirect(url_for("reviews.assignment", assignment_id=assignment.id))
    if declared:
        # "A conflict after all", sent from the review page: show that page again with the error.
        return _render_review(assignment, review_form(assignment.call.criteria, assignment.review),
                              declaration_form=form, status=422)
    return _render_declaration(assignment, form, status=422)


def _save(assignment: Assignment):
    form = review_form(assignment.call.criteria)
    submit = request.form.get("action") == "submit"
    if not form.validate():
        return _render_review(assignment, form, status=422)
    try:
        review = scoring.save_review(current_actor(), assignment.id, scores=form.scores(),
                            recommendation=form.recommendation.data,
                            comment_to_applicant=form.comment_to_applicant.data,
                            confidential_comment=form.confidential_comment.data, submit=submit)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        # Nothing was saved: the page shows again with everything as it was typed, the bad fields marked.
        place_errors(form, error)
        return _render_review(assignment, form, status=422)
    except DeadlinePassed as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("reviews.assignment", assignment_id=assignment.id))
    except NotFound:
        db.session.rollback()
        abort(404)
    if review.status == ReviewStatus.SUBMITTED:
        flash(_("Your review was submitted. You may change it until the review deadline."), "success")
    else:
        flash(_("Your draft review was saved. Come back to finish it before the due date."), "success")
    return redirect(url_for("reviews.dashboard"))


def _render_declaration(assignment: Assignment, form: DeclarationForm, status: int = 200):
    call = assignment.call
    return render_template("reviews/review_declare.html", assignment=assignment, call=call,
                           application=assignment.application, form=form,
                           organisation_name=None if call.blind_review else assignment.application.organisation.name,
                           due_at=scoring.review_deadline_for(assignment),
                           zone=current_user.timezone or "UTC"), status


def _render_review(assignment: Assignment, form, declaration_form=None, status: int = 200):
    review = assignment.review
    return render_template(
        "reviews/review_assignment.html", assignment=assignment, form=form, review=review,
        reading=reading.application_for_review(current_actor(), assignment.id),
        declaration_form=declaration_form or DeclarationForm(formdata=None),
        closed=scoring.reviews_closed(assignment.call_id),
        deadline_at=settings.review_deadline(assignment.call_id),
        due_at=scoring.review_deadline_for(assignment), zone=current_user.timezone or "UTC",
        scores={score.criterion_id: score.score for score in review.scores} if review else {},
        recommendation_labels=RECOMMENDATION_LABELS, budget_categories=BUDGET_CATEGORIES,
        organisation_type_labels=ORGANISATION_TYPE_LABELS, stakeholder_group_labels=STAKEHOLDER_GROUP_LABELS,
    ), status


@bp.get("/review/assignments/<int:assignment_id>/attachments/<int:attachment_id>")
@role_required(REVIEWER)
def attachment(assignment_id: int, attachment_id: int):
    try:
        entry, stream = reading.open_review_attachment(current_actor(), assignment_id, attachment_id)
    except (NotFound, FileNotFoundError):
        abort(404)
    # Werkzeug writes a non-ASCII name as RFC 6266 filename* with an ASCII fallback.
    response = send_file(stream, mimetype=entry.content_type, as_attachment=True,
                         download_name=entry.download_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
