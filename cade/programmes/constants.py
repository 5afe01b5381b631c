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


class BudgetHeadingKind(StrEnum):
    """What a budget heading holds: the caps given as a share are shares of the direct costs."""

    DIRECT = "direct"
    INDIRECT = "indirect"
    CONTINGENCY = "contingency"


BUDGET_HEADING_KIND_LABELS = {
    BudgetHeadingKind.DIRECT: _l("Direct costs"),
    BudgetHeadingKind.INDIRECT: _l("Indirect costs"),
    BudgetHeadingKind.CONTINGENCY: _l("Contingency"),
}

# The budget categories of a call without a budget template of its own (cade/programmes/budgets.py reads a call's).
DEFAULT_BUDGET_CATEGORIES = {
    "personnel": _l("Personnel"),
    "equipment": _l("Equipment"),
    "training": _l("Training and workshops"),
    "travel": _l("Travel"),
    "connectivity": _l("Connectivity"),
    "operations": _l("Operations and overheads"),
    "other": _l("Other"),
}
