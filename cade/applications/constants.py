"""Application states, their labels and the fixed choices of a draft.

The allowed moves between the states are APPLICATION_MACHINE, next to the model (cade/applications/models.py).
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from cade.programmes.constants import DEFAULT_BUDGET_CATEGORIES


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    AWARDED = "awarded"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    # Review paused while the applicant clarifies named fields (cade/conversations/clarifications.py).
    INFO_REQUESTED = "info_requested"
    # A concept note chosen for the full-proposal stage of a two-stage call (cade/stages).
    SHORTLISTED = "shortlisted"


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.DRAFT: _l("Draft"),
    ApplicationStatus.SUBMITTED: _l("Submitted"),
    ApplicationStatus.UNDER_REVIEW: _l("Under review"),
    ApplicationStatus.AWARDED: _l("Awarded"),
    ApplicationStatus.WAITLISTED: _l("Waitlisted"),
    ApplicationStatus.REJECTED: _l("Not funded"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
    ApplicationStatus.INFO_REQUESTED: _l("Information requested"),
    ApplicationStatus.SHORTLISTED: _l("Shortlisted: invited to submit a full proposal"),
}

ALLOWED_CONTENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}

# A call's own categories are read through cade/programmes/budgets.py; these serve a call without a template.
BUDGET_CATEGORIES = DEFAULT_BUDGET_CATEGORIES

# Zip-based formats that `filetype` recognises: the entry that must be inside the archive.
ZIP_CONTAINER_MARKERS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/document.xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/workbook.xml",
    "application/vnd.oasis.opendocument.text": "mimetype",
}

# Statuses that hold the organisation's one live application to a call.
LIVE_STATUSES = tuple(s for s in ApplicationStatus if s != ApplicationStatus.WITHDRAWN)

# Sent in and not yet decided (or decided but not released): what reviewers read and admins decide on. An
# application whose applicant is asked to clarify stays in review (never decided meanwhile: cade/conversations).
IN_REVIEW_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.INFO_REQUESTED)

# Call-closing reminders: (notification kind, idempotency key prefix, window before closing).
CLOSING_REMINDERS = (
    ("applications.call_closing_7d", "closing7d", 7 * 24),
    ("applications.call_closing_48h", "closing48h", 48),
)

# Bounds on what a draft may hold, so that no post can exhaust the server or overflow a column.
MAX_BUDGET_LINES = 100
# Amounts in minor units (ten trillion dollars in cents): far above any grant, far below BigInteger.
MAX_AMOUNT_MINOR = 10**15


class ConsentMethod(StrEnum):
    """How an organisation agreed that the programme's staff enter and submit its application (cade/applications/
    assisted.py): kept with the application, audited."""

    SIGNED_FORM = "signed_form"
    EMAIL = "email"
    PHONE = "phone"
    IN_PERSON = "in_person"


CONSENT_METHOD_LABELS = {
    ConsentMethod.SIGNED_FORM: _l("Signed paper form"),
    ConsentMethod.EMAIL: _l("E-mail"),
    ConsentMethod.PHONE: _l("Phone call"),
    ConsentMethod.IN_PERSON: _l("In person"),
}
