"""Review enums, fixed choices and the thresholds DESIGN §4 names."""

from datetime import timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Recommendation(StrEnum):
    FUND = "fund"
    FUND_WITH_CHANGES = "fund_with_changes"
    DO_NOT_FUND = "do_not_fund"


RECOMMENDATION_LABELS = {
    Recommendation.FUND: _l("Fund"),
    Recommendation.FUND_WITH_CHANGES: _l("Fund with changes"),
    Recommendation.DO_NOT_FUND: _l("Do not fund"),
}

# Recommendations on opposite sides: one reviewer would fund (with or without changes), another would not.
POSITIVE_RECOMMENDATIONS = (Recommendation.FUND, Recommendation.FUND_WITH_CHANGES)
NEGATIVE_RECOMMENDATIONS = (Recommendation.DO_NOT_FUND,)


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


REVIEW_STATUS_LABELS = {ReviewStatus.DRAFT: _l("Draft"), ReviewStatus.SUBMITTED: _l("Submitted")}


class AssignmentMethod(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"


# The run kind of automatic assignment (cade/core/runs; declared in cade/reviews/services/runs.py).
ASSIGNMENT_RUN_KIND = "assignment"

# Why the planner could not cover an application (reason codes from cade.reviews.planner).
UNCOVERED_REASONS = {
    "no_reviewers": _l("There are no reviewers in the pool."),
    "all_conflicted": _l("Every reviewer has a conflict of interest or is already assigned."),
    "capacity": _l("Every reviewer without a conflict has reached their maximum load."),
}

# Aggregation thresholds (issue 3, item 5).
DISAGREEMENT_SPREAD = 25  # points on the 0–100 scale
NORMALISATION_MIN_REVIEWS = 3  # submitted reviews in the call before a reviewer's z-scores count

# Reminders: a review due within this window gets one "due soon" message.
DUE_SOON = timedelta(days=3)

DEFAULT_MAX_LOAD = 10
MAX_LOAD_LIMIT = 500
COMMENT_MAX_CHARS = 10_000
CONFLICT_REASON_MAX_CHARS = 2_000

# Sharing an address at one of these providers says nothing about who someone works with.
PUBLIC_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "yahoo.es", "yahoo.com.br", "ymail.com",
    "hotmail.com", "hotmail.fr", "hotmail.es", "outlook.com", "outlook.fr", "live.com", "live.fr", "msn.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.net",
    "gmx.de", "mail.com", "mail.ru", "yandex.com", "yandex.ru", "zoho.com", "qq.com", "163.com", "126.com",
    "orange.fr", "free.fr", "laposte.net", "wanadoo.fr", "bol.com.br", "uol.com.br", "terra.com.br",
    "rediffmail.com", "tutanota.com", "fastmail.com", "example.org", "example.com", "example.net",
})
