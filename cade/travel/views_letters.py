"""Travel routes after the decision: the admin's approval per category, and the visa letter with its public check.

They join the travel blueprint (cade/travel/views.py). The awards decision
page links to the approval page through the template global
`travel_approval_url` registered here (awards may not import travel).
"""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from cade.awards.constants import DECISION_OUTCOME_LABELS, FEEDBACK_MAX_CHARS
from cade.awards.permissions import can_change_decision
from cade.awards.services.decisions import decision_for, submitted_review_count
from cade.core.errors import (BudgetExceeded, DomainError, InvalidTransition, NotFound, PermissionDenied,
                              ValidationFailed)
from cade.core.forms import LocalDecimalField, check_money_places, current_actor, place_errors
from cade.core.money import from_minor
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.travel import approval, letters
from cade.travel.constants import COST_CATEGORY_LABELS, CostCategory
from cade.travel.models import VisaLetter
from cade.travel.views import bp



def travel_approval_url(application) -> str | None:
    """The per-category approval page of a travel application, or None for any other application."""
    if application is None or approval.trip_of_application(application.id) is None:
        return None
    return url_for("travel.approve", application_id=application.id)


def travel_cost_label(category: str) -> str:
    """A cost category in the reader's language (e-mails and pages show categories kept as codes)."""
    return str(COST_CATEGORY_LABELS.get(category, category))


bp.add_app_template_global(travel_approval_url, "travel_approval_url")
bp.add_app_template_global(travel_cost_label, "travel_cost_label")


# ---------------------------------------------------------------- approval per category


class ApprovalForm(FlaskForm):
    """The texts of the decision; one amount field per category of the trip is added by `approval_form`."""

    feedback = TextAreaField(_l("Feedback for the applicant"),
                             validators=[InputRequired(), Length(max=FEEDBACK_MAX_CHARS)],
                             description=_l("Sent to the applicant when the call's decisions are released."))
    rationale = TextAreaField(_l("Rationale for the record"),
                              validators=[InputRequired(), Length(max=FEEDBACK_MAX_CHARS)],
                              description=_l("Kept with the decision; never sent to the applicant."))
    override_reason = TextAreaField(_l("Why decide with fewer reviews than required?"),
                                    validators=[Optional(), Length(max=FEEDBACK_MAX_CHARS)])

    currency = "USD"
    categories: list[str] = []

    def amount_fields(self):
        return [self[category] for category in self.categories]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return all([check_money_places(f, self.currency) for f in self.amount_fields()]) and ok


def approval_form(trip, decision, formdata=None) -> ApprovalForm:
    """The form for `trip`: an amount per category, prefilled with what was approved, else with the estimate."""
    currency = trip.application.call.currency
    categories = [cost.category for cost in trip.costs]

    class TripApprovalForm(ApprovalForm):
        pass

    for category in categories:
        label = COST_CATEGORY_LABELS.get(CostCategory(category), category)
        setattr(TripApprovalForm, category, LocalDecimalField(
            label, places=None, validators=[Optional(), NumberRange(min=0, message=_l("Enter zero or more."))]))
    data = None
    if formdata is None:
        data = {cost.category: from_minor(cost.approved_minor if cost.approved_minor is not None
                                          else cost.estimate_minor, currency) for cost in trip.costs}
        if decision is not None:
            data |= {"feedback": decision.feedback, "rationale": decision.rationale,
                     "override_reason": decision.override_reason}
    form = TripApprovalForm(formdata=formdata, data=data)
    form.currency, form.categories = currency, categories
    return form


def _trip_or_404(application_id: int):
    trip = approval.trip_of_application(application_id)
    if trip is None:
        abort(404)
    return trip


def _render_approve(trip, form, status: int = 200):
    application = trip.application
    call = application.call
    decision = decision_for(application.id)
    return render_template(
        "travel/approve.html", application=application, call=call, trip=trip, form=form, decision=decision,
        caps=approval.caps_of(call.id), changeable=can_change_decision(application, decision),
        few_reviews=submitted_review_count(application.id) < call.reviews_required,
        labels=COST_CATEGORY_LABELS, outcome_labels=DECISION_OUTCOME_LABELS), status


@bp.route("/admin/applications/<int:application_id>/travel-approval", methods=["GET", "POST"])
@admin_required
def approve(application_id: int):
    trip = _trip_or_404(application_id)
    decision = decision_for(application_id)
    if request.method == "GET":
        return _render_approve(trip, approval_form(trip, decision))
    form = approval_form(trip, decision, formdata=request.form)
    if form.validate():
        call = trip.application.call
        try:
            command = approval.ApprovalInput.from_input(form.data, currency=call.currency)
            approval.approve_costs(current_actor(), application_id, command)
        except (ValidationFailed, BudgetExceeded) as error:
            db.session.rollback()
            place_errors(form, error)
        except InvalidTransition as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("travel.approve", application_id=application_id), 303)
        else:
            db.session.commit()
            flash(_("Travel approved per category. The traveller is told once the call's decisions are released."),
                  "success")
            return redirect(url_for("awards.decide", application_id=application_id), 303)
    return _render_approve(trip, form, status=422)


# ---------------------------------------------------------------- the visa letter


def _readable_trip(trip_id: int):
    try:
        return letters.readable_trip(current_actor(), trip_id)
    except NotFound:
        abort(404)


def _render_letters(trip, status: int = 200):
    actor = current_actor()
    return render_template("travel/letters.html", trip=trip, application=trip.application,
                           letters=letters.letters_of(trip), current=letters.current_letter(trip),
                           approved=letters.is_approved(trip), can_issue=letters.can_issue_letter(actor, trip),
                           can_revoke=letters.can_revoke_letter(actor)), status


@bp.get("/trips/<int:trip_id>/visa-letter")
@login_required
def trip_letter(trip_id: int):
    return _render_letters(_readable_trip(trip_id))


@bp.post("/trips/<int:trip_id>/visa-letter")
@login_required
def issue_letter(trip_id: int):
    trip = _readable_trip(trip_id)
    try:
        letters.issue_letter(current_actor(), trip.id)
    except (InvalidTransition, PermissionDenied) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_letters(trip, status=error.status)
    db.session.commit()
    flash(_("The visa letter is ready to download."), "success")
    return redirect(url_for("travel.trip_letter", trip_id=trip.id), 303)


@bp.get("/travel/visa-letters/<int:letter_id>.pdf")
@login_required
def download_letter(letter_id: int):
    try:
        letter, stream = letters.open_letter(current_actor(), letter_id)
    except NotFound:
        abort(404)
    response = send_file(stream, mimetype="application/pdf", as_attachment=True,
                         download_name=f"visa-letter-{letter.code}.pdf", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/visa-letters/<code>")
def verify_letter(code: str):
    letter = letters.letter_by_code(code)
    if letter is None:
        return render_template("travel/letter_check.html", letter=None, code=code[:40]), 404
    return render_template("travel/letter_check.html", letter=letter, trip=letter.trip, code=letter.code), \
        410 if letter.revoked_at is not None else 200


class RevokeLetterForm(FlaskForm):
    reason = TextAreaField(_l("Why is the letter revoked?"), validators=[InputRequired(), Length(max=2000)],
                           description=_l("Shown on the letter's public check page."))


@bp.route("/admin/visa-letters/<int:letter_id>/revoke", methods=["GET", "POST"])
@admin_required
def revoke_letter(letter_id: int):
    letter = db.get_or_404(VisaLetter, letter_id)
    form = RevokeLetterForm()
    if form.validate_on_submit():
        try:
            letters.revoke_letter(current_actor(), letter.id,
                                  letters.RevokeLetterInput.from_input({"reason": form.reason.data}))
        except ValidationFailed as error:
            db.session.rollback()
            place_errors(form, error)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("Visa letter revoked."), "success")
            return redirect(url_for("travel.trip_letter", trip_id=letter.trip_id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("travel/letter_revoke.html", form=form, letter=letter, trip=letter.trip), status
