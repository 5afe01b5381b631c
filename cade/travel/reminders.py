"""Post-trip report reminders: 7 days before the report is due, and once it is overdue, each sent once to the
traveller (their account, or the address the owner gave) and the organisation's owners.

Run daily by beat (tasks/travel.py). The idempotency key names the trip, the
due date, the kind of reminder and the recipient, so a second run sends
nothing more, while a due date moved by the admins gets its own messages.
"""

from datetime import date, timedelta

from sqlalchemy import and_

from cade.core.db import utcnow
from cade.notifications.services import notify, queued_keys
from cade.travel.models import Trip
from cade.travel.post_trip import trips_where, overdue_clause, submitted_clause
from cade.travel.traveller_access import traveller_and_owners, traveller_name

DUE_SOON_DAYS = 7


def _context(trip: Trip) -> dict:
    application = trip.application
    return {"trip_id": trip.id, "traveller": traveller_name(trip), "title": application.title,
            "event": trip.event.name if trip.event else application.title,
            "call_title": application.call.title, "due_on": trip.post_trip_due_on.isoformat()}


def _send(kind: str, prefix: str, trips: list[Trip]) -> int:
    keyed = {}
    for trip in trips:
        context = _context(trip)
        for person in traveller_and_owners(trip):
            key = f"{prefix}:{trip.id}:{trip.post_trip_due_on.isoformat()}:{person.key}"
            keyed[key] = (person, context)
    known = queued_keys(keyed)
    sent = 0
    for key, (person, context) in keyed.items():
        if key in known:
            continue
        if person.user is None:
            context = {**context, "recipient_name": person.name or person.email}
        notify(kind, recipient=person.user, email=None if person.user else person.email, key=key, known_new=True,
               context=context)
        sent += 1
    return sent


def remind_post_trip(today: date | None = None) -> int:
    """Queue "post-trip report due in 7 days" (`travel.post_trip_due`) and "overdue" (`travel.post_trip_overdue`);
    each once per trip, due date and recipient. Returns how many were queued now. Flushes, never commits."""
    today = today or utcnow().date()
    due_soon = trips_where(and_(Trip.post_trip_due_on.is_not(None), Trip.post_trip_due_on >= today,
                           Trip.post_trip_due_on <= today + timedelta(days=DUE_SOON_DAYS), ~submitted_clause()))
    overdue = trips_where(overdue_clause(today))
    return (_send("travel.post_trip_due", "post-trip-due", due_soon)
            + _send("travel.post_trip_overdue", "post-trip-overdue", overdue))
