"""Attendance: a session's trainers (or an admin) mark who came; the course's rule then completes it.

Marks move enrolments through ENROLMENT_MACHINE: confirmed → attended or
no_show, and a mark can be corrected (attended ↔ no_show) until the course is
completed. Completion is final: the certificate stands on those marks, so a
completed enrolment's mark no longer changes (an admin revokes the
certificate instead).

Completion rule (`Course.required_sessions`): the person's attended sessions
of the course, cancelled sessions left out, reach that number, or, when it is
None, every session of the course that is not cancelled. All their attended
enrolments of the course then move to completed and one certificate is issued.

Every save holds the course's row lock from before it reads the enrolments:
two trainers saving two sessions of one course at once, or one trainer
pressing Save twice, run one after the other, so the second finds the
certificate the first issued.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, NotFound
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.training.constants import EnrolmentStatus, SessionStatus
from cade.training.models import ENROLMENT_MACHINE, Course, Enrolment, Session
from cade.training.services.certificates import issue_certificate

# The enrolments a trainer marks: those who held a seat.
MARKABLE = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW,
            EnrolmentStatus.COMPLETED)
COUNTED = (EnrolmentStatus.ATTENDED, EnrolmentStatus.COMPLETED)


def can_mark_attendance(user, session) -> bool:
    """The session's own trainers, and admins."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_admin(user) or any(trainer.id == user.id for trainer in session.trainers)


def teaching_session(actor, session_id: int) -> Session:
    """The session if the actor may mark it; NotFound otherwise (a session that is not theirs does not exist)."""
    session = db.session.get(Session, session_id)
    if session is None or not can_mark_attendance(actor, session):
        raise NotFound()
    return session


def attendance_sheet(session: Session) -> list[Enrolment]:
    """The participants who held a seat in the session, by name."""
    from cade.accounts.models import User

    return list(db.session.scalars(
        select(Enrolment).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session.id, Enrolment.status.in_(MARKABLE))
        .order_by(User.name, Enrolment.id)))


def mark_attendance(actor, session_id: int, marks: dict[int, bool]) -> list[Enrolment]:
    """Mark each enrolment of `marks` (id → attended) of the session; complete whoever reaches the rule.

    Ids of enrolments not holding a seat in this session are ignored. Returns the enrolments
    whose mark changed. Raises NotFound (not the actor's session), InvalidTransition (cancelled,
    not started yet, or a completed participant marked absent).
    """
    session = teaching_session(actor, session_id)
    if session.status == SessionStatus.CANCELLED:
        raise InvalidTransition(_l("This session has been cancelled."))
    if utcnow() < session.starts_at:
        raise InvalidTransition(_l("Attendance can be marked once the session has started."))
    lock_row(Course, session.course_id)
    wanted = {int(key): bool(value) for key, value in marks.items()}
    enrolments = list(db.session.scalars(select(Enrolment).where(
        Enrolment.session_id == session.id, Enrolment.status.in_(MARKABLE),
        Enrolment.id.in_(list(wanted)))).unique()) if wanted else []
    changed = []
    for enrolment in enrolments:
        db.session.refresh(enrolment)
        target = EnrolmentStatus.ATTENDED if wanted[enrolment.id] else EnrolmentStatus.NO_SHOW
        if enrolment.status == target or (enrolment.status == EnrolmentStatus.COMPLETED
                                          and target == EnrolmentStatus.ATTENDED):
            continue
        if enrolment.status == EnrolmentStatus.COMPLETED:
            raise InvalidTransition(_l("%(name)s has completed the course: their attendance can no longer "
                                       "change.", name=enrolment.user.name))
        ENROLMENT_MACHINE.move(actor, enrolment, target, status_changed_at=utcnow())
        db.session.refresh(enrolment)
        changed.append(enrolment)
    for enrolment in enrolments:
        if enrolment.status == EnrolmentStatus.ATTENDED:
            complete_if_due(actor, enrolment.user_id, session.course, enrolment)
    return changed


def required_count(course: Course) -> int:
    if course.required_sessions is not None:
        return course.required_sessions
    return db.session.scalar(select(func.count(Session.id)).where(
        Session.course_id == course.id, Session.status != SessionStatus.CANCELLED)) or 0


def complete_if_due(actor, user_id: int, course: Course, enrolment: Enrolment):
    """Complete the course for the person when their attended sessions reach its rule; return the certificate.

    The caller holds the course's row lock.
    """
    attended = list(db.session.scalars(
        select(Enrolment).join(Session, Session.id == Enrolment.session_id)
        .where(Session.course_id == course.id, Session.status != SessionStatus.CANCELLED,
               Enrolment.user_id == user_id, Enrolment.status.in_(COUNTED))))
    required = required_count(course)
    if required < 1 or len(attended) < required:
        return None
    ENROLMENT_MACHINE.move_many(actor, [e.id for e in attended if e.status == EnrolmentStatus.ATTENDED],
                                EnrolmentStatus.COMPLETED, from_statuses=[EnrolmentStatus.ATTENDED],
                                status_changed_at=utcnow())
    for row in attended:
        db.session.refresh(row)
    return issue_certificate(actor, user_id, course, enrolment)


def my_teaching(user) -> list[tuple[Session, int, int]]:
    """The sessions the user trains, the latest first, each with (seats taken, marked attended)."""
    from cade.training.models import session_trainers
    from cade.training.services.common import seat_counts

    sessions = list(db.session.scalars(
        select(Session).join(session_trainers, session_trainers.c.session_id == Session.id)
        .where(session_trainers.c.user_id == user.id).order_by(Session.starts_at.desc(), Session.id)))
    counts = seat_counts(s.id for s in sessions)
    attended = dict(db.session.execute(
        select(Enrolment.session_id, func.count(Enrolment.id))
        .where(Enrolment.session_id.in_([s.id for s in sessions]), Enrolment.status.in_(COUNTED))
        .group_by(Enrolment.session_id)).all()) if sessions else {}
    return [(s, counts.get(s.id, (0, 0))[0], attended.get(s.id, 0)) for s in sessions]


def participants_table(session: Session):
    """The session's participants holding a seat, as a report `Table` (the CSV writer escapes formulas)."""
    from flask_babel import gettext as _

    from cade.reports.tables import Column, Table
    from cade.training.constants import ENROLMENT_STATUS_LABELS

    rows = [[e.user.name, e.user.email, e.organisation.display_name, str(ENROLMENT_STATUS_LABELS[e.status])]
            for e in attendance_sheet(session)]
    return Table(name=f"session-{session.id}-participants", title=session.display_title, rows=rows,
                 columns=[Column("name", _("Name")), Column("email", _("E-mail")),
                          Column("organisation", _("Organisation")), Column("status", _("Status"))])


def write_participants_csv(session: Session, stream) -> None:
    from cade.reports.outputs.csv import write_csv

    write_csv(participants_table(session), stream)
