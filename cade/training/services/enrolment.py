"""Enrolment: a seat while seats remain, else a numbered place on the waiting list; cancelling frees a seat.

Every change to a session's enrolments happens under the session's row lock
(`lock_row`), taken before anything is counted: of fifty people pressing
"Enrol" at once for ten seats, each counts the seats only after the one
before has committed, so exactly ten are confirmed and the others are
numbered 1, 2, 3… without gaps or repeats. The unique partial index
`uq_enrolments_live_per_session` is the backstop against a second live
enrolment of one person.

Waiting-list positions are kept gapless: whoever leaves the list (promoted or
cancelled), those behind move up by one, so the stored number is the one a
participant sees.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from cade.core.audit import record_event
from cade.core.commands import Command, Id, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import (
    AlreadyExists,
    DeadlinePassed,
    DomainError,
    InvalidTransition,
    NotEligible,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from cade.core.permissions import is_admin
from cade.core.timeutil import format_in_zone
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.organisations.services.queries import organisations_for_user
from cade.training.constants import LIVE_STATUSES, EnrolmentStatus
from cade.training.models import ENROLMENT_MACHINE, Enrolment, Session
from cade.training.permissions import can_view_course
from cade.training.services.common import seated_count
from cade.training.services.courses import holds_prerequisite
from cade.training.services.notices import tell


class ScheduleClash(DomainError, status=409, slug="schedule-clash"):
    default_message = _l("This session overlaps another session in which you have a seat.")


@dataclass(frozen=True)
class EnrolInput(Command):
    """For which of their organisations the person enrols; None when they belong to one only."""

    organisation_id: int | None = field(Id(required=False))


NO_ORGANISATION = _l("Training is for members of an organisation. Register your organisation, or ask its "
                     "owner to invite you, then enrol.")


def _organisation(actor, organisation_id: int | None) -> Organisation:
    organisations = organisations_for_user(actor)
    if not organisations:
        raise PermissionDenied(NO_ORGANISATION)
    if organisation_id is None:
        if len(organisations) == 1:
            return organisations[0]
        raise ValidationFailed({"organisation_id": [_l("Choose the organisation you enrol for.")]})
    for organisation in organisations:
        if organisation.id == organisation_id:
            return organisation
    raise ValidationFailed({"organisation_id": [_l("Choose one of your organisations.")]})


def check_session_open(session: Session, now) -> None:
    """Raise why nobody can enrol in `session` at `now` (cancelled, over, window not open or closed)."""
    if session.is_cancelled:
        raise InvalidTransition(_l("This session has been cancelled."))
    if session.is_over(now):
        raise InvalidTransition(_l("This session is over."))
    if now < session.enrolment_opens_at:
        raise DeadlinePassed(_l("Enrolment opens on %(when)s.",
                                when=format_in_zone(session.enrolment_opens_at, session.timezone)))
    if now >= session.enrolment_closes_at:
        raise DeadlinePassed(_l("Enrolment closed on %(when)s.",
                                when=format_in_zone(session.enrolment_closes_at, session.timezone)))


def live_enrolment(user_id: int, session_id: int) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(
        Enrolment.session_id == session_id, Enrolment.user_id == user_id, Enrolment.status.in_(LIVE_STATUSES)))


def _clash(actor, session: Session) -> Session | None:
    """A scheduled session overlapping `session` in which `actor` holds a confirmed seat."""
    return db.session.scalar(
        select(Session).join(Enrolment, Enrolment.session_id == Session.id)
        .where(Enrolment.user_id == actor.id, Enrolment.status == EnrolmentStatus.CONFIRMED,
               Session.id != session.id, Session.status != "cancelled",
               Session.starts_at < session.ends_at, Session.ends_at > session.starts_at)
        .order_by(Session.starts_at).limit(1))


def enrol(actor, session_id: int, command: EnrolInput) -> Enrolment:
    """Enrol `actor` in a session for one of their organisations: confirmed while seats remain, else waitlisted.

    Raises NotFound (no such session, or its course is not published), InvalidTransition (cancelled or
    over), DeadlinePassed (window not open yet, or closed), PermissionDenied (no organisation),
    ValidationFailed (organisation_id), AlreadyExists (a live enrolment in this session), NotEligible
    (prerequisite course not completed), ScheduleClash (overlaps a session with a confirmed seat).
    """
    session = db.session.get(Session, session_id)
    if session is None or not can_view_course(actor, session.course):
        raise NotFound()
    lock_row(Session, session.id)  # before anything is counted: see the module docstring
    db.session.refresh(session)
    now = utcnow()
    check_session_open(session, now)
    organisation = _organisation(actor, command.organisation_id)
    existing = live_enrolment(actor.id, session.id)
    if existing is not None:
        raise AlreadyExists(_l("You are already enrolled in this session."))
    course = session.course
    if not holds_prerequisite(actor, course):
        raise NotEligible(_l("This course asks that you complete “%(course)s” first.",
                             course=course.prerequisite.title))
    clash = _clash(actor, session)
    if clash is not None:
        raise ScheduleClash(_l("This session overlaps “%(title)s” (%(when)s), in which you have a seat.",
                               title=clash.display_title, when=format_in_zone(clash.starts_at, clash.timezone)))
    if seated_count(session.id) < session.seats:
        status, position = EnrolmentStatus.CONFIRMED, None
    else:
        last = db.session.scalar(select(func.max(Enrolment.waitlist_position)).where(
            Enrolment.session_id == session.id, Enrolment.status == EnrolmentStatus.WAITLISTED))
        status, position = EnrolmentStatus.WAITLISTED, (last or 0) + 1
    enrolment = Enrolment(session=session, user=actor, organisation=organisation, status=status,
                          waitlist_position=position, status_changed_at=now)
    db.session.add(enrolment)
    db.session.flush()
    record_event(actor, "enrolment.created", enrolment, None,
                 {"status": status.value, "waitlist_position": position, "organisation_id": organisation.id})
    tell(status.value, enrolment, str(enrolment.id))
    return enrolment


def cancel_enrolment(actor, enrolment_id: int) -> Enrolment:
    """Cancel a confirmed or waitlisted enrolment (the participant's own, or any for an admin).

    A freed seat goes to the first on the waiting list, who is told, in the same transaction; those
    still waiting move up. Raises NotFound (not theirs), InvalidTransition (already cancelled, or the
    session is over).
    """
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or (enrolment.user_id != getattr(actor, "id", None) and not is_admin(actor)):
        raise NotFound()
    lock_row(Session, enrolment.session_id)
    db.session.refresh(enrolment)
    session = enrolment.session
    db.session.refresh(session)
    if enrolment.status not in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED):
        raise InvalidTransition(_l("This enrolment can no longer be cancelled."))
    if session.is_over():
        raise InvalidTransition(_l("This session is over."))
    position = enrolment.waitlist_position
    ENROLMENT_MACHINE.move(actor, enrolment, EnrolmentStatus.CANCELLED, status_changed_at=utcnow(),
                           waitlist_position=None)
    if position is not None:
        _move_up(session.id, after=position, by=1)
    fill_free_seats(actor, session)
    db.session.refresh(enrolment)
    return enrolment


def _move_up(session_id: int, *, after: int, by: int) -> None:
    db.session.execute(
        update(Enrolment)
        .where(Enrolment.session_id == session_id, Enrolment.status == EnrolmentStatus.WAITLISTED,
               Enrolment.waitlist_position > after)
        .values(waitlist_position=Enrolment.waitlist_position - by)
        .execution_options(synchronize_session="fetch"))


def fill_free_seats(actor, session: Session) -> list[Enrolment]:
    """Give each free seat of `session` to the first on its waiting list, tell them; return them.

    The caller holds the session's lock. Nobody is promoted into a cancelled or finished session.
    """
    if session.is_cancelled or session.is_over():
        return []
    free = session.seats - seated_count(session.id)
    if free <= 0:
        return []
    first = list(db.session.scalars(
        select(Enrolment).where(Enrolment.session_id == session.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .order_by(Enrolment.waitlist_position, Enrolment.id).limit(free)))
    if not first:
        return []
    ENROLMENT_MACHINE.move_many(actor, [e.id for e in first], EnrolmentStatus.CONFIRMED,
                                from_statuses=[EnrolmentStatus.WAITLISTED], status_changed_at=utcnow(),
                                waitlist_position=None)
    _move_up(session.id, after=0, by=len(first))
    for enrolment in first:
        db.session.refresh(enrolment)
        tell("promoted", enrolment, str(enrolment.id))
    return first
