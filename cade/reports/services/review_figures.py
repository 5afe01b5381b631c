"""The review figures of a funding summary: who reviewed how much, how fast, how often reviewers disagreed.

Over the applications the summary selects (the same programmes, calls and
period): assignments and submitted reviews per reviewer, completion, the mean
time from assignment to submission, the share of reviewed applications whose
reviewers disagreed (as the ranking flags it: cade/reviews/services/aggregation.py)
and the conflicts of interest declared. A handful of aggregate statements
whatever the number of reviews.
"""

from decimal import Decimal

from sqlalchemy import Float, and_, case, cast, func, select

from cade.accounts.models import User
from cade.applications.models import Application
from cade.extensions import db
from cade.reviews.constants import ReviewStatus
from cade.reviews.models import Assignment, ConflictDeclaration, Review
from cade.reviews.services.aggregation import application_scores

DAY_SECONDS = 86_400


def _seconds_between(start, end):
    """end − start in seconds, on either database (SQLite keeps datetimes as text)."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * DAY_SECONDS


def _share(part: int, whole: int) -> str | None:
    return None if not whole else str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")))


def _days(seconds) -> str | None:
    return None if seconds is None else str((Decimal(str(seconds)) / DAY_SECONDS).quantize(Decimal("0.1")))


def review_figures(selected) -> dict:
    """The figures for the applications `selected` (a SELECT of application ids), as JSON."""
    submitted = and_(Review.id.is_not(None), Review.status == ReviewStatus.SUBMITTED)
    duration = case((submitted, _seconds_between(Assignment.assigned_at, Review.submitted_at)))
    per_reviewer = db.session.execute(
        select(User.id, User.name, func.count(Assignment.id), func.count(case((submitted, Review.id))),
               func.avg(cast(duration, Float)))
        .select_from(Assignment).join(User, User.id == Assignment.reviewer_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(Assignment.application_id.in_(selected))
        .group_by(User.id, User.name).order_by(User.name, User.id)
    ).all()
    reviewers = [{"name": name, "assigned": int(assigned), "submitted": int(done), "completion": _share(done, assigned),
                  "mean_days": _days(seconds)} for _id, name, assigned, done, seconds in per_reviewer]
    assigned = sum(r["assigned"] for r in reviewers)
    done = sum(r["submitted"] for r in reviewers)
    overall = db.session.scalar(
        select(func.avg(cast(duration, Float))).select_from(Assignment)
        .join(Review, Review.assignment_id == Assignment.id).where(Assignment.application_id.in_(selected)))

    calls = select(Application.call_id).where(Application.id.in_(selected)).distinct()
    scores = application_scores(calls)
    reviewed, disagreeing = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((scores.c.disagreement, 1), else_=0)), 0))
        .where(scores.c.application_id.in_(selected))
    ).one()
    conflicts = db.session.scalar(
        select(func.count(ConflictDeclaration.id))
        .where(ConflictDeclaration.application_id.in_(selected), ConflictDeclaration.has_conflict.is_(True))) or 0
    return {
        "assigned": assigned, "submitted": done, "completion": _share(done, assigned),
        "mean_days": _days(overall), "reviewed_applications": int(reviewed),
        "disagreeing_applications": int(disagreeing), "disagreement_rate": _share(int(disagreeing), int(reviewed)),
        "conflicts": int(conflicts), "reviewers": reviewers,
    }
