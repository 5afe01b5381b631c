"""The reviews API, one module a concern: pool, conflicts, assignment, scoring, aggregation, reminders.

Callers import the module they need (``from cade.reviews.services import conflicts``).
Every function takes the acting user explicitly, flushes but never commits,
and raises `cade.core.errors` DomainErrors with messages safe to show.
"""

from sqlalchemy import exists, select

from cade.extensions import db
from cade.programmes import services as programme_services
from cade.applications.models import Application
from cade.reviews.models import ConflictDeclaration, Review


def _call_has_reviews(call) -> bool:
    """The programmes hook: once a call has reviews (drafts too), its rubric keeps its criteria and scales."""
    return bool(db.session.scalar(select(exists().where(Review.call_id == call.id))))


programme_services.rubric_lock_checks.append(_call_has_reviews)


def _call_has_opened_applications(call) -> bool:
    """The programmes hook: once a reviewer has met an application of the call, its blind review stays as it is.

    "No conflict" opens the application; a declared conflict counts too, as the
    declaration keeps only the latest answer (a conflict may follow a "no
    conflict") and in an open call the reviewer saw the organisation's name
    to answer at all.
    """
    return bool(db.session.scalar(select(exists().where(
        ConflictDeclaration.application_id == Application.id, Application.call_id == call.id))))


programme_services.blind_review_lock_checks.append(_call_has_opened_applications)
