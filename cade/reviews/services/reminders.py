"""Reminders to reviewers whose review is due within three days, or overdue."""

from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import lazyload

from cade.accounts.models import User, UserRole
from cade.applications.constants import IN_REVIEW_STATUSES
from cade.applications.models import Application
from cade.core.permissions import REVIEWER
from cade.core.timeutil import moment_json, utcnow
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.programmes.models import Call
from cade.reviews.constants import DUE_SOON, ReviewStatus
from cade.reviews.models import Assignment, CallReviewSettings, Review

DUE_SOON_KIND, DUE_SOON_PREFIX = "reviews.due_soon", "review-due"
OVERDUE_KIND, OVERDUE_PREFIX = "reviews.overdue", "review-overdue"


def queue_review_reminders(now: datetime | None = None) -> int:
    """Queue one "due soon" and one "overdue" message per unsubmitted review; return how many were new.

    A review is due at its assignment's due date, or else at the call's review
    deadline. Due within DUE_SOON (and not past): "reviews.due_soon"; past:
    "reviews.overdue" (an assignment found only after its date gets just that
    one). Only reviewers still in the pool, with an active account, and only
    while the application awaits a decision. Idempotency keys make a second
    run send nothing more. Two queries whatever the number of assignments (the
    reviews due, then which of their keys are already queued), and one INSERT
    per new message.
    """
    now = now or utcnow()
    due_at = func.coalesce(Assignment.due_at, CallReviewSettings.review_deadline_at)
    is_reviewer = exists().where(UserRole.user_id == User.id, UserRole.role == REVIEWER)
    rows = db.session.execute(
        select(Assignment.id, due_at.label("due_at"), User, Call.title, Application.reference, Application.title)
        .join(User, User.id == Assignment.reviewer_id)
        .join(Application, Application.id == Assignment.application_id)
        .join(Call, Call.id == Assignment.call_id)
        .outerjoin(CallReviewSettings, CallReviewSettings.call_id == Assignment.call_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(or_(Review.id.is_(None), Review.status != ReviewStatus.SUBMITTED),
               due_at.is_not(None), due_at <= now + DUE_SOON,
               Application.status.in_(IN_REVIEW_STATUSES), User.active.is_(True), is_reviewer)
        .order_by(Assignment.id)
        .options(lazyload(User.roles))  # the roles are not needed here: no extra query for them
    ).all()
    due = [(row, *(_overdue(row) if row.due_at <= now else _due_soon(row))) for row in rows]
    done = queued_keys(key for _row, _kind, key in due)
    queued = 0
    for row, kind, key in due:
        if key in done:
            continue
        assignment_id, due_moment, reviewer, call_title, reference, title = row
        locale = reviewer.locale or "en"
        notify(kind, recipient=reviewer, locale=locale, key=key, known_new=True, context={
            "assignment_id": assignment_id,
            "call_title": call_title,
            # The reference and title only: in a blind call the reviewer must not learn the applicant here either.
            "reference": reference or "",
            "title": title,
            "due_at": due_moment.isoformat(),
            "due": moment_json(due_moment, reviewer.timezone or "UTC"),
        })
        queued += 1
    return queued


def _due_soon(row) -> tuple[str, str]:
    return DUE_SOON_KIND, f"{DUE_SOON_PREFIX}:{row.id}"


def _overdue(row) -> tuple[str, str]:
    return OVERDUE_KIND, f"{OVERDUE_PREFIX}:{row.id}"
