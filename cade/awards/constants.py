"""Decision outcomes and what each does to the application once released."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from cade.applications.constants import ApplicationStatus


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
