"""Fixed choices for programmes, calls and questions."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


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


class QuestionKind(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    CHOICE = "choice"
    DATE = "date"
    FILE = "file"


QUESTION_KIND_LABELS = {
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.NUMBER: _l("Number"),
    QuestionKind.CHOICE: _l("Choice"),
    QuestionKind.DATE: _l("Date"),
    QuestionKind.FILE: _l("File"),
}

SHORT_TEXT_MAX_CHARS = 300
