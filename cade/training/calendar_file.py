"""A session as an iCalendar file (RFC 5545): one VEVENT that calendars update in place when it changes.

Written with the `icalendar` library rather than by hand: line folding,
escaping of commas and semicolons in a place's address and UTC date-times are
where hand-written .ics files go wrong.

- UID is stable per session (`session-<id>@<host of BASE_URL>`), so a second
  download replaces the event instead of adding one.
- DTSTART and DTEND are written in UTC (…Z): every client converts them to
  the reader's zone, and no VTIMEZONE block is needed.
- SEQUENCE counts the audit events of the session after its creation (each
  change and the cancellation). Calendars keep the copy with the higher
  SEQUENCE, so it must grow with every change: the audit trail is an
  append-only counter written in the same transaction as the change, with no
  new column (another engineer owns the models) and without the clashes of a
  number derived from `updated_at` (two saves within a second, or two app
  servers whose clocks differ, would give the same or a smaller number).
- A cancelled session is STATUS:CANCELLED, without the place: there is
  nowhere to go any more.
"""

from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import NotFound
from cade.core.urls import external_url
from cade.extensions import db
from cade.training.models import Enrolment, Session
from cade.training.permissions import can_see_session_venue

PRODID = "-//CADE Grants//Training//EN"


def session_uid(session: Session, base_url: str) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    return f"session-{session.id}@{host}"


def session_sequence(session: Session) -> int:
    """How many times the session changed since it was created (0 for an untouched one): see the docstring."""
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.object_type == Session.__name__, AuditEvent.object_id == session.id,
        AuditEvent.verb != "training_session.created")) or 0


def session_summary(session: Session) -> str:
    course_title = session.course.title
    return f"{course_title}: {session.title}" if session.title else course_title


def session_ics(session: Session, base_url: str) -> bytes:
    """The session's calendar file, UTF-8. `base_url` names the host of the UID."""
    event = Event()
    event.add("uid", session_uid(session, base_url))
    event.add("dtstamp", utcnow())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", session_summary(session))
    event.add("url", external_url("training.course", course_id=session.course_id))
    event.add("sequence", session_sequence(session))
    if session.is_cancelled:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
        event.add("location", session.place or session.online_url)
        if session.place and session.online_url:  # the link too, where the place took LOCATION
            event.add("description", session.online_url)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_session(actor, session_id: int) -> Session:
    """The session whose calendar file `actor` may fetch; NotFound for anyone else (it names the place).

    A scheduled session's file goes to those who may see its place (a seat, its trainers, admins:
    `can_see_session_venue`). A cancelled one's, which carries no place, also to everyone who was
    enrolled in it, since cancelling the session cancelled their enrolment too.
    """
    session = db.session.get(Session, session_id)
    if session is None or actor is None or not getattr(actor, "is_authenticated", False):
        raise NotFound()
    enrolments = list(db.session.scalars(select(Enrolment).where(
        Enrolment.session_id == session.id, Enrolment.user_id == actor.id)))
    if any(can_see_session_venue(actor, session, e) for e in enrolments or [None]):
        return session
    if session.is_cancelled and enrolments:
        return session
    raise NotFound()
