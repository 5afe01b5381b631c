"""Read-only queries for the training pages: a fixed number of statements whatever the number of courses."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from cade.core.db import utcnow
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.organisations.services.queries import organisations_for_user
from cade.training.constants import LIVE_STATUSES, SessionStatus
from cade.training.models import Course, Enrolment, Session
from cade.training.services.common import seat_counts
from cade.training.services.courses import holds_prerequisite


@dataclass(frozen=True)
class SessionRow:
    """A session with its seats: `seats_left` never below zero; `waiting` on the waiting list."""

    session: Session
    seated: int
    waiting: int

    @property
    def seats_left(self) -> int:
        return max(self.session.seats - self.seated, 0)


def _rows(sessions: list[Session]) -> list[SessionRow]:
    counts = seat_counts(s.id for s in sessions)
    return [SessionRow(s, *counts.get(s.id, (0, 0))) for s in sessions]


def catalogue(now: datetime | None = None) -> list[tuple[Course, list[SessionRow]]]:
    """Published courses by title, each with its scheduled sessions not yet over (three statements)."""
    now = now or utcnow()
    courses = list(db.session.scalars(select(Course).where(Course.published.is_(True))
                                      .order_by(Course.title, Course.id)))
    sessions = list(db.session.scalars(
        select(Session).where(Session.course_id.in_([c.id for c in courses]), Session.ends_at > now,
                              Session.status == SessionStatus.SCHEDULED)
        .order_by(Session.starts_at, Session.id))) if courses else []
    by_course = defaultdict(list)
    for row in _rows(sessions):
        by_course[row.session.course_id].append(row)
    return [(course, by_course[course.id]) for course in courses]


def course_sessions(course: Course, now: datetime | None = None) -> list[SessionRow]:
    """The course's sessions not yet over (cancelled ones too, marked so), soonest first, with their trainers."""
    now = now or utcnow()
    sessions = list(db.session.scalars(
        select(Session).options(selectinload(Session.trainers))
        .where(Session.course_id == course.id, Session.ends_at > now).order_by(Session.starts_at, Session.id)))
    return _rows(sessions)


@dataclass(frozen=True)
class Reader:
    """What the course page needs to know about the signed-in reader (three statements)."""

    organisations: list[Organisation]
    enrolments: dict[int, Enrolment]  # live enrolments by session id
    holds_prerequisite: bool


def reader_standing(user, course: Course, rows: list[SessionRow]) -> Reader | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    ids = [row.session.id for row in rows]
    enrolments = {e.session_id: e for e in db.session.scalars(select(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.session_id.in_(ids), Enrolment.status.in_(LIVE_STATUSES)))} \
        if ids else {}
    return Reader(organisations_for_user(user), enrolments, holds_prerequisite(user, course))


def my_enrolments(user) -> list[Enrolment]:
    """The user's enrolments, the latest session first, with session, course, trainers and organisation."""
    return list(db.session.scalars(
        select(Enrolment).options(joinedload(Enrolment.session).joinedload(Session.course),
                                  joinedload(Enrolment.session).selectinload(Session.trainers),
                                  joinedload(Enrolment.organisation))
        .where(Enrolment.user_id == user.id)
        .order_by(Enrolment.id.desc())))


def admin_courses() -> list[tuple[Course, list[SessionRow]]]:
    """Every course by title with all its sessions and their seats (three statements)."""
    courses = list(db.session.scalars(select(Course).order_by(Course.title, Course.id)))
    sessions = list(db.session.scalars(select(Session).where(Session.course_id.in_([c.id for c in courses]))
                                       .order_by(Session.starts_at.desc(), Session.id))) if courses else []
    by_course = defaultdict(list)
    for row in _rows(sessions):
        by_course[row.session.course_id].append(row)
    return [(course, by_course[course.id]) for course in courses]


def trainer_choices() -> list:
    """Users with the trainer role, by name: whom a session can name as its trainers."""
    from cade.accounts.models import User, UserRole
    from cade.core.permissions import TRAINER

    return list(db.session.scalars(select(User).join(UserRole).where(UserRole.role == TRAINER)
                                   .order_by(User.name, User.id)))
