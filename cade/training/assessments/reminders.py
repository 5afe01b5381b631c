"""The reminder that a capacity follow-up is due: for the beat to call, safe to run as often as it likes."""

from datetime import datetime

from sqlalchemy import select

from cade.accounts.models import User
from cade.core.db import utcnow
from cade.core.timeutil import moment_json
from cade.extensions import db
from cade.notifications.services import notify, queued_keys
from cade.organisations.models import Membership, Organisation
from cade.training.assessments.models import AssessmentKind, AssessmentStatus, CapacityAssessment
from cade.training.models import Course


def reminder_key(assessment_id: int, user_id: int) -> str:
    return f"training.assessment_due:{assessment_id}:{user_id}"


def remind_due_follow_ups(now: datetime | None = None) -> int:
    """Tell every member of each organisation whose follow-up is due (and still a draft); return how many.

    Each member hears once per follow-up (the notification's idempotency key), however often the
    beat runs. Three statements whatever the number of follow-ups. Flushes, never commits.
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(CapacityAssessment, Organisation, Course.title, User)
        .join(Organisation, Organisation.id == CapacityAssessment.organisation_id)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Course, Course.id == CapacityAssessment.course_id)
        .where(CapacityAssessment.kind == AssessmentKind.FOLLOW_UP,
               CapacityAssessment.status == AssessmentStatus.DRAFT,
               CapacityAssessment.due_at.is_not(None), CapacityAssessment.due_at <= now)
        .order_by(CapacityAssessment.id, User.id)).all()
    sent = queued_keys(reminder_key(a.id, user.id) for a, _o, _t, user in rows)
    count = 0
    for assessment, organisation, course_title, user in rows:
        key = reminder_key(assessment.id, user.id)
        if key in sent:
            continue
        notify("training.assessment_due", recipient=user, locale=user.locale, key=key, known_new=True,
               context={"assessment_id": assessment.id, "organisation_id": organisation.id,
                        "organisation_name": organisation.display_name, "course_id": assessment.course_id,
                        "course_title": course_title, "due": moment_json(assessment.due_at, user.timezone or "UTC")})
        count += 1
    return count
