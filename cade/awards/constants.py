"""Decision outcomes and statuses, and what each outcome does to the application once released."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from cade.applications.constants import ApplicationStatus


class DecisionStatus(StrEnum):
    """Where a decision is in its life (DECISION_MACHINE in cade/awards/models.py has the moves).

    Accepted and declined offers come next, after released.
    """

    DECIDED = "decided"  # made, may still change; only staff see it
    RELEASED = "released"  # sent to the applicant; final


# Decisions whose award holds its amount against the call's envelope (cade/awards/services/commitments.py).
# A declined offer, when offers can be declined, will be left out: its money is free again.
COMMITTING_STATUSES = (DecisionStatus.DECIDED, DecisionStatus.RELEASED)


class DecisionOutcome(StrEnum):
    AWARD = "award"
    WAITLIST = "waitlist"
    REJECT = "reject"


DECISION_OUTCOME_LABELS = {
    DecisionOutcome.AWARD: _l("Award"),
    DecisionOutcome.WAITLIST: _l("Waitlist"),
    DecisionOutcome.REJECT: _l("Reject"),
}

# The application status a decision sets when the call's decisions are released.
RELEASED_STATUS = {
    DecisionOutcome.AWARD: ApplicationStatus.AWARDED,
    DecisionOutcome.WAITLIST: ApplicationStatus.WAITLISTED,
    DecisionOutcome.REJECT: ApplicationStatus.REJECTED,
}

FEEDBACK_MAX_CHARS = 10_000
