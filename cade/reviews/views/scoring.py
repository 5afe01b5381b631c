"""The reviewer's pages: their dashboard, the conflict declaration, reading and scoring one application."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from cade.applications.models import Application
from cade.core.errors import DeadlinePassed, NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import REVIEWER, role_required
from cade.extensions import db
from cade.organisations.constants import ORGANISATION_TYPE_LABELS, STAKEHOLDER_GROUP_LABELS
from cade.programmes.budgets import category_labels
from cade.programmes.models import Call
from cade.reviews.constants import RECOMMENDATION_LABELS, ReviewStatus
from cade.reviews.forms_scoring import DeclarationForm, review_form
from cade.reviews.models import Assignment, Review
from cade.reviews.permissions import can_declare_conflict, can_read_application_for_review
from cade.reviews.services import conflicts, finality, reading, scoring
from cade.reviews.views import bp

# What every version of the assignment's page reads of it, loaded with it in one statement rather than one each.
_WITH_PAGE = (joinedload(Assignment.application).joinedload(Application.organisation),
              joinedload(Assignment.call).joinedload(Call.programme),
              joinedload(Assignment.review).joinedload(Review.scores))


@bp.get("/review/")
@role_required(REVIEWER)
def dashboard():
    return render_template("reviews/dashboard.html", assignments=scoring.reviewer_assignments(current_user),
                           zone=current_user.timezone or "UTC")


@bp.route("/review/assignments/<int:assignment_id>", methods=["GET", "POST"])
@role_required(REVIEWER)
def assignment(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id, options=_WITH_PAGE)
    declaration = conflicts.declaration_for(current_user.id, assignment.application_id) if assignment else None
    # Checked here once for the whole request: the page's parts below read what these checks opened.
    readable = can_read_application_for_review(current_user, assignment, declaration)
    if not readable and not can_declare_conflict(current_user, assignment, declaration):
        abort(404)
    if request.method == "POST" and request.form.get("action") == "declare":
        return _declare(assignment, after_reading=readable)
    if not readable:
        if request.method == "POST":
            flash(_("Please answer the question about conflicts of interest first."), "error")
        return _render_declaration(assignment, DeclarationForm(formdata=None))
    if request.method == "GET":
        return _render_review(assignment, review_form(assignment.call.criteria, assignment.review))
    return _save(assignment)


def _declare(assignment: Assignment, after_reading: bool):
    form = DeclarationForm()
    assignment_id = assignment.id
    if form.validate():
        try:
            conflicts.declare_conflict(current_actor(), assignment_id, form.conflict, form.reason.data)
            db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            place_errors(form, error)
        except finality.ReviewFinal as error:
            db.session.rollback()
            if not after_reading:  # the review page is only ever shown to a reader who declared no conflict
                abort(404)
            # Sent from a page read before the release: the review stays as it was, now read-only.
            review = review_form(assignment.call.criteria, assignment.review)
            place_errors(review, error)
            return _render_review(assignment, review, status=error.status)
        else:
            if not form.conflict:
                flash(_("Thank you. The application is open for your review."), "success")
                return redirect(url_for("reviews.assignment", assignment_id=assignment_id))
            # A draft goes with the assignment; a submitted review stays on record (conflicts.declare_conflict).
            if db.session.get(Assignment, assignment_id) is None:
                flash(_("Thank you. You have been removed from this application and the administrators "
                        "have been told."), "success")
            else:
                flash(_("Thank you. Your submitted review stays on record but no longer counts, and the "
                        "administrators have been told."), "success")
            return redirect(url_for("reviews.dashboard"))
    if after_reading:
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
        command = scoring.ReviewInput.from_input(
            {**form.data, "scores": form.scores(), "submit": submit},
            scales={criterion.id: criterion.max_score for criterion in form.criteria})
        review = scoring.save_review(current_actor(), assignment.id, command)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        # Nothing was saved: the page shows again with everything as it was typed, the bad fields marked.
        place_errors(form, error)
        return _render_review(assignment, form, status=422)
    except (DeadlinePassed, finality.ReviewFinal) as error:
        db.session.rollback()
        # Nothing was saved and the review is closed: the page shows it read-only, with what was typed to copy.
        place_errors(form, error)
        return _render_review(assignment, form, unsaved=True, status=error.status)
    except NotFound:
        db.session.rollback()
        abort(404)
    if review.status == ReviewStatus.SUBMITTED:
        flash(_("Your review was submitted. You may change it until the review deadline."), "success")
        return redirect(url_for("reviews.dashboard"))
    flash(_("Your draft review was saved. Come back to finish it before the due date."), "success")
    # Back to the review, where the total of the saved scores shows (without JavaScript, the only way to see it).
    return redirect(url_for("reviews.assignment", assignment_id=assignment.id, _anchor="review-total"))


def _render_declaration(assignment: Assignment, form: DeclarationForm, status: int = 200):
    facts = reading.facts_before_declaring(assignment)  # the handler checked can_declare_conflict
    return render_template("reviews/review_declare.html", facts=facts, form=form,
                           zone=current_user.timezone or "UTC"), status


def _render_review(assignment: Assignment, form, declaration_form=None, unsaved: bool = False, status: int = 200):
    review = assignment.review
    dates = scoring.review_dates(assignment)
    return render_template(
        "reviews/review_assignment.html", assignment=assignment, form=form, review=review, unsaved=unsaved,
        reading=reading.review_reading(assignment),  # the handler checked can_read_application_for_review
        declaration_form=declaration_form or DeclarationForm(formdata=None),
        final=finality.decision_released(assignment.application_id),
        closed=dates.closed, total=scoring.review_total(review.id if review else None),
        deadline_at=dates.deadline_at, due_at=dates.due_at, zone=current_user.timezone or "UTC",
        scores={score.criterion_id: score.score for score in review.scores} if review else {},
        recommendation_labels=RECOMMENDATION_LABELS, budget_categories=category_labels(assignment.call),
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
