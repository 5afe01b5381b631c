"""Statuses and fixed choices of clarification requests and message threads."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from cade.applications.constants import ApplicationStatus


class ClarificationStatus(StrEnum):
    OPEN = "open"  # waiting for the applicant (a draft answer may be saved)
    ANSWERED = "answered"  # answered and resubmitted: review resumed
    WITHDRAWN = "withdrawn"  # taken back by staff: review resumed without an answer


CLARIFICATION_STATUS_LABELS = {
    ClarificationStatus.OPEN: _l("Waiting for the applicant"),
    ClarificationStatus.ANSWERED: _l("Answered"),
    ClarificationStatus.WITHDRAWN: _l("Withdrawn"),
}


class ThreadTopic(StrEnum):
    """An application has one thread while it is decided, and its grant one more once awarded."""

    APPLICATION = "application"
    GRANT = "grant"


class MessageSide(StrEnum):
    ORGANISATION = "organisation"
    PROGRAMME = "programme"


# The application's own fields a clarification may name, besides each question of the call ("q_<id>").
CLARIFIABLE_FIELDS = ("title", "summary", "requested_amount", "budget_lines")

CLARIFIABLE_FIELD_LABELS = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "requested_amount": _l("Amount requested"),
    "budget_lines": _l("Budget lines"),
}

# Only applications sent in and not yet decided can be asked to clarify.
CLARIFIABLE_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)

REQUEST_MESSAGE_MAX_CHARS = 5_000
RESPONSE_MAX_CHARS = 10_000
MESSAGE_MAX_CHARS = 10_000
# Files one message may carry; each within the applications' size limit, all of them within an application's.
MESSAGE_MAX_FILES = 5
# The applicant is reminded once when a clarification is due within this many days.
DUE_SOON_DAYS = 2
