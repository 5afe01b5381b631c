"""Fixed choices for courses, sessions and enrolments."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class CourseFormat(StrEnum):
    SELF_PACED = "self_paced"
    WORKSHOP = "workshop"
    WEBINAR = "webinar"
    STAFF_EXCHANGE = "staff_exchange"
    STUDY_VISIT = "study_visit"


COURSE_FORMAT_LABELS = {
    CourseFormat.SELF_PACED: _l("Self-paced course"),
    CourseFormat.WORKSHOP: _l("Workshop"),
    CourseFormat.WEBINAR: _l("Webinar"),
    CourseFormat.STAFF_EXCHANGE: _l("Staff exchange"),
    CourseFormat.STUDY_VISIT: _l("Study visit"),
}


class CapacityDimension(StrEnum):
    """The capacities a course builds and an assessment scores (DESIGN §3)."""

    GOVERNANCE = "governance"
    FINANCIAL_MANAGEMENT = "financial_management"
    FUNDRAISING = "fundraising"
    POLICY_ENGAGEMENT = "policy_engagement"
    DIGITAL_SECURITY = "digital_security"
    NETWORK_OPERATIONS = "network_operations"
    MONITORING_EVALUATION = "monitoring_evaluation"


DIMENSION_LABELS = {
    CapacityDimension.GOVERNANCE: _l("Governance"),
    CapacityDimension.FINANCIAL_MANAGEMENT: _l("Financial management"),
    CapacityDimension.FUNDRAISING: _l("Fundraising"),
    CapacityDimension.POLICY_ENGAGEMENT: _l("Policy engagement"),
    CapacityDimension.DIGITAL_SECURITY: _l("Digital security"),
    CapacityDimension.NETWORK_OPERATIONS: _l("Network operations"),
    CapacityDimension.MONITORING_EVALUATION: _l("Monitoring and evaluation"),
}

# The languages a course can be given in (ISO 639-1); shown by name in the reader's language.
COURSE_LANGUAGES = ("en", "fr", "es", "pt", "ar", "ru", "sw")


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class EnrolmentStatus(StrEnum):
    """Confirmed and waitlisted come with enrolment; attended, completed and no_show with attendance."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


ENROLMENT_STATUS_LABELS = {
    EnrolmentStatus.CONFIRMED: _l("Confirmed"),
    EnrolmentStatus.WAITLISTED: _l("On the waiting list"),
    EnrolmentStatus.CANCELLED: _l("Cancelled"),
    EnrolmentStatus.ATTENDED: _l("Attended"),
    EnrolmentStatus.COMPLETED: _l("Completed"),
    EnrolmentStatus.NO_SHOW: _l("Did not attend"),
}

# Every status but cancelled holds the person's place in the session: at most one such enrolment per person.
LIVE_STATUSES = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED, EnrolmentStatus.ATTENDED,
                 EnrolmentStatus.COMPLETED, EnrolmentStatus.NO_SHOW)
# The statuses that hold a seat (what `seats` counts) and that see the place or the online link.
SEATED_STATUSES = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.ATTENDED, EnrolmentStatus.COMPLETED,
                   EnrolmentStatus.NO_SHOW)
