"""The training figures of a funding summary: participants, completion, certificates, capacity gains.

Training is not run in programmes or calls, so only the summary's period
applies: the sessions that start in it, the certificates issued in it.
Participants are the people who held a seat (confirmed, attended, no-show or
completed); a course's completion rate is its certificates issued in the
period over its participants. Certificates count when not revoked, by the
certified organisation's region and stakeholder group as its profile says
now (certificates keep the organisation, not its region), and by course.
Capacity gains are the assessments' own mean gain per dimension over every
organisation with a baseline and a follow-up. A few grouped statements,
whatever the number of people.
"""

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select

from cade.extensions import db
from cade.organisations.models import Organisation
from cade.training.assessments.gains import gains_by_dimension
from cade.training.constants import SEATED_STATUSES
from cade.training.models import Certificate, Course, Enrolment, Session


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _within(column, date_from: date | None, date_to: date | None) -> list:
    found = []
    if date_from:
        found.append(column >= _start(date_from))
    if date_to:
        found.append(column < _start(date_to + timedelta(days=1)))
    return found


def _share(part: int, whole: int) -> str | None:
    return None if not whole else str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")))


def training_figures(date_from: date | None, date_to: date | None) -> dict:
    """The figures for the period, as JSON (codes and counts; names are looked up when shown)."""
    seated = select(Enrolment.user_id, Session.course_id).join(Session, Session.id == Enrolment.session_id).where(
        Enrolment.status.in_([str(s) for s in SEATED_STATUSES]), *_within(Session.starts_at, date_from, date_to)
    ).subquery("seated")
    participants_by_course = dict(db.session.execute(
        select(seated.c.course_id, func.count(func.distinct(seated.c.user_id))).group_by(seated.c.course_id)
    ).tuples().all())
    participants = db.session.scalar(select(func.count(func.distinct(seated.c.user_id)))) or 0
    valid = [Certificate.revoked_at.is_(None), *_within(Certificate.issued_at, date_from, date_to)]
    certificates_by_course = dict(db.session.execute(
        select(Certificate.course_id, func.count(Certificate.id)).where(*valid).group_by(Certificate.course_id)
    ).tuples().all())
    titles = dict(db.session.execute(
        select(Course.id, Course.title).where(Course.id.in_(set(participants_by_course) | set(certificates_by_course)))
    ).tuples().all())
    courses = [{"key": str(course_id), "title": titles.get(course_id, str(course_id)),
                "participants": participants_by_course.get(course_id, 0),
                "certificates": certificates_by_course.get(course_id, 0),
                "completion": _share(certificates_by_course.get(course_id, 0),
                                     participants_by_course.get(course_id, 0))}
               for course_id in sorted(titles, key=lambda i: (titles[i], i))]

    def certificates_by(column) -> list[dict]:
        rows = db.session.execute(
            select(column, func.count(Certificate.id)).select_from(Certificate)
            .outerjoin(Organisation, Organisation.id == Certificate.organisation_id)
            .where(*valid).group_by(column).order_by(column)
        ).all()
        return [{"key": key or "unknown", "certificates": count} for key, count in rows]

    certificates = sum(certificates_by_course.values())
    return {
        "participants": participants, "certificates": certificates, "courses": courses,
        "certificates_by_region": certificates_by(Organisation.region_code),
        "certificates_by_stakeholder_group": certificates_by(Organisation.stakeholder_group),
        "gains": [{"dimension": g.dimension, "before": g.before, "after": g.after, "gain": g.gain,
                   "organisations": g.organisations} for g in gains_by_dimension()],
    }
