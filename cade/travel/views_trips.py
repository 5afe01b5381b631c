"""The trip page of a travel application (its organisation's members); travel routes join the travel blueprint."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.applications.models import Application
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.money import from_minor
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.organisations.services.queries import is_member, members_of
from cade.travel import trips as service
from cade.travel.constants import COST_CATEGORY_LABELS, TRAVELLER_ROLE_LABELS, CostCategory
from cade.travel.forms_trips import TripForm, trip_values
from cade.travel.views import bp

# The applications pages ask these to show the trip section (applications may not import travel).
bp.add_app_template_global(service.is_travel_call, "is_travel_call")
bp.add_app_template_global(service.trip_of, "travel_trip_of")
# The reviewer's page (templates/reviews/review_assignment.html) includes travel/trip_reading.html with it.
bp.add_app_template_global(service.trip_for_review, "trip_for_review")


@bp.app_context_processor
def _trip_labels():
    return {"cost_category_labels": COST_CATEGORY_LABELS, "traveller_role_labels": TRAVELLER_ROLE_LABELS}


def _application_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if (application is None or not is_member(current_user, application.organisation_id)
            or not service.is_travel_call(application.call_id)):
        abort(404)
    return application


def _estimates_of(trip, currency: str) -> dict:
    return {service.estimate_field(cost.category): f"{from_minor(cost.estimate_minor, currency)}"
            for cost in (trip.costs if trip is not None else []) if cost.category != CostCategory.PER_DIEM}


def _render(application, form, status=200):
    call = application.call
    trip = service.trip_of(application)
    caps = service.call_caps(call.id)
    per_diem = (service.per_diem_estimate(call, trip.event, trip.departs_on, trip.returns_on)
                if trip is not None else None)
    return render_template("travel/trip.html", application=application, call=call, trip=trip, form=form,
                           caps=caps, per_diem=per_diem, per_diem_covered=str(CostCategory.PER_DIEM) in caps,
                           estimates=form.estimate_fields(caps), editable=application.is_draft,
                           private=True), status


@bp.route("/applications/<int:application_id>/trip", methods=["GET", "POST"])
@login_required
def trip(application_id: int):
    application = _application_or_404(application_id)
    call = application.call
    members = [membership.user for membership in members_of(application.organisation)]
    if request.method == "GET":
        saved = service.trip_of(application)
        form = TripForm(data={**trip_values(saved), **_estimates_of(saved, call.currency)})
        form.set_choices(service.call_events(call.id), members)
        return _render(application, form)
    form = TripForm()
    form.set_choices(service.call_events(call.id), members)
    try:
        command = service.trip_input(request.form, currency=call.currency, locale=str(get_locale() or "en"))
        service.save_trip(current_actor(), application.id, command)
    except ValidationFailed as error:
        db.session.rollback()
        place_errors(form, error)
        return _render(application, form, error.status)
    except InvalidTransition as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("applications.view", application_id=application.id))
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("The trip is saved. The amount requested is the sum of its costs."), "success")
    return redirect(url_for("travel.trip", application_id=application.id))


def can_see_trip_privately(user, application) -> bool:
    """The passport country and gender: the organisation's members and administrators only."""
    return is_admin(user) or is_member(user, application.organisation_id)


bp.add_app_template_global(can_see_trip_privately, "can_see_trip_privately")
