"""Fixed choices for programmes, calls and questions."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l

# The kinds of question belong to the question engine (cade/core/questionnaires); named here too
# because the programme pages, forms and tests know them as programme constants.
from cade.core.questionnaires.kinds import QUESTION_KIND_LABELS, SHORT_TEXT_MAX_CHARS, QuestionKind  # noqa: F401


class ProgrammeKind(StrEnum):
    CAPACITY_DEVELOPMENT = "capacity_development"
    COMMUNITY_NETWORK = "community_network"
    TRAVEL_SUPPORT = "travel_support"


PROGRAMME_KIND_LABELS = {
    ProgrammeKind.CAPACITY_DEVELOPMENT: _l("Capacity development grants"),
    ProgrammeKind.COMMUNITY_NETWORK: _l("Community network grants"),
    ProgrammeKind.TRAVEL_SUPPORT: _l("Travel support"),
}


class CallStatus(StrEnum):
    """Whether a call is visible; open/closed follows from its dates."""

    DRAFT = "draft"
    PUBLISHED = "published"


class CallPhase(StrEnum):
    DRAFT = "draft"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


CALL_PHASE_LABELS = {
    CallPhase.DRAFT: _l("Draft"),
    CallPhase.UPCOMING: _l("Opens soon"),
    CallPhase.OPEN: _l("Open"),
    CallPhase.CLOSED: _l("Closed"),
}
