"""Decision outcomes and statuses, and what each outcome does to the application once released."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from cade.applications.constants import ApplicationStatus


class DecisionStatus(StrEnum):
    """Where a decision is in its life (DECISION_MACHINE in cade/awards/models.py has the moves).

    A released award is an offer: its organisation's owner accepts or declines
    it, or its deadline passes (lapsed). A released waitlist or rejection stays released.
    """

    DECIDED = "decided"  # made, may still change; only staff see it
    RELEASED = "released"  # sent to the applicant; final (an award: an offer awaiting its answer)
    ACCEPTED = "accepted"  # the offer accepted by an owner of the applicant organisation
    DECLINED = "declined"  # the offer declined, with a reason: its money is free again
    LAPSED = "lapsed"  # the offer's acceptance deadline passed without an answer: its money is free again


# Decisions whose award holds its amount against the call's envelope (cade/awards/services/commitments.py).
# A declined or lapsed offer is left out: its money is free again.
COMMITTING_STATUSES = (DecisionStatus.DECIDED, DecisionStatus.RELEASED, DecisionStatus.ACCEPTED)

# The offer's statuses once it has an answer (or none came in time), with the applicant's wording.
OFFER_STATUS_LABELS = {
    DecisionStatus.RELEASED: _l("Awaiting your answer"),
    DecisionStatus.ACCEPTED: _l("Accepted"),
    DecisionStatus.DECLINED: _l("Declined"),
    DecisionStatus.LAPSED: _l("Lapsed: the deadline passed without an answer"),
}

# The same statuses as the administrators read them.
ADMIN_OFFER_LABELS = {
    DecisionStatus.RELEASED: _l("Awaiting an answer"),
    DecisionStatus.ACCEPTED: _l("Accepted"),
    DecisionStatus.DECLINED: _l("Declined: the money is free again"),
    DecisionStatus.LAPSED: _l("Lapsed: no answer by the deadline; the money is free again"),
}

# The offer's "deadline near" reminder goes this many days before the acceptance deadline.
OFFER_REMINDER_DAYS = 7
SIGNATORY_MAX_CHARS = 200


class DecisionOutcome(StrEnum):
    AWARD = "award"
    WAITLIST = "waitlist"
    REJECT = "reject"
    # The concept-note stage of a two-stage call (cade/stages): invited to submit a full proposal.
    SHORTLIST = "shortlist"


DECISION_OUTCOME_LABELS = {
    DecisionOutcome.AWARD: _l("Award"),
    DecisionOutcome.SHORTLIST: _l("Shortlist"),
    DecisionOutcome.WAITLIST: _l("Waitlist"),
    DecisionOutcome.REJECT: _l("Reject"),
}

# The application status a decision sets when the call's decisions are released.
RELEASED_STATUS = {
    DecisionOutcome.AWARD: ApplicationStatus.AWARDED,
    DecisionOutcome.WAITLIST: ApplicationStatus.WAITLISTED,
    DecisionOutcome.REJECT: ApplicationStatus.REJECTED,
    DecisionOutcome.SHORTLIST: ApplicationStatus.SHORTLISTED,
}

FEEDBACK_MAX_CHARS = 10_000
