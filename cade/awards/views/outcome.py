"""The applicant's page for a released decision: outcome, feedback and comments as released, and the offer.

An award's page is its offer: the amount, the acceptance deadline (in the
call's zone and the reader's), and for an owner of the organisation the
forms to accept or decline it; once answered, the record of who did it and when.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.applications.constants import APPLICATION_STATUS_LABELS
from cade.applications.models import Application
from cade.awards.constants import OFFER_STATUS_LABELS, RELEASED_STATUS
from cade.awards.forms import AcceptOfferForm, DeclineOfferForm
from cade.awards.permissions import can_answer_offer, can_view_outcome
from cade.awards.services import offers
from cade.awards.services.decisions import decision_for
from cade.awards.services.release import outcome_text
from cade.awards.views import bp
from cade.core.errors import DomainError, NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.extensions import db

# The applicant reads what happened to the application ("Awarded", "Not funded"), not the admin's verb ("Reject").
OUTCOME_LABELS = {outcome: APPLICATION_STATUS_LABELS[status] for outcome, status in RELEASED_STATUS.items()}


def _load(application_id: int):
    application = db.session.get(Application, application_id)
    decision = decision_for(application_id) if application is not None else None
    # Before release the decision does not exist for the applicant: 404, as for any stranger.
    if not can_view_outcome(current_user, application, decision):
        abort(404)
    return application, decision


def _render(application, decision, accept_form=None, decline_form=None, status: int = 200):
    feedback, comments = outcome_text(decision)
    return render_template(
        "awards/outcome.html", application=application, call=application.call, decision=decision,
        feedback=feedback, comments=comments, outcome_labels=OUTCOME_LABELS, offer_labels=OFFER_STATUS_LABELS,
        can_answer=can_answer_offer(current_user, application),
        accept_form=accept_form or AcceptOfferForm(formdata=None),
        decline_form=decline_form or DeclineOfferForm(formdata=None),
    ), status


@bp.get("/applications/<int:application_id>/decision")
@login_required
def outcome(application_id: int):
    return _render(*_load(application_id))


def _answer(application_id: int, form, service, command_class, success: str):
    application, decision = _load(application_id)
    if not decision.is_offer:
        abort(404)
    forms = {"accept_form": form} if isinstance(form, AcceptOfferForm) else {"decline_form": form}
    valid = form.validate()
    try:
        command = command_class.from_input(form.data)
    except ValidationFailed as error:
        for field in form:  # the service's own wording for what is missing, once beside each field
            field.errors = []
        place_errors(form, error)
        return _render(application, decision, status=422, **forms)
    if not valid:
        return _render(application, decision, status=422, **forms)
    try:
        service(current_actor(), decision.id, command)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        db.session.refresh(decision)
        if decision.status != "released":  # answered meanwhile: the record says by whom
            flash(error.message, "error")
            return redirect(url_for(".outcome", application_id=application_id), 303)
        place_errors(form, error)
        return _render(application, decision, status=error.status, **forms)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for(".outcome", application_id=application_id, _anchor="offer"), 303)


@bp.post("/applications/<int:application_id>/decision/accept")
@login_required
def accept_offer(application_id: int):
    return _answer(application_id, AcceptOfferForm(), offers.accept_offer, offers.AcceptOfferInput,
                   _("Thank you: the offer is accepted. The programme team has been told."))


@bp.post("/applications/<int:application_id>/decision/decline")
@login_required
def decline_offer(application_id: int):
    return _answer(application_id, DeclineOfferForm(), offers.decline_offer, offers.DeclineOfferInput,
                   _("The offer is declined. The programme team has been told."))
