"""When a review is final: once the decision on its application is released, none of its reviews changes.

Reviews sit below awards and never read a decision. They need not: releasing a
call's decisions (cade.awards.services.release) moves each released application
to its outcome's status in the same transaction, under the call's row lock, and
nothing else gives an application one of those statuses. So, seen from here,
"the decision is released" is "the application has its outcome"
(tests/reviews/test_frozen_reviews.py fails if the release ever says otherwise).

A service that changes a review takes the call's row lock first, as the release
does, and asks `refuse_if_final` after it: a change either commits wholly before
the release or is refused after it, and the score a decision rested on is the
score the applicant's outcome keeps.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.sql import ColumnElement

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.core.errors import DomainError
from cade.extensions import db

# The statuses a release gives an application (cade.awards.constants.RELEASED_STATUS); waitlisted → awarded stays.
# A concept note shortlisted for a two-stage call's full-proposal stage has had its decision released too.
RELEASED_STATUSES = (ApplicationStatus.AWARDED, ApplicationStatus.WAITLISTED, ApplicationStatus.REJECTED,
                     ApplicationStatus.SHORTLISTED)


class ReviewFinal(DomainError, status=409, slug="review-final"):
    default_message = _l("The decision on this application has been released: your review is final.")


def released() -> ColumnElement[bool]:
    """Whether an Application row's decision has been released, for queries that list reviews."""
    return Application.status.in_([str(status) for status in RELEASED_STATUSES])


def decision_released(application_id: int) -> bool:
    """Whether the decision on the application has been released; read from the database, never the session."""
    return bool(db.session.scalar(select(released()).where(Application.id == application_id)))


def refuse_if_final(application_id: int) -> None:
    """Raise ReviewFinal once the decision on the application is released; call it holding the call's row lock."""
    if decision_released(application_id):
        raise ReviewFinal()
