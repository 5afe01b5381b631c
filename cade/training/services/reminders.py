"""The "session tomorrow" reminder, queued by an hourly beat to everyone holding a seat.

A session is reminded when it starts more than 20 and at most 24 hours from
now (`REMINDER_WINDOW`). Beat runs the job every hour, so a session enters
the window once, on the first run after it is 24 hours away: about a day
before, and still "tomorrow" in every reading of the word. The four hours
of slack let three missed runs (a worker restarting, a deploy) go by without
losing the reminder; whoever enrols inside the window is reminded on the
next run. The idempotency key (session, person, start) makes every other run
that finds the session in the window send nothing more, while a session moved
to another day is reminded again for its new date.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from cade.accounts.models import User
from cade.core.db import utcnow
from cade.extensions import db
from cade.notifications.services import queued_keys
from cade.training.constants import EnrolmentStatus, SessionStatus
from cade.training.models import Enrolment, Session
from cade.training.services.notices import tell

KIND = "session_tomorrow"
REMINDER_WINDOW = (timedelta(hours=20), timedelta(hours=24))


def _key(enrolment: Enrolment) -> str:
    session = enrolment.session
    return f"{session.id}:{enrolment.user_id}:{session.starts_at:%Y%m%dT%H%MZ}"


def queue_session_reminders(now: datetime | None = None) -> int:
    """Queue "training.session_tomorrow" to every confirmed participant of a scheduled session starting
    within `REMINDER_WINDOW` of `now`, in their language, each once. Returns how many were newly queued.

    Cancelled sessions and cancelled (or waitlisted) enrolments get nothing. Flushes, never commits.
    """
    now = now or utcnow()
    earliest, latest = REMINDER_WINDOW
    enrolments = list(db.session.scalars(
        select(Enrolment).join(Enrolment.session).join(Enrolment.user)
        .options(contains_eager(Enrolment.session).joinedload(Session.course), contains_eager(Enrolment.user))
        .where(Session.status == SessionStatus.SCHEDULED, Session.starts_at > now + earliest,
               Session.starts_at <= now + latest, Enrolment.status == EnrolmentStatus.CONFIRMED,
               User.active.is_(True))
        .order_by(Session.starts_at, Enrolment.id)))
    done = queued_keys(f"training.{KIND}:{_key(e)}" for e in enrolments)
    queued = 0
    for enrolment in enrolments:
        if f"training.{KIND}:{_key(enrolment)}" in done:
            continue
        session = enrolment.session
        tell(KIND, enrolment, _key(enrolment), place=session.place, online_url=session.online_url)
        queued += 1
    return queued
