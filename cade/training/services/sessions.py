"""Sessions of a course: schedule, change and cancel them, telling everyone enrolled."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.accounts.models import User, UserRole
from cade.core.audit import record_event
from cade.core.commands import Command, FieldErrors, Ids, Integer, Moment, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, ValidationFailed
from cade.core.permissions import TRAINER
from cade.extensions import db
from cade.organisations.services.profiles import WebAddress
from cade.programmes.services.calls import TimeZone
from cade.programmes.services.common import get_or_raise, snapshot
from cade.training.constants import EnrolmentStatus, SessionStatus
from cade.training.models import ENROLMENT_MACHINE, SESSION_MACHINE, Course, Enrolment, Session
from cade.training.services.common import require_admin, seated_count
from cade.training.services.notices import tell

SESSION_COLUMNS = ("title", "timezone", "starts_at", "ends_at", "place", "online_url", "seats",
                   "enrolment_opens_at", "enrolment_closes_at")
# A change to one of these is news to everyone enrolled.
NEWSWORTHY = ("starts_at", "ends_at", "timezone", "place", "online_url")
MAX_SEATS = 10_000
LIVE_WAITING = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)


@dataclass(frozen=True)
class SessionInput(Command):
    """A session as the admin types it: times are wall-clock times in `timezone` (or aware datetimes)."""

    title: str | None = field(Text(max_len=200))
    timezone: str | None = field(TimeZone())
    starts_at: datetime | None = field(Moment())
    ends_at: datetime | None = field(Moment())
    place: str | None = field(Text(max_len=2000))
    online_url: str | None = field(WebAddress(max_len=500))
    seats: int | None = field(Integer(1, MAX_SEATS))
    enrolment_opens_at: datetime | None = field(Moment())
    enrolment_closes_at: datetime | None = field(Moment())
    trainer_ids: list[int] = field(Ids(), default_factory=list)

    def check(self, errors: FieldErrors) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors.add("ends_at", _l("The session must end after it starts."))
        opens, closes = self.enrolment_opens_at, self.enrolment_closes_at
        if opens and closes and closes <= opens:
            errors.add("enrolment_closes_at", _l("Enrolment must close after it opens."))
        if closes and self.ends_at and closes > self.ends_at:
            errors.add("enrolment_closes_at", _l("Enrolment must close by the end of the session."))
        if not self.place and not self.online_url and "place" not in errors and "online_url" not in errors:
            errors.add("place", _l("Give a place, an online link, or both."))


def _trainers(ids: list[int]) -> list[User]:
    if not ids:
        return []
    found = list(db.session.scalars(select(User).join(UserRole).where(User.id.in_(ids), UserRole.role == TRAINER)))
    if len(found) != len(ids):
        raise ValidationFailed({"trainer_ids": [_l("Choose trainers from the list.")]})
    return found


def _snapshot(session: Session) -> dict:
    return {**snapshot(session, SESSION_COLUMNS), "trainer_ids": [trainer.id for trainer in session.trainers]}


def create_session(actor, course_id: int, command: SessionInput) -> Session:
    """Schedule a session of a course. Raises PermissionDenied, NotFound, ValidationFailed."""
    require_admin(actor)
    course = get_or_raise(Course, course_id)
    session = Session(course=course, trainers=_trainers(command.trainer_ids), **command.changes(*SESSION_COLUMNS))
    db.session.add(session)
    db.session.flush()
    record_event(actor, "training_session.created", session, None, _snapshot(session))
    return session


def update_session(actor, session_id: int, command: SessionInput) -> Session:
    """Change a scheduled session; tell everyone enrolled when its time or venue changed.

    Seats cannot go below the seats already taken (ValidationFailed naming the number); more
    seats promote people from the waiting list. Raises PermissionDenied, NotFound,
    ValidationFailed, InvalidTransition (a cancelled session).
    """
    from cade.training.services.enrolment import fill_free_seats

    require_admin(actor)
    session = get_or_raise(Session, session_id)
    lock_row(Session, session.id)
    db.session.refresh(session)
    if session.is_cancelled:
        raise InvalidTransition(_l("This session has been cancelled and can no longer change."))
    taken = seated_count(session.id)
    if command.seats < taken:
        raise ValidationFailed({"seats": [_l("%(taken)d people already hold a seat: the session needs at least "
                                             "%(taken)d seats.", taken=taken)]})
    trainers = _trainers(command.trainer_ids)
    before = _snapshot(session)
    for name, value in command.changes(*SESSION_COLUMNS).items():
        setattr(session, name, value)
    session.trainers = trainers
    db.session.flush()
    after = _snapshot(session)
    event = record_event(actor, "training_session.updated", session, before, after)
    changed = [name for name in NEWSWORTHY if before[name] != after[name]]
    if changed:
        for enrolment in _live_enrolments(session.id):
            tell("session_changed", enrolment, f"{enrolment.id}:{event.id}", changed=changed)
    fill_free_seats(actor, session)
    return session


def _live_enrolments(session_id: int) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(
        Enrolment.session_id == session_id, Enrolment.status.in_(LIVE_WAITING)).order_by(Enrolment.id)))


def cancel_session(actor, session_id: int) -> Session:
    """Cancel a session: every confirmed or waitlisted enrolment is cancelled and its participant told.

    Raises PermissionDenied, NotFound, InvalidTransition (already cancelled).
    """
    require_admin(actor)
    session = get_or_raise(Session, session_id)
    lock_row(Session, session.id)
    db.session.refresh(session)
    if session.is_cancelled:
        raise InvalidTransition(_l("This session has already been cancelled."))
    SESSION_MACHINE.move(actor, session, SessionStatus.CANCELLED)
    enrolments = _live_enrolments(session.id)
    ENROLMENT_MACHINE.move_many(actor, [e.id for e in enrolments], EnrolmentStatus.CANCELLED,
                                from_statuses=LIVE_WAITING, status_changed_at=utcnow(), waitlist_position=None)
    for enrolment in enrolments:
        db.session.refresh(enrolment)
        tell("session_cancelled", enrolment, str(enrolment.id))
    return session
