"""The applicant's page for a released decision: outcome, amount, and the feedback and comments as released."""

from flask import abort, render_template
from flask_login import current_user, login_required

from cade.applications.constants import APPLICATION_STATUS_LABELS
from cade.applications.models import Application
from cade.awards.constants import RELEASED_STATUS
from cade.awards.permissions import can_view_outcome
from cade.awards.services.decisions import decision_for
from cade.awards.services.release import outcome_text
from cade.awards.views import bp
from cade.extensions import db


# The applicant reads what happened to the application ("Awarded", "Not funded"), not the admin's verb ("Reject").
OUTCOME_LABELS = {outcome: APPLICATION_STATUS_LABELS[status] for outcome, status in RELEASED_STATUS.items()}


@bp.get("/applications/<int:application_id>/decision")
@login_required
def outcome(application_id: int):
    application = db.session.get(Application, application_id)
    decision = decision_for(application_id) if application is not None else None
    # Before release the decision does not exist for the applicant: 404, as for any stranger.
    if not can_view_outcome(current_user, application, decision):
        abort(404)
    feedback, comments = outcome_text(decision)
    return render_template("awards/outcome.html", application=application, call=application.call,
                           decision=decision, feedback=feedback, comments=comments, outcome_labels=OUTCOME_LABELS)
